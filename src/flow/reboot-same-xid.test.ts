import { describe, it, expect } from 'vitest';
import { macFromString } from '../wire/bytes.js';
import { Sim, ROUTER_MAC, SERVER, pxeOptions, tftpRead, type Endpoint } from './sim.test-kit.js';

const MAC = '52:54:00:00:0e:f7';
const cli: Endpoint = { addr: 'fe80::5054:ff:fe00:ef7', port: 546, mac: MAC };
const all: Endpoint = { addr: 'ff02::1:2', port: 547, mac: '33:33:00:01:00:02' };
const srv: Endpoint = { addr: 'fe80::1', port: 547, mac: ROUTER_MAC };
const duid = { code: 1 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString(MAC) } };
const sduid = { code: 2 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString(ROUTER_MAC) } };
const arch = { code: 61 as const, value: [7] };
const url = { code: 59 as const, value: 'tftp://[2001:db8:1::1]/bootx64.efi' };
const ia = (addr?: string) => ({ code: 3 as const, value: { iaid: 1, t1: 0, t2: 0, options: addr ? [{ code: 5 as const, value: { address: addr, preferred: 600, valid: 600, options: [] } }] : [] } });
const elapsed = (hundredths: number) => ({ code: 8 as const, value: hundredths });

/** A UEFI PXEv6 boot: Solicit/Advertise, Request/Reply (the firmware's fixed xids), the boot file. */
function pxe6Boot(sim: Sim, t: number): void {
  sim.dhcp6(cli, all, { msgType: 1, xid: 0x1642e4, options: [duid, elapsed(0), ia(), arch] }, t);
  sim.dhcp6(srv, cli, { msgType: 2, xid: 0x1642e4, options: [duid, sduid, ia('2001:db8:1::100'), url] }, t + 0.1);
  sim.dhcp6(cli, all, { msgType: 3, xid: 0x1742e4, options: [duid, sduid, elapsed(0), ia('2001:db8:1::100'), arch] }, t + 0.2);
  sim.dhcp6(srv, cli, { msgType: 7, xid: 0x1742e4, options: [duid, sduid, ia('2001:db8:1::100'), url] }, t + 0.21);
  tftpRead(sim, { addr: '2001:db8:1::100', port: 1500, mac: MAC }, '2001:db8:1::1', 'bootx64.efi', 2000, { t: t + 0.5 });
}

describe('DHCPv6 transaction ids reused by a rebooted machine', () => {
  it('a Solicit with the old xid and Elapsed Time 0 after a reboot-sized gap starts a new exchange and a new attempt', () => {
    const sim = new Sim();
    pxe6Boot(sim, 0);
    pxe6Boot(sim, 200); // the VM was reset: EDK2 re-seeds and draws the same ids
    const a = sim.finish();
    const c = a.clients.find((x) => x.mac === MAC)!;
    expect(c.steps.filter((s) => s.kind === 'dhcp6')).toHaveLength(2);
    expect(c.attempts.map((x) => x.outcome)).toEqual(['booted', 'booted']);
    expect(c.steps.filter((s) => s.kind === 'dhcp6').every((s) => s.kind === 'dhcp6' && s.retransmissions === 0)).toBe(true);
  });

  it('a retransmission keeps its exchange: Elapsed Time counting up, or 0 again within seconds', () => {
    const sim = new Sim();
    sim.dhcp6(cli, all, { msgType: 1, xid: 5, options: [duid, elapsed(0), ia(), arch] }, 0);
    sim.dhcp6(cli, all, { msgType: 1, xid: 5, options: [duid, elapsed(100), ia(), arch] }, 1);
    sim.dhcp6(cli, all, { msgType: 1, xid: 5, options: [duid, elapsed(300), ia(), arch] }, 3);
    const counting = sim.finish({ end: 20 });
    const steps = counting.clients[0]!.steps.filter((s) => s.kind === 'dhcp6');
    expect(steps).toHaveLength(1);
    expect(steps[0]!.kind === 'dhcp6' && steps[0]!.retransmissions).toBe(2);

    const zeros = new Sim(); // a client that never fills in the elapsed time
    zeros.dhcp6(cli, all, { msgType: 1, xid: 6, options: [duid, elapsed(0), ia(), arch] }, 0);
    zeros.dhcp6(cli, all, { msgType: 1, xid: 6, options: [duid, elapsed(0), ia(), arch] }, 4);
    expect(zeros.finish({ end: 20 }).clients[0]!.steps.filter((s) => s.kind === 'dhcp6')).toHaveLength(1);
  });
});

describe('DHCPv4 transaction ids reused by a rebooted machine', () => {
  const V4MAC = '52:54:00:00:0e:f8';
  const cli0: Endpoint = { addr: '0.0.0.0', port: 68, mac: V4MAC };
  const bcast: Endpoint = { addr: '255.255.255.255', port: 67 };
  /** EDK2's four DISCOVERs (secs 0, 4, 12, 28) answered only by a proxyDHCP (no address). */
  function discoverRound(sim: Sim, t: number): void {
    for (const secs of [0, 4, 12, 28]) {
      sim.dhcp4(cli0, bcast, { xid: 0xf703a032, secs, chaddr: V4MAC, options: [{ code: 53, value: 'DISCOVER' }, ...pxeOptions(7)] }, t + secs);
      sim.dhcp4(SERVER, bcast, { op: 2, xid: 0xf703a032, chaddr: V4MAC, options: [{ code: 53, value: 'OFFER' }, { code: 54, value: SERVER.addr }, { code: 60, value: 'PXEClient' }] }, t + secs + 0.01);
    }
  }

  it('a DISCOVER with the old xid whose secs went back to 0 starts a new exchange', () => {
    const sim = new Sim();
    discoverRound(sim, 0);
    discoverRound(sim, 200);
    const c = sim.finish().clients[0]!;
    expect(c.steps.filter((s) => s.kind === 'dhcp4').map((s) => s.frames.length)).toEqual([8, 8]);
    expect(c.attempts).toHaveLength(2);
  });

  it('retransmissions keep their exchange: secs counting up, or 0 again within the longest backoff', () => {
    const once = new Sim();
    discoverRound(once, 0);
    expect(once.finish().clients[0]!.steps.filter((s) => s.kind === 'dhcp4')).toHaveLength(1);
    const zeros = new Sim();
    for (const t of [0, 64, 128]) zeros.dhcp4(cli0, bcast, { xid: 9, secs: 0, chaddr: V4MAC, options: [{ code: 53, value: 'DISCOVER' }, ...pxeOptions(7)] }, t);
    expect(zeros.finish({ end: 200 }).clients[0]!.steps.filter((s) => s.kind === 'dhcp4')).toHaveLength(1);
  });

  it('secs that jitter back (8, then 4) 2 s later with nothing answered yet is one exchange', () => {
    const sim = new Sim();
    for (const [t, secs] of [[0, 8], [2, 4]] as const) sim.dhcp4(cli0, bcast, { xid: 0xa1ca7145, secs, chaddr: V4MAC, options: [{ code: 53, value: 'DISCOVER' }, ...pxeOptions(7)] }, t);
    sim.dhcp4(SERVER, bcast, { op: 2, xid: 0xa1ca7145, chaddr: V4MAC, options: [{ code: 53, value: 'OFFER' }, { code: 54, value: SERVER.addr }, { code: 60, value: 'PXEClient' }] }, 3);
    const steps = sim.finish().clients[0]!.steps.filter((s) => s.kind === 'dhcp4');
    expect(steps.map((s) => s.frames.length)).toEqual([3]);
  });
});
