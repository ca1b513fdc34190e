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

const MAC = '52:54:00:7e:1a:01';
const RELAYS = ['203.0.113.2', '203.0.113.3'];
const RELAY_MACS = ['00:00:0c:00:00:02', '00:00:0c:00:00:03'];
const cli0: Endpoint = { addr: '0.0.0.0', port: 68, mac: MAC };
const toServers: Endpoint = { addr: '255.255.255.255', port: 67 };
const toClient: Endpoint = { addr: '255.255.255.255', port: 68, mac: 'ff:ff:ff:ff:ff:ff' };

type Mode = 'bootp' | 'server-id-override';

/** One answer, as relay `r` passes it on: BOOTP (no option 53/54) or DHCP with option 54 set to
 *  the relay's own address. `yiaddr`: the address the server behind the relay gave. */
function relayed(sim: Sim, r: number, mode: Mode, type: 'OFFER' | 'ACK', yiaddr: string, t: number): void {
  const options: DhcpV4OptionInput[] = mode === 'bootp' ? [] : [{ code: 53, value: type }, { code: 54, value: RELAYS[r]! }, { code: 51, value: 600 }];
  const reply: DhcpV4BuildInput = { op: 2, xid: 0x5e1, chaddr: MAC, giaddr: RELAYS[r], yiaddr, siaddr: '198.51.100.1', file: 'snponly.efi', options };
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
