/**
 * Two redundant relays on the client's VLAN (an HSRP/VRRP pair, both with `ip helper-address` to
 * the same server): each relays the client's broadcast, the server answers each copy, and each
 * relay passes its answer on. The client sees every answer twice, a few ms apart, each relay's
 * giaddr in it. A BOOTP reply names no server (option 54) and a relay in proxy mode (RFC 5107
 * server-id-override, Cisco `ip dhcp relay information option server-id-override`) puts its own
 * address there: the copies then look like two servers' answers. They are one answer.
 */
import { describe, expect, it } from 'vitest';
import { Sim, pxeOptions, tftpRead, type Endpoint } from '../flow/sim.test-kit.js';
import type { DhcpV4BuildInput, DhcpV4OptionInput } from '../wire/dhcpv4/index.js';
import type { Analysis } from '../analysis/types.js';
import { Readable } from 'node:stream';
import { analyzeCapture } from '../analysis/capture.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { ethernetPcap } from '../../test/helpers/splice.js';
import { EtherType, emitEthernet, parseEthernet } from '../wire/ethernet.js';
import { emitIpv4, parseIpv4 } from '../wire/ipv4.js';
import { emitUdp, parseUdp } from '../wire/udp.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { UdpPort } from '../wire/ports.js';
import { ipv4FromString } from '../wire/bytes.js';
import { DhcpV4Code } from '../wire/dhcpv4/index.js';
import type { WireIssue } from '../wire/issues.js';

const MAC = '52:54:00:7e:1a:01';
const RELAYS = ['203.0.113.2', '203.0.113.3'];
const RELAY_MACS = ['00:00:0c:00:00:02', '00:00:0c:00:00:03'];
const cli0: Endpoint = { addr: '0.0.0.0', port: 68, mac: MAC };
const toServers: Endpoint = { addr: '255.255.255.255', port: 67 };
const toClient: Endpoint = { addr: '255.255.255.255', port: 68, mac: 'ff:ff:ff:ff:ff:ff' };

type Mode = 'bootp' | 'server-id-override';

/** What a server behind the relays puts in its answers besides the address. */
interface BootServer { siaddr: string; file: string; proxy?: boolean }
const SERVER: BootServer = { siaddr: '198.51.100.1', file: 'snponly.efi' };
/** A second server the relays also help to (a WDS beside the Linux one). */
const OTHER: BootServer = { siaddr: '198.51.100.9', file: 'wds/bootmgfw.efi' };

/** One answer, as relay `r` passes it on: BOOTP (no option 53/54) or DHCP with option 54 set to
 *  the relay's own address. `yiaddr`: the address the server behind the relay gave (0.0.0.0 and
 *  `from.proxy`: a proxyDHCP offer, RFC 4578's vendor class PXEClient, no lease). */
function relayed(sim: Sim, r: number, mode: Mode, type: 'OFFER' | 'ACK', yiaddr: string, t: number, from: BootServer = SERVER): void {
  const lease: DhcpV4OptionInput[] = from.proxy ? [{ code: 60, value: 'PXEClient' }] : [{ code: 51, value: 600 }];
  const options: DhcpV4OptionInput[] = mode === 'bootp' ? [] : [{ code: 53, value: type }, { code: 54, value: RELAYS[r]! }, ...lease];
  const reply: DhcpV4BuildInput = { op: 2, xid: 0x5e1, chaddr: MAC, giaddr: RELAYS[r], yiaddr, siaddr: from.siaddr, file: from.file, options };
  sim.dhcp4({ addr: RELAYS[r]!, port: 67, mac: RELAY_MACS[r] }, toClient, reply, t);
}

/** DISCOVER, both relays' OFFERs 3 ms apart, REQUEST, both ACKs, then the boot file from the
 *  server behind them. `second`: the address the second relay's answers carry (the same server:
 *  the same address); null: one relay only. */
function boot(mode: Mode, second: string | null = '203.0.113.50'): { a: Analysis; answers: number } {
  const sim = new Sim();
  const request = mode === 'bootp' ? [] : [{ code: 53, value: 'DISCOVER' }];
  sim.dhcp4(cli0, toServers, { xid: 0x5e1, chaddr: MAC, options: [...request, ...pxeOptions(7)] }, 0);
  relayed(sim, 0, mode, mode === 'bootp' ? 'ACK' : 'OFFER', '203.0.113.50', 0.004);
  if (second !== null) relayed(sim, 1, mode, mode === 'bootp' ? 'ACK' : 'OFFER', second, 0.007);
  if (mode !== 'bootp') {
    sim.dhcp4(cli0, toServers, { xid: 0x5e1, chaddr: MAC, options: [{ code: 53, value: 'REQUEST' }, { code: 54, value: RELAYS[0]! }, { code: 50, value: '203.0.113.50' }, ...pxeOptions(7)] }, 0.5);
    relayed(sim, 0, mode, 'ACK', '203.0.113.50', 0.504);
    if (second !== null) relayed(sim, 1, mode, 'ACK', second, 0.507);
  }
  tftpRead(sim, { addr: '203.0.113.50', port: 1024, mac: MAC }, '198.51.100.1', 'snponly.efi', 4000, { t: 1 });
  const answers = sim.facts({ end: 30 }).devices.find((d) => d.key === MAC)!.exchange!.answers;
  return { a: sim.finish({ end: 30 }), answers };
}

