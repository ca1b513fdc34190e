/**
 * Blind spots of the capture are not failures of the network: real captures turned one-sided
 * (only the client's frames, only the servers' answers) and cut to a 96-byte snap length, the way
 * field captures arrive, by tshark/editcap. Their boots are left unjudged with the capture finding
 * that says why, one device each; a server that is really silent still fails the boot.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTshark } from '../../test/helpers/tshark.js';
import { CAPTURES, ROOT } from '../../test/helpers/paths.js';
import { analyzeCapture } from './capture.js';
import { renderAnalysisText } from '../report/analyze-text.js';
import type { Analysis } from './types.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { ethernetPcap } from '../../test/helpers/splice.js';
import { PcapWriter } from '../capture/writer.js';
import { LinkType } from '../wire/link-type.js';
import { EtherType, emitEthernet, parseEthernet, type EthernetFrame } from '../wire/ethernet.js';
import { emitIpv4, parseIpv4, type Ipv4Packet } from '../wire/ipv4.js';
import { emitTcp, parseTcp, TcpFlag, type TcpSegment } from '../wire/tcp.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { TcpPort } from '../wire/ports.js';
import type { WireIssue } from '../wire/issues.js';
import { onesSum } from '../wire/bytes.js';
import { finishChecksum } from '../wire/checksum.js';

const FIELD = join(CAPTURES, 'field', 'os-then-two-boots.pcapng');
const CLIENT = '52:54:00:0f:00:01';
/** Its DHCPv4 is never answered (a DHCPv6-only lab), the client's DISCOVERs only. */
const SILENT = join(CAPTURES, 'lab-v6', 'uefi-pxe6-kea.pcapng');
const PHONE = join(CAPTURES, 'field', 'phone-cisco-tftp.pcap');
const IPXE = join(CAPTURES, 'lab', 'bios-ipxe-dnsmasq.pcap');
const MISSING_FILE = join(CAPTURES, 'lab', 'broken-missing-tftp-file.pcapng');
const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-blind-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
}

function snapped(from: string, snap: number, name: string): string {
  const out = join(tmp, `${name}.s${snap}.pcapng`);
  run('editcap', ['-s', String(snap), from, out]);
  return out;
}

function filtered(from: string, filter: string, name: string): string {
  const out = join(tmp, name);
  run('tshark', ['-r', from, '-Y', filter, '-w', out]);
  return out;
}

/** The capture's frames, then a RST|ACK from the HTTP server right after its last body segment
 *  (sequence number where that segment ended): the server reset the download mid-body. */
function withServerReset(file: string): Uint8Array {
  const frames = loadFrames(file);
  const body = serverBody(frames);
  const last = body[body.length - 1] ?? null;
  expect(last).not.toBeNull();
  const { eth, ip, tcp } = last!;
  const rst = emitTcp({ srcPort: tcp.srcPort, dstPort: tcp.dstPort, seq: (tcp.seq + tcp.payload.length) >>> 0, ack: tcp.ack, flags: TcpFlag.RST | TcpFlag.ACK, window: 0, urgent: 0 },
    new Uint8Array(0), { src: ip.srcBytes, dst: ip.dstBytes });
  const frame = emitEthernet(eth, emitIpv4({ dscp: 0, ecn: 0, identification: 1, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.TCP, src: ip.src, dst: ip.dst }, rst));
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c.slice()), LinkType.ETHERNET, { snaplen: 65535 });
  for (const f of frames) w.writePacket(f.time, f.data);
  w.writePacket(last!.time + 0.001, frame);
  return Buffer.concat(chunks);
}

/** The HTTP server's body segments of the capture, in order. */
function serverBody(frames: ReturnType<typeof loadFrames>): { frame: number; time: number; eth: EthernetFrame; ip: Ipv4Packet; tcp: TcpSegment }[] {
  const out: { frame: number; time: number; eth: EthernetFrame; ip: Ipv4Packet; tcp: TcpSegment }[] = [];
  for (const f of frames) {
    const issues: WireIssue[] = [];
    const eth = parseEthernet(f.data, issues);
    const ip = eth?.etherType === EtherType.IPV4 ? parseIpv4(eth.payload, issues) : null;
    const tcp = ip?.protocol === IpProtocol.TCP ? parseTcp(ip.payload, issues) : null;
    if (eth && ip && tcp && tcp.srcPort === TcpPort.HTTP && tcp.payload.length > 0) out.push({ frame: f.frame, time: f.time, eth, ip, tcp });
  }
  return out;
}

/** The capture without two of the server's body segments in the middle (the capture lost them). */
function withBodyGap(file: string): Uint8Array {
  const frames = loadFrames(file);
  const body = serverBody(frames);
  expect(body.length).toBeGreaterThan(6);
  const lost = new Set([body[body.length >> 1]!.frame, body[(body.length >> 1) + 1]!.frame]);
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c.slice()), LinkType.ETHERNET, { snaplen: 65535 });
  for (const f of frames) if (!lost.has(f.frame)) w.writePacket(f.time, f.data);
  return Buffer.concat(chunks);
}

