import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { LoopbackTransport, type LoopbackRouterAdvert } from './loopback.js';
import { MemoryNetwork, reachesServer } from './memory.js';
import type { RouterAdvertSeen, UdpDatagram } from './types.js';

const A = '02:00:00:00:0c:01';
const SOLICIT: UdpDatagram = { src: { addr: 'fe80::ff:fe00:c01', port: 546 }, dst: { addr: 'ff02::1:2', port: 547 }, payload: Uint8Array.of(1, 0, 0, 9) };
const RA: LoopbackRouterAdvert = {
  router: 'fe80::1', routerMac: '02:00:00:00:00:01', unicastTo: null, managed: true, other: true, lifetime: 1800, preference: 'medium',
  prefixes: [{ prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: false, valid: 3600, preferred: 1800 }],
};
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('fake servers and IPv6 multicast', () => {
  it('delivers ff02::1:2 to IPv6 servers on the port only; unicast by address as before', () => {
    const v6 = { addr: '2001:db8:1::1', ports: [547], handle: () => [] };
    const v4 = { addr: '198.51.100.1', handle: () => [] };
    expect(reachesServer(SOLICIT, v6)).toBe(true);
    expect(reachesServer(SOLICIT, v4)).toBe(false);
    expect(reachesServer({ ...SOLICIT, dst: { addr: 'ff02::1:2', port: 69 } }, v6)).toBe(false);
    expect(reachesServer({ ...SOLICIT, dst: { addr: '2001:db8:1::1', port: 547 } }, v6)).toBe(true);
    expect(reachesServer({ ...SOLICIT, dst: { addr: '2001:db8:1::2', port: 547 } }, v6)).toBe(false);
  });
});

describe('loopback transport over IPv6', () => {
  it('routes a Solicit to the fake DHCPv6 server and its reply back to the client', async () => {
    const clock = new FakeClock(100);
    const t = new LoopbackTransport(clock, {
      udp: [{ addr: 'fe80::1', ports: [547], handle: (d) => [{ src: { addr: 'fe80::1', port: 547 }, dst: d.src, payload: Uint8Array.of(2, 0, 0, 9) }] }],
    });
    const got: [string, UdpDatagram, number][] = [];
    t.onUdp((mac, d, time) => got.push([mac, d, time]));
    t.addClient(A);
    t.sendUdp(A, SOLICIT);
    await settle();
    expect(got.map(([m, d, time]) => [m, d.src.addr, d.dst.addr, d.payload[0], time])).toEqual([[A, 'fe80::1', SOLICIT.src.addr, 2, 100.001]]);
    t.setClientAddress6(A, { addr: '2001:db8:1::100', prefix: 64 });
    expect(t.addresses6.get(A)).toEqual({ addr: '2001:db8:1::100', prefix: 64 });
    await t.close();
  });

  it('answers router solicitations with the configured RA and lets a test inject unsolicited ones', async () => {
    const clock = new FakeClock(50);
    const t = new LoopbackTransport(clock, { routerAdvert: RA, latency: 0.002 });
    const seen: RouterAdvertSeen[] = [];
    t.onRouterAdvert((ra) => seen.push(ra));
    t.solicitRouters(A);
    await settle();
    expect(t.solicitations).toEqual([{ mac: A, time: 50 }]);
    expect(seen).toEqual([{ ...RA, time: 50.002 }]);
    t.advertise({ ...RA, managed: false, lifetime: 0 }, 60);
    await settle();
    expect(seen.map((r) => [r.time, r.managed, r.lifetime])).toEqual([[50.002, true, 1800], [60, false, 0]]);
    // Without a configured RA a solicitation goes unanswered.
    const quiet = new LoopbackTransport(clock);
    const none: RouterAdvertSeen[] = [];
    quiet.onRouterAdvert((ra) => none.push(ra));
    quiet.solicitRouters(A);
    await settle();
    expect(none).toEqual([]);
    await t.close();
  });
});

describe('memory network over IPv6', () => {
  it('hands multicast DHCPv6 to the IPv6 fake server and not to an IPv4 one', () => {
    const clock = new FakeClock(0);
    const v4seen: UdpDatagram[] = [];
    const net = new MemoryNetwork(clock)
      .addServer({ addr: '198.51.100.1', handle: (d) => { v4seen.push(d); return []; } })
      .addServer({ addr: 'fe80::1', ports: [547], handle: (d) => [{ src: { addr: 'fe80::1', port: 547 }, dst: d.src, payload: Uint8Array.of(2) }] });
    let sent = false;
    const received: UdpDatagram[] = [];
    const result = net.run({
      dispatch: () => { if (sent) return []; sent = true; return [SOLICIT]; },
      process: (d) => { received.push(d); },
      pollAt: () => null,
      done: () => (received.length ? received[0]! : null),
    });
    expect(result?.src).toEqual({ addr: 'fe80::1', port: 547 });
    expect(v4seen).toEqual([]);
  });
});