const codes = (a: Analysis) => a.findings.map((f) => f.code);

/** DISCOVER (BOOTREQUEST), then relay 0 passing on `first`'s answer and relay 1 `second`'s 3 ms
 *  later, both with `yiaddr`: two servers behind the pair (a reservation for the MAC on both, two
 *  proxyDHCP servers) or, `second` = `first`, one server's answer through both. */
function twoAnswers(mode: Mode, yiaddr: string, first: BootServer, second: BootServer) {
  const sim = new Sim();
  const request = mode === 'bootp' ? [] : [{ code: 53, value: 'DISCOVER' }];
  sim.dhcp4(cli0, toServers, { xid: 0x5e1, chaddr: MAC, options: [...request, ...pxeOptions(7)] }, 0);
  const type = mode === 'bootp' ? 'ACK' : 'OFFER';
  relayed(sim, 0, mode, type, yiaddr, 0.004, first);
  relayed(sim, 1, mode, type, yiaddr, 0.007, second);
  const answers = sim.facts({ end: 30 }).devices.find((d) => d.key === MAC)!.exchange!.answers;
  const a = sim.finish({ end: 30 });
  const dhcp = a.clients.find((x) => x.mac === MAC)!.steps.find((s) => s.kind === 'dhcp4')!;
  return { a, answers, offers: dhcp.kind === 'dhcp4' ? dhcp.offers : [] };
}

describe('two servers behind the relays, the same address or none: two answers', () => {
  // A relay copy is the server's bytes but for giaddr, hops, option 54 and 82; these differ in
  // siaddr and boot file, so whatever their yiaddr they are not one answer.
  it('server-id-override, one address reserved on both servers: two offers, dhcp.multiple-servers', () => {
    const r = twoAnswers('server-id-override', '203.0.113.50', SERVER, OTHER);
    expect(r.answers).toBe(2);
    expect(r.offers.map((o) => o.bootfile).sort()).toEqual([OTHER.file, SERVER.file].sort());
    expect(codes(r.a)).toContain('dhcp.multiple-servers');
  });

  it('BOOTP, one address from both: two answers', () => {
    expect(twoAnswers('bootp', '203.0.113.50', SERVER, OTHER).answers).toBe(2);
    expect(twoAnswers('bootp', '203.0.113.50', SERVER, SERVER).answers).toBe(1); // control: one server
  });

  it('two proxyDHCP offers (yiaddr 0, different boot files): both kept; one proxy through both relays: one', () => {
    const two = twoAnswers('server-id-override', '0.0.0.0', { ...SERVER, proxy: true }, { ...OTHER, proxy: true });
    expect(two.answers).toBe(2);
    expect(two.offers.map((o) => o.bootfile).sort()).toEqual([OTHER.file, SERVER.file].sort());
    const one = twoAnswers('server-id-override', '0.0.0.0', { ...SERVER, proxy: true }, { ...SERVER, proxy: true });
    expect(one.answers).toBe(1);
    expect(one.offers.map((o) => o.bootfile)).toEqual([SERVER.file]);
  });
});

describe('two redundant relays passing on one server\'s answer: one answer', () => {
  for (const mode of ['bootp', 'server-id-override'] as const) {
    it(`${mode}: each answer seen from both relays is counted once, and no second server is reported`, () => {
      const one = boot(mode, null);
      const { a, answers } = boot(mode);
      expect(codes(a)).not.toContain('dhcp.multiple-servers');
      expect(codes(a)).toEqual(codes(one.a));
      const c = a.clients.find((x) => x.mac === MAC)!;
      expect(c.outcome).toBe(one.a.clients.find((x) => x.mac === MAC)!.outcome);
      const dhcp = c.steps.find((s) => s.kind === 'dhcp4')!;
      expect(dhcp.kind === 'dhcp4' && dhcp.offers.length).toBe(mode === 'bootp' ? 0 : 1);
      // The client got as many answers as from one relay.
      expect(answers).toBe(one.answers);
    });
  }

  it('server-id-override: two relays passing on answers with different addresses are two servers', () => {
    const { a } = boot('server-id-override', '203.0.113.80');
    expect(codes(a)).toContain('dhcp.multiple-servers');
  });
});