const codes = (a: Analysis): string[] => a.findings.map((f) => f.code);
const errors = (a: Analysis): string[] => a.findings.filter((f) => f.severity === 'error').map((f) => f.code);

describe.skipIf(!hasTshark())('blind spots of the capture (real captures, cut by tshark/editcap)', () => {
  let whole: Analysis;
  beforeAll(async () => {
    whole = await analyzeCapture(FIELD);
  });

  it('client frames only: one device (no ip: twin), unjudged with capture.one-sided naming the evidence, no error', async () => {
    const a = await analyzeCapture(filtered(FIELD, `eth.src==${CLIENT}`, 'oneway.pcapng'));
    expect(a.clients.map((c) => c.mac)).toEqual([CLIENT]);
    const c = a.clients[0]!;
    expect(c.outcome).toBe('incomplete');
    expect(c.blindSpot).toBe('capture.one-sided');
    expect(c.attempts.filter((x) => x.outcome !== 'not-a-boot').every((x) => x.blindSpot === 'capture.one-sided')).toBe(true);
    expect(errors(a)).toEqual([]);
    expect(codes(a)).not.toContain('dhcp.no-offer');
    expect(codes(a)).not.toContain('tftp.timeout');
    const f = a.findings.filter((x) => x.code === 'capture.one-sided');
    expect(f).toHaveLength(1);
    expect(f[0]!.client).toBeNull();
    // The address and server it used, from an answer the capture does not hold.
    expect(f[0]!.message).toContain('198.51.100.175');
    expect(f[0]!.message).toContain('server 198.51.100.1');
    expect(f[0]!.message).toMatch(/\d+ requests and no answer from any server/);
    // Its TFTP and HTTP steps stay on it, as in the whole capture.
    const kinds = (x: Analysis): string[] => [...new Set(x.clients[0]!.steps.map((s) => s.kind))].sort();
    expect(kinds(a)).toEqual(kinds(whole));
  });

  it('server answers only: unjudged with capture.one-sided, not a failure nor an OS', async () => {
    const a = await analyzeCapture(filtered(FIELD, `eth.dst==${CLIENT}`, 'server-only.pcapng'));
    expect(a.clients).toHaveLength(1);
    const c = a.clients[0]!;
    expect(c.role).toBe('boot');
    expect(c.outcome).toBe('incomplete');
    expect(c.blindSpot).toBe('capture.one-sided');
    expect(errors(a)).toEqual([]);
    expect(a.findings.find((x) => x.code === 'capture.one-sided')?.message).toMatch(/answers from servers and sent no request/);
  });

  it('server answers only, one answer type repeated for each retransmission of the same xid: capture.one-sided, not an OS with an OFFER that failed', async () => {
    for (const name of ['broken-no-bootfile.pcapng', 'proxydhcp-only.pcapng']) {
      const a = await analyzeCapture(filtered(join(CAPTURES, 'lab', name), 'udp.srcport==67||udp.srcport==4011', `srv-${name}`));
      expect(a.findings.map((x) => x.code), name).toContain('capture.one-sided');
      expect(a.clients.map((c) => c.outcome), name).toEqual(['incomplete']);
      expect(errors(a), name).toEqual([]);
    }
  });

  it('snap length 96: one capture.snaplen naming it and what it hides (not "the capture ends"), booted as whole from the TCP sequence space, no per-client decode.malformed, TFTP sizes from headers', async () => {
    const s96 = join(tmp, 's96.pcapng');
    run('editcap', ['-s', '96', FIELD, s96]);
    const a = await analyzeCapture(s96);
    const snap = a.findings.filter((x) => x.code === 'capture.snaplen');
    expect(snap).toHaveLength(1);
    expect(snap[0]!.client).toBeNull();
    expect(snap[0]!.message).toContain('96 bytes');
    expect(snap[0]!.message).toContain('DHCP options are not in the capture');
    expect(snap[0]!.message).toContain('tcpdump -s 0');
    expect(a.findings.filter((x) => x.code === 'decode.malformed')).toEqual([]);
    expect(a.clients.map((c) => c.mac)).toEqual([CLIENT]);
    const c = a.clients[0]!;
    // The HTTP bodies are cut, but the TCP sequence space and the client's ACKs show the kernel
    // delivered (the server went on to the next response): booted, as the whole capture reads.
    expect(c.outcome).toBe(whole.clients[0]!.outcome);
    expect(c.outcome).toBe('booted');
    expect(c.blindSpot ?? null).toBeNull();
    expect(errors(a)).toEqual([]);
    const tftpBytes = (x: Analysis): number[] => x.clients[0]!.steps.flatMap((s) => (s.kind === 'tftp' && !s.probe ? [s.bytes] : []));
    expect(tftpBytes(a)).toEqual(tftpBytes(whole));
    expect(tftpBytes(a).every((b) => b === 173792)).toBe(true);
  });

  it('a server that is really silent (DISCOVERs only, no address ever used) stays dhcp.no-offer, an error', async () => {
    const a = await analyzeCapture(filtered(SILENT, 'dhcp', 'no-offer.pcapng'));
    expect(a.clients).toHaveLength(1);
    const c = a.clients[0]!;
    expect(c.outcome).toBe('failed');
    expect(c.rootCause).toBe('dhcp.no-offer');
    expect(c.blindSpot).toBeUndefined();
    expect(errors(a)).toContain('dhcp.no-offer');
    expect(codes(a)).not.toContain('capture.one-sided');
  });

  // TFTP seen one way: the client's ACKs (of DATA, or of the OACK to a request with options) went
  // to a server port only an answer could have told it, so that answer exists; the capture lacks it.
  const RENEW = join(CAPTURES, 'field', 'os-renew-then-boot.pcapng');
  const MTU_LOST = join(CAPTURES, 'lab', 'mtu-tftp-8192-lost.pcapng');
  const MTU_CLIENT = '52:54:00:00:f0:01';
  it('client frames only of a boot with a tsize probe: its TFTP ACKs and ERROR show the unseen answers, no tftp.timeout, unjudged', async () => {
    const a = await analyzeCapture(filtered(RENEW, `eth.src==${CLIENT}`, 'tftp-oneway-renew.pcapng'));
    expect(errors(a)).toEqual([]);
    expect(codes(a)).not.toContain('tftp.timeout');
    expect(codes(a)).toContain('capture.one-sided');
    const tftp = a.clients.filter((c) => c.steps.some((s) => s.kind === 'tftp'));
    expect(tftp.length).toBeGreaterThan(0);
    for (const c of tftp) {
      expect(c.outcome).toBe('incomplete');
      expect(c.blindSpot).toBe('capture.one-sided');
    }
    // A tsize probe the client ended with ERROR 8 after an OACK the capture lacks is still a probe.
    expect(tftp.flatMap((c) => c.steps).some((s) => s.kind === 'tftp' && s.probe)).toBe(true);
  });

  // The client ACKs the OACK (block 0) again and again and never block 1: its own side proves DATA 1
  // never reached it (the 8192-byte blocks were lost as fragments), whatever the server sent.
  it.each([['with its DHCP', `eth.src==${MTU_CLIENT}`], ['TFTP only', `eth.src==${MTU_CLIENT} && !dhcp`]])('client frames only, %s: a repeated ACK of the OACK and nothing after it stays tftp.timeout, an error', async (what, filter) => {
    const a = await analyzeCapture(filtered(MTU_LOST, filter, `tftp-oack-stall-${what.length}.pcapng`));
    expect(errors(a)).toContain('tftp.timeout');
    const c = a.clients.find((x) => x.steps.some((s) => s.kind === 'tftp'))!;
    expect(c.outcome).toBe('failed');
  });

  it('server answers only: two servers offering to one DISCOVER within milliseconds are two answers, capture.one-sided', async () => {
    // The two OFFERs of broken-two-dhcp-servers (dnsmasq's ping check held the second 3 s); here
    // the second server answers 5 ms after the first, as one without a ping check does.
    const offers = loadFrames(filtered(join(CAPTURES, 'lab', 'broken-two-dhcp-servers.pcapng'), 'dhcp.option.dhcp == 2', 'two-offers.pcapng'));
    expect(offers).toHaveLength(2);
    const out = join(tmp, 'two-offers-5ms.pcap');
    writeFileSync(out, ethernetPcap([offers[0]!, { time: offers[0]!.time + 0.005, data: offers[1]!.data }]));
    const a = await analyzeCapture(out);
    expect(a.findings.find((x) => x.code === 'capture.one-sided')?.message).toMatch(/got 2 answers from servers and sent no request/);
    expect(a.clients.map((c) => c.outcome)).toEqual(['incomplete']);
    expect(errors(a)).toEqual([]);
  });

  it('a TFTP request repeated with no answer and nothing acted on one stays tftp.timeout, an error', async () => {
    const a = await analyzeCapture(filtered(MTU_LOST, `eth.src==${MTU_CLIENT} && !tftp.opcode==4`, 'tftp-unanswered.pcapng'));
    expect(errors(a)).toContain('tftp.timeout');
    const tftp = a.clients.filter((c) => c.steps.some((s) => s.kind === 'tftp'));
    expect(tftp.length).toBeGreaterThan(0);
    expect(tftp.some((c) => c.blindSpot === 'capture.one-sided')).toBe(false);
  });

  it('a failed entry, then the next entry\'s download under way when the capture stops: the failure is a warning, the boot unjudged', async () => {
    const file = join(CAPTURES, 'field', 'boot-order-fallthrough.pcapng');
    const out = join(tmp, 'fallthrough-short.pcapng');
    // The first two thirds of the frames (the capture stopped early): the TFTP file-not-found, the
    // fall-through to UEFI HTTP boot, and its GET of snponly.efi cut by the end of the capture.
    const frames = Number(/(\d+)\s*$/.exec(spawnSync('capinfos', ['-c', '-M', file], { encoding: 'utf8' }).stdout)![1]);
    run('editcap', ['-r', file, out, `1-${Math.floor((frames * 2) / 3)}`]);
    const a = await analyzeCapture(out);
    const c = a.clients.find((x) => x.mac === CLIENT)!;
    expect(c.outcome).not.toBe('failed');
    expect(errors(a)).toEqual([]);
    expect(a.findings.filter((f) => f.code === 'tftp.error').map((f) => f.severity)).toEqual(['warning']);

    // The same, but the server resets the connection inside the body before the capture ends: the
    // later download ended short, it rescues nothing: the file-not-found stays the error it was.
    const reset = join(tmp, 'fallthrough-reset.pcap');
    writeFileSync(reset, withServerReset(out));
    const r = await analyzeCapture(reset);
    expect(r.clients.find((x) => x.mac === CLIENT)!.outcome).toBe('failed');
    expect(r.findings.filter((f) => f.code === 'tftp.error').map((f) => f.severity)).toEqual(['error']);

    // Segments the capture lost inside the body are no end of the download: still unjudged.
    const gap = join(tmp, 'fallthrough-gap.pcap');
    writeFileSync(gap, withBodyGap(out));
    const g = await analyzeCapture(gap);
    expect(g.clients.find((x) => x.mac === CLIENT)!.outcome).not.toBe('failed');
    expect(g.findings.filter((f) => f.code === 'tftp.error').map((f) => f.severity)).toEqual(['warning']);
  });

  // Boots that worked, of several kinds (HTTP boot after a failed PXE entry, BIOS iPXE, proxyDHCP,
  // UEFI HTTP boot over IPv6): seen one way or cut short, none is ever a failure or "not a boot".
  const BOOTED = ['field/boot-order-fallthrough.pcapng', 'lab/bios-ipxe-dnsmasq.pcap', 'lab/proxydhcp-with-kea.pcapng', 'lab-v6/uefi-http6-kea.pcapng'];
  it.each(BOOTED)('%s: its one-way, server-only and snap-96 variants are never judged failed', async (name) => {
    const file = join(CAPTURES, name);
    const orig = await analyzeCapture(file);
    const macs = orig.clients.filter((c) => c.role === 'boot').map((c) => c.mac);
    expect(orig.clients.filter((c) => c.role === 'boot').map((c) => c.outcome)).toEqual(macs.map(() => 'booted'));
    const base = name.replace(/\W/g, '_');
    const s96 = join(tmp, `${base}.s96.pcapng`);
    run('editcap', ['-s', '96', file, s96]);
    const variants: [string, string][] = [
      ['one-way', filtered(file, macs.map((m) => `eth.src==${m}`).join(' || '), `${base}.oneway.pcapng`)],
      ['server-only', filtered(file, macs.map((m) => `eth.dst==${m}`).join(' || '), `${base}.server.pcapng`)],
      ['snap 96', s96],
    ];
    for (const [what, v] of variants) {
      const a = await analyzeCapture(v);
      for (const mac of macs) {
        const c = a.clients.find((x) => x.mac === mac);
        expect(c, `${what}: ${mac}`).toBeDefined();
        expect([what, c!.outcome === 'booted' || (c!.outcome === 'incomplete' && c!.blindSpot !== undefined)]).toEqual([what, true]);
      }
      expect(a.clients.filter((c) => c.mac.startsWith('ip:')).map((c) => `${what}: ${c.mac}`)).toEqual([]);
    }
  });

  it('a cut that leaves every client\'s xid and chaddr (snap 96, 200) still shows no OFFER came: dhcp.no-offer stays; a cut before chaddr (64) hides it', async () => {
    const dhcp = filtered(SILENT, 'dhcp', 'silent-dhcp.pcapng');
    for (const snap of [96, 200]) {
      const a = await analyzeCapture(snapped(dhcp, snap, 'silent'));
      expect([snap, codes(a)]).toEqual([snap, expect.arrayContaining(['dhcp.no-offer', 'capture.snaplen'])]);
    }
    // A request whose type was cut and that the client never repeated may be a DECLINE (RFC 2131
    // §4.4.3: no answer comes): no dhcp.no-offer for it.
    const decline = await analyzeCapture(snapped(join(CAPTURES, 'field', 'decline-and-wrq.pcapng'), 200, 'decline'));
    expect(codes(decline)).not.toContain('dhcp.no-offer');
    const s64 = await analyzeCapture(snapped(dhcp, 64, 'silent'));
    expect(codes(s64)).not.toContain('dhcp.no-offer');
    expect(s64.findings.find((f) => f.code === 'capture.snaplen')?.message).toContain('cut before the client they concern can be told');
  });

  it('cut fragments of unrelated UDP (a big syslog datagram between two other hosts) do not hide a missing OFFER, with or without their first fragment', async () => {
    const frags = join(ROOT, 'test', 'fixtures', 'cut-fragments', 'syslog-fragments.pcap');
    const dhcp = filtered(SILENT, 'dhcp', 'silent-for-frags.pcapng');
    const merged = join(tmp, 'silent-syslog.pcapng');
    run('mergecap', ['-w', merged, dhcp, frags]);
    // Without the first fragments (the capture began between them, or a filter dropped them):
    // judged by their addresses, which are no DHCP server's, broadcast or boot device's.
    const later = filtered(merged, 'dhcp || ip.frag_offset > 0', 'silent-syslog-later.pcapng');
    for (const [what, file] of [['whole datagrams', merged], ['later fragments only', later]] as const) {
      for (const snap of [96, 200]) {
        const a = await analyzeCapture(snapped(file, snap, what.replace(/\W/g, '_')));
        const snapF = a.findings.find((f) => f.code === 'capture.snaplen');
        expect([what, snap, snapF?.message]).toEqual([what, snap, expect.not.stringContaining('cut before the client they concern can be told')]);
        expect([what, snap, codes(a)]).toEqual([what, snap, expect.arrayContaining(['dhcp.no-offer', 'capture.snaplen'])]);
      }
    }
  });

  it('cut later fragments sent to broadcast are cleared by their first fragment\'s ports (syslog), and only by them', async () => {
    const frags = join(ROOT, 'test', 'fixtures', 'cut-fragments', 'broadcast-syslog-fragments.pcap');
    const merged = join(tmp, 'silent-bcast.pcapng');
    run('mergecap', ['-w', merged, filtered(SILENT, 'dhcp', 'silent-for-bcast.pcapng'), frags]);
    const whole = await analyzeCapture(snapped(merged, 96, 'bcast'));
    expect(codes(whole)).toEqual(expect.arrayContaining(['dhcp.no-offer', 'capture.snaplen']));
    // Broadcast is where an answer may go: later fragments whose first one is missing may hold one.
    const later = await analyzeCapture(snapped(filtered(merged, 'dhcp || ip.frag_offset > 0', 'bcast-later.pcapng'), 96, 'bcast-later'));
    expect(codes(later)).not.toContain('dhcp.no-offer');
    expect(later.findings.find((f) => f.code === 'capture.snaplen')?.message).toContain('cut before the client they concern can be told');
  });

  it('an unanswered client is judged by what the cut left of its identity: at 96 nothing (no options survive, role unknown: a warning), at 300 iPXE\'s arch (option 93: a boot client) — dhcp.no-offer fails it', async () => {
    const dhcp = filtered(SILENT, 'dhcp', 'silent-identity.pcapng');
    const s96 = await analyzeCapture(snapped(dhcp, 96, 'silent-identity'));
    expect(s96.clients[0]).toMatchObject({ outcome: 'incomplete', blindSpot: 'capture.snaplen' });
    expect(s96.findings.filter((f) => f.code === 'dhcp.no-offer').map((f) => f.severity)).not.toContain('error');
    // EDK2 sends 53, 57, 55... (its arch comes late: cut); iPXE sends 53, 57, 93 first.
    const s300 = await analyzeCapture(snapped(dhcp, 300, 'silent-identity'));
    expect(s300.clients[0]).toMatchObject({ role: 'boot', outcome: 'failed', rootCause: 'dhcp.no-offer', arch: 7 });
    expect(errors(s300)).toContain('dhcp.no-offer');
    expect(s300.clients[0]!.steps.filter((x) => x.kind === 'dhcp4').map((x) => x.cut)).toEqual(['identity', 'identity']);
  });

  it('iPXE\'s DHCP cut after its option 93 (snap 300) continues the boot that fetched it: not a firmware reboot, no second attempt', async () => {
    for (const file of [join(CAPTURES, 'lab', 'proxydhcp-with-kea.pcapng'), join(CAPTURES, 'field', 'proxy-reply-from-67-booted.pcapng')]) {
      const a = await analyzeCapture(snapped(file, 300, 'ipxe-after-nbp'));
      const c = a.clients.find((x) => x.role === 'boot')!;
      // Booted as whole: the cut HTTP bodies' delivery shows in the TCP sequence space.
      expect([file, c.attempts.length, c.outcome]).toEqual([file, 1, 'booted']);
      const dhcp4 = c.steps.filter((x) => x.kind === 'dhcp4');
      expect(dhcp4.length).toBe(2);
      // The second DHCP follows the boot program's fetch: iPXE's, never the firmware's.
      expect(dhcp4[1]).toMatchObject({ cut: 'identity', stage: 'ipxe' });
      expect(codes(a).filter((x) => x === 'dhcp.multiple-servers').length).toBe(1);
      expect(errors(a)).toEqual([]);
    }
  });

  it('a cut that took the requests\' identity leaves a failure unjudged; one that took only later options (iPXE\'s tail) keeps the stage', async () => {
    const s96 = await analyzeCapture(snapped(MISSING_FILE, 96, 'missing-file'));
    expect(s96.clients[0]).toMatchObject({ outcome: 'incomplete', blindSpot: 'capture.snaplen' });
    // iPXE sends 53, 57, 93, 94, 60, 77 first: a snap of 446 takes only the tail of its REQUEST.
    const tail = await analyzeCapture(snapped(IPXE, 446, 'ipxe'));
    const dhcp4 = tail.clients[0]!.steps.filter((x) => x.kind === 'dhcp4');
    expect(dhcp4.map((x) => [x.stage, x.cut])).toEqual([['ipxe', 'options']]);
    const ipxe96 = await analyzeCapture(snapped(IPXE, 96, 'ipxe'));
    expect(ipxe96.clients[0]!.steps.filter((x) => x.kind === 'dhcp4').map((x) => x.cut)).toEqual(['identity']);
  });

  it('a reply whose type the snap length cut is a reply of unknown type, not an ACK: a REQUEST nobody ACKed stays unjudged (not passed), a real NAK reads as probably one', async () => {
    // The PXE client's ACK and all after it left out of a field capture: its REQUEST unanswered.
    const pxe = '52:54:00:0f:00:01';
    const noAck = filtered(join(CAPTURES, 'field', 'boot-among-other-clients.pcapng'),
      `frame.number<=43 || !(eth.addr==${pxe} || dhcp.hw.mac_addr==${pxe} || ip.addr==198.51.100.175)`, 'no-ack.pcapng');
    const orig = await analyzeCapture(noAck);
    expect(orig.clients.find((c) => c.mac === pxe)).toMatchObject({ outcome: 'failed', rootCause: 'dhcp.no-ack' });
    for (const snap of [96, 200]) {
      const a = await analyzeCapture(snapped(noAck, snap, 'no-ack'));
      const c = a.clients.find((x) => x.mac === pxe)!;
      expect([snap, c.outcome, c.blindSpot]).toEqual([snap, 'incomplete', 'capture.snaplen']);
      const dhcp4 = c.steps.filter((x) => x.kind === 'dhcp4');
      // Its server's one reply (the OFFER) proves an answer came, not that the REQUEST got one.
      expect([snap, dhcp4.map((x) => x.ok)]).toEqual([snap, [false]]);
      expect(dhcp4[0]!.messages).toContain('reply (type cut)');
      expect(codes(a)).not.toContain('dhcp.no-offer');
      expect(errors(a)).toEqual([]);
    }
    // A desktop NAKed once, then ACKed (Zeek's DHCP test capture): at snap 96 its NAK (yiaddr 0
    // answering a request after an OFFER) is probably a NAK, the other replies unknown.
    const nak = await analyzeCapture(snapped(join(CAPTURES, 'public', 'zeek', 'dhcp.pcap'), 96, 'zeek-nak'));
    const first = nak.clients[0]!.steps[0]!;
    expect(first.kind === 'dhcp4' && first.messages.filter((m) => m.startsWith('reply'))).toEqual(['reply (type cut)', 'reply (type cut, probably NAK)', 'reply (type cut)']);
    expect(first.ok).toBe(false);
  });

  it('a proxyDHCP offer answering a DISCOVER sent again is no "probably NAK": only a server that gave the step an address may NAK it', async () => {
    // proxydhcp-with-kea: DISCOVER (frame 4), Kea's OFFER (5), the proxy's (7). Its DISCOVER sent
    // again 1 s later, everything after it 1.5 s later: the proxy's yiaddr-0 OFFER answers the
    // second DISCOVER, after Kea's reply.
    const kea = join(CAPTURES, 'lab', 'proxydhcp-with-kea.pcapng');
    const part = (name: string, frames: string, shift: number): string => {
      const cutOut = join(tmp, `resend-${name}.pcapng`);
      run('editcap', ['-r', kea, cutOut, frames]);
      if (shift === 0) return cutOut;
      const shifted = join(tmp, `resend-${name}-t.pcapng`);
      run('editcap', ['-t', String(shift), cutOut, shifted]);
      return shifted;
    };
    const merged = join(tmp, 'resend.pcapng');
    run('mergecap', ['-w', merged, part('head', '1-5', 0), part('again', '4', 1), part('tail', '6-100000', 1.5)]);
    const a = await analyzeCapture(snapped(merged, 96, 'resend'));
    const messages = a.clients.flatMap((c) => c.steps.flatMap((x) => (x.kind === 'dhcp4' ? x.messages : [])));
    expect(messages).toContain('reply (type cut)');
    expect(messages.filter((m) => m.includes('probably NAK'))).toEqual([]);
  });

  it('cut DHCP reads as cut, not as an OS or as missing: a booted phone\'s DHCP cut by snap 96 and 200', async () => {
    for (const snap of [96, 200]) {
      const a = await analyzeCapture(snapped(PHONE, snap, 'phone'));
      const c = a.clients[0]!;
      expect(c.outcome).toBe('booted');
      const dhcp4 = c.steps.filter((x) => x.kind === 'dhcp4');
      expect(dhcp4.length).toBeGreaterThan(0);
      expect(dhcp4.every((x) => x.cut === 'identity')).toBe(true);
      expect(dhcp4.flatMap((x) => x.messages).filter((m) => m === 'BOOTREQUEST' || m === 'BOOTREPLY')).toEqual([]);
      const text = renderAnalysisText(a).join('\n');
      expect(text).not.toContain('its DHCP is not in the capture');
      expect(text).not.toContain('dhcp4 (os)');
      expect(text).toContain('its DHCP options were cut by the snap length');
      expect(text).toContain('dhcp4 (DHCP, options cut by the snap length)');
    }
  });

  // UEFI falls through its boot order: PXE over IPv4 (TFTP ERROR 1), PXE over IPv6 (no server),
  // then HTTP boot, which boots. Cut, the DHCP no longer says which entry sent it and HTTP is gone.
  const FALLTHROUGH = join(CAPTURES, 'field', 'boot-order-fallthrough.pcapng');
  it('a failure the device went on from with DHCP whose identity the cut took (snap 96, 200): the HTTP boot of the next entry read from the TCP sequence space — booted, no error; the failure seen whole is still a warning', async () => {
    const orig = await analyzeCapture(FALLTHROUGH);
    expect(orig.clients[0]!.outcome).toBe('booted');
    expect(orig.findings.find((f) => f.code === 'tftp.error')?.severity).toBe('warning');
    for (const snap of [96, 200]) {
      const a = await analyzeCapture(snapped(FALLTHROUGH, snap, 'fallthrough'));
      const c = a.clients.find((x) => x.mac === CLIENT)!;
      // The HTTP boot's bodies are cut, but their delivery shows in the TCP sequence space and
      // the client's ACKs: booted, as whole, and the TFTP failure it went on from only a warning.
      expect(c.outcome, `snap ${snap}`).toBe('booted');
      expect(errors(a), `snap ${snap}`).toEqual([]);
      expect(a.findings.find((f) => f.code === 'tftp.error')?.severity, `snap ${snap}`).toBe('warning');
    }
  });

  // At 54 bytes a TFTP request and OACK keep 12 bytes: "snponly.ef", the OACK's "tsize\0" plus the
  // first digits of a value. What the cut took was neither asked for nor refused.
  it('a request and OACK cut inside their options (snap 54): no block size read from a cut value, no option called ignored, the tsize probe still a probe', async () => {
    const a = await analyzeCapture(snapped(FIELD, 54, 'tftp-options'));
    const tftp = a.clients[0]!.steps.flatMap((s) => (s.kind === 'tftp' ? [s] : []));
    const transfers = tftp.filter((s) => !s.probe);
    expect(transfers.length).toBe(2);
    for (const s of transfers) expect([s.complete, s.bytes, s.blksize]).toEqual([true, 173792, 1468]);
    expect(tftp.filter((s) => s.probe).length).toBe(2);
    expect(codes(a)).not.toContain('tftp.option-ignored');
    expect(errors(a)).toEqual([]);
  });

  it('the same cut, the failure the last thing the device did: it stands (a TFTP ERROR seen whole)', async () => {
    const a = await analyzeCapture(snapped(MISSING_FILE, 96, 'missing-last'));
    expect(errors(a)).toContain('tftp.error');
    // PXE over IPv6 gets no boot file URL, then HTTP boot's DISCOVERs (identity cut) go unanswered:
    // an entry no server answered cannot have worked unseen.
    const v6 = await analyzeCapture(snapped(join(CAPTURES, 'lab-v6', 'uefi-pxe6-kea-no-bootfile.pcapng'), 200, 'no-bootfile'));
    expect(errors(v6)).toContain('dhcp6.no-bootfile-url');
  });

  // The device got its ERROR, then ran its own DORA again (a new xid) 12 s later and went quiet:
  // cut, that DHCP no longer says which entry sent it, but nothing followed it for 40 s in a
  // capture with transfers: it led nowhere, and the ERROR stands.
  it('a failure followed only by answered DHCP whose identity the cut took, then silence (snap 96): the failure stands', async () => {
    const frames = loadFrames(MISSING_FILE);
    const dora = [7, 12, 13, 14].map((n) => frames[n - 1]!);
    const again = dora.map((f) => {
      const data = f.data.slice();
      new DataView(data.buffer).setUint32(14 + 20 + 8 + 4, 0x11223344); // xid
      new DataView(data.buffer).setUint16(14 + 20 + 6, 0); // UDP checksum: none (IPv4)
      return { time: f.time + 12, data };
    });
    const out = join(tmp, 'missing-redhcp.pcap');
    writeFileSync(out, ethernetPcap([...frames.map((f) => ({ time: f.time, data: f.data })), ...again]));
    const whole = await analyzeCapture(out);
    expect(errors(whole)).toContain('tftp.error');
    const a = await analyzeCapture(snapped(out, 96, 'missing-redhcp'));
    expect(a.clients[0]!.steps.filter((s) => s.kind === 'dhcp4' && s.cut === 'identity').length).toBe(2);
    expect(errors(a)).toContain('tftp.error');
  });

  // Kea's lab boot, cut short after its second request: the client aborts that one too (ERROR 8
  // after an OACK of blksize alone) and asks for nothing more. Its request cut at 80 bytes, the
  // whole OACK says tsize was not asked (a server acknowledges only what was): a refusal, not a probe.
  it('an option refusal after a request the cut took options from (snap 80): a tsize probe only if a whole OACK carries tsize or the file is asked for again', async () => {
    const frames = loadFrames(join(CAPTURES, 'lab', 'uefi-pxe-kea.pcapng'));
    const [abort, oack] = [frames[14]!, frames[16]!];
    const again = abort.data.slice();
    const v = new DataView(again.buffer);
    const oackPorts = new DataView(oack.data.buffer, oack.data.byteOffset);
    v.setUint16(34, oackPorts.getUint16(36)); // from the client's new port
    v.setUint16(36, oackPorts.getUint16(34)); // to the server's transfer port
    v.setUint16(40, 0); // UDP checksum: none (IPv4)
    const out = join(tmp, 'kea-refuse.pcap');
    writeFileSync(out, ethernetPcap([...frames.slice(0, 17).map((f) => ({ time: f.time, data: f.data })), { time: oack.time + 0.0013, data: again }]));
    for (const file of [out, snapped(out, 80, 'kea-refuse')]) {
      const a = await analyzeCapture(file);
      expect(errors(a), file).toContain('tftp.error');
      const tftp = a.clients[0]!.steps.flatMap((s) => (s.kind === 'tftp' ? [s] : []));
      expect(tftp.map((s) => s.probe), file).toEqual([true, false]);
    }
    // The lab boot itself at 54 and 80 bytes: each abort asked for the file again, each a probe.
    const s80 = await analyzeCapture(snapped(join(CAPTURES, 'lab', 'uefi-pxe-kea.pcapng'), 80, 'kea'));
    expect(errors(s80)).toEqual([]);
  });

  // The request cut at 80 bytes, the OACK (blksize=1468) whole: the block size is known, and a
  // first block 8 bytes longer is the server's, not a sign the cut hid a larger one.
  it('a block longer than the blksize a whole OACK gave (request cut, snap 80): the negotiated block size stays', async () => {
    const frames = loadFrames(join(CAPTURES, 'lab', 'uefi-pxe-kea.pcapng'));
    const first = frames[18]!.data;
    const longer = new Uint8Array(first.length + 8);
    longer.set(first);
    const v = new DataView(longer.buffer);
    v.setUint16(16, v.getUint16(16) + 8); // IPv4 total length
    v.setUint16(24, 0);
    v.setUint16(24, finishChecksum(onesSum(longer.subarray(14, 34))));
    v.setUint16(38, v.getUint16(38) + 8); // UDP length
    v.setUint16(40, 0); // UDP checksum: none
    const out = join(tmp, 'kea-longer.pcap');
    writeFileSync(out, ethernetPcap(frames.map((f, i) => ({ time: f.time, data: i === 18 ? longer : f.data }))));
    const a = await analyzeCapture(snapped(out, 80, 'kea-longer'));
    const transfer = a.clients[0]!.steps.flatMap((s) => (s.kind === 'tftp' && !s.probe ? [s] : []))[0]!;
    expect(transfer.blksize).toBe(1468);
  });

  it('the whole captures keep their verdicts: no blind spot where both sides are there', async () => {
    expect(whole.clients.map((c) => [c.mac, c.outcome, c.blindSpot])).toEqual([[CLIENT, 'booted', undefined]]);
    expect(codes(whole)).not.toContain('capture.one-sided');
    const silent = await analyzeCapture(SILENT);
    expect(codes(silent)).toContain('dhcp.no-offer');
    expect(codes(silent)).not.toContain('capture.one-sided');
    expect(silent.clients.every((c) => c.blindSpot === undefined)).toBe(true);
  });
});