/** OVMF's PXE boot against dnsmasq on its link, every DHCP answer on the wire once. */
const LAB = 'captures/lab/uefi-pxe-dnsmasq.pcapng';

/** The server's DHCP answer (UDP 67 → 68) as relay `r` passes it on to the client's link: from
 *  the relay's MAC and address, its giaddr set; with `override`, option 54 the relay's address
 *  (RFC 5107). Any other frame: null. */
function relayCopy(frame: Uint8Array, r: number, override: boolean): Uint8Array | null {
  const issues: WireIssue[] = [];
  const eth = parseEthernet(frame, issues);
  const ip = eth?.etherType === EtherType.IPV4 && eth.vlans.length === 0 ? parseIpv4(eth.payload, issues) : null;
  const udp = ip?.protocol === IpProtocol.UDP ? parseUdp(ip.payload, issues) : null;
  if (!eth || !ip || !udp || udp.srcPort !== UdpPort.DHCP_SERVER || udp.dstPort !== UdpPort.DHCP_CLIENT) return null;
  const dhcp = udp.payload.slice();
  dhcp.set(ipv4FromString(RELAYS[r]!), 24); // giaddr
  for (let i = 240; i + 1 < dhcp.length && dhcp[i] !== DhcpV4Code.END;) {
    if (dhcp[i] === DhcpV4Code.PAD) { i++; continue; }
    if (dhcp[i] === DhcpV4Code.SERVER_ID && override) dhcp.set(ipv4FromString(RELAYS[r]!), i + 2);
    i += 2 + dhcp[i + 1]!;
  }
  const src = ipv4FromString(RELAYS[r]!);
  const datagram = emitUdp({ srcPort: UdpPort.DHCP_SERVER, dstPort: UdpPort.DHCP_CLIENT }, dhcp, { src, dst: ip.dstBytes });
  const packet = emitIpv4({ ...ip, src: RELAYS[r]!, options: ip.options }, datagram);
  return emitEthernet({ ...eth, src: RELAY_MACS[r]! }, packet);
}

/** The lab capture with each answer passed on by the first relay, and with `both`, by the second
 *  3 ms later too; only the frames `keep` keeps. */
function relayedLab(override: boolean, both: boolean, keep: (frame: Uint8Array) => boolean = () => true): Uint8Array {
  const out: { time: number; data: Uint8Array }[] = [];
  for (const f of loadFrames(LAB)) {
    if (!keep(f.data)) continue;
    const first = relayCopy(f.data, 0, override);
    if (first === null) { out.push({ time: f.time, data: f.data }); continue; }
    out.push({ time: f.time, data: first });
    if (both) out.push({ time: f.time + 0.003, data: relayCopy(f.data, 1, override)! });
  }
  return ethernetPcap(out);
}

function analyzeBytes(bytes: Uint8Array): Promise<Analysis> {
  return analyzeCapture({ name: 'relayed.pcap', stream: Readable.from([Buffer.from(bytes)]) });
}

describe(`${LAB} with its answers passed on by two redundant relays`, () => {
  for (const override of [false, true]) {
    it(`option 54 ${override ? 'set to each relay (server-id-override)' : 'the server\'s'}: the analysis one relay gives`, async () => {
      const one = await analyzeBytes(relayedLab(override, false));
      const two = await analyzeBytes(relayedLab(override, true));
      expect(codes(two)).not.toContain('dhcp.multiple-servers');
      expect(codes(two)).toEqual(codes(one));
      const view = (a: Analysis) => a.clients.map((c) => [c.mac, c.outcome, c.steps.map((s) => (s.kind === 'dhcp4' ? s.offers.length : s.kind))]);
      expect(view(two)).toEqual(view(one));
    });
  }

  it('server-id-override, the client\'s frames not in the capture (one-sided): the answers counted as one relay\'s', async () => {
    const fromClient = (f: Uint8Array) => f[6] === 0x52 && f[7] === 0x54;
    const oneSided = (a: Analysis) => a.findings.filter((f) => f.code === 'capture.one-sided').map((f) => f.message);
    const one = await analyzeBytes(relayedLab(true, false, (f) => !fromClient(f)));
    const two = await analyzeBytes(relayedLab(true, true, (f) => !fromClient(f)));
    expect(oneSided(one)).toHaveLength(1);
    expect(oneSided(two)).toEqual(oneSided(one));
  });
});
