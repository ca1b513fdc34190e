import { describe, expect, it } from 'vitest';
import { Sim, SERVER, dora, tftpRead, type Endpoint } from '../flow/sim.test-kit.js';
import type { Analysis } from '../analysis/types.js';

const MAC = '52:54:00:0d:ec:02';
const cisco = [{ code: 60, value: 'Cisco Systems, Inc. IP Phone CP-8841' }];
const provisioning = [{ code: 150, value: [SERVER.addr] }];
const cli0: Endpoint = { addr: '0.0.0.0', port: 68, mac: MAC };
const toServers: Endpoint = { addr: '255.255.255.255', port: 67 };

/** DHCPDECLINE as RFC 2131 table 5 has it: a new xid, option 50 the address, option 54, no vendor class. */
function decline(sim: Sim, xid: number, address: string, t: number): void {
  sim.dhcp4(cli0, toServers, { xid, chaddr: MAC, options: [{ code: 53, value: 'DECLINE' }, { code: 50, value: address }, { code: 54, value: SERVER.addr }] }, t);
}

/** DHCPRELEASE at shutdown: a new xid, ciaddr the address, unicast to the server, no vendor class. */
function release(sim: Sim, xid: number, address: string, t: number): void {
  sim.dhcp4({ addr: address, port: 68, mac: MAC }, { addr: SERVER.addr, port: 67 }, { xid, chaddr: MAC, ciaddr: address, options: [{ code: 53, value: 'RELEASE' }, { code: 54, value: SERVER.addr }] }, t);
}

/** A phone whose first address is taken by another host: DORA .100, its ARP probe answered,
 *  DECLINE (new xid), 10 s later DORA .101 (RFC 2131 §3.1 5), then its configuration file. */
function phoneWithConflict(sim: Sim): void {
  dora(sim, { xid: 0x100, mac: MAC, yiaddr: '198.51.100.100', t: 0, client: cisco, server: provisioning });
  decline(sim, 0x200, '198.51.100.100', 1.5);
  dora(sim, { xid: 0x300, mac: MAC, yiaddr: '198.51.100.101', t: 11.5, client: cisco, server: provisioning });
  tftpRead(sim, { addr: '198.51.100.101', port: 3000, mac: MAC }, SERVER.addr, 'SEP52540000DEC2.cnf.xml', 2036, { t: 12 });
}

const of = (a: Analysis, code: string) => a.findings.filter((f) => f.code === code);

describe('DHCPDECLINE and DHCPRELEASE are judged for the device, not per xid', () => {
  it('a DECLINE with a new xid and the retry are one attempt, booted, with one warning naming the address and its ACK', () => {
    const sim = new Sim();
    phoneWithConflict(sim);
    const a = sim.finish({ end: 20 });
    const c = a.clients.find((x) => x.mac === MAC)!;
    expect(c.role).toBe('boot');
    expect(c.attempts.map((x) => [x.entry, x.outcome])).toEqual([['phone', 'booted']]);
    const d = of(a, 'dhcp.decline');
    expect(d).toHaveLength(1);
    expect(d[0]!.severity).toBe('warning');
    expect(d[0]!.message).toContain('198.51.100.100');
    expect(d[0]!.message).toContain(SERVER.addr);
    // The DECLINE (frame 5) and the ACK that gave the address (frame 4); never frame 0.
    expect(d[0]!.frames).toEqual([4, 5]);
    // The lone DECLINE is a complete step: it expects no answer.
    const step = c.steps.find((s) => s.kind === 'dhcp4' && s.messages.join() === 'DECLINE')!;
    expect(step.ok).toBe(true);
  });

  it('the same address declined twice is one finding that says so', () => {
    const sim = new Sim();
    dora(sim, { xid: 1, mac: MAC, yiaddr: '198.51.100.100', t: 0, client: cisco, server: provisioning });
    decline(sim, 2, '198.51.100.100', 1.5);
    dora(sim, { xid: 3, mac: MAC, yiaddr: '198.51.100.100', t: 12, client: cisco, server: provisioning });
    decline(sim, 4, '198.51.100.100', 13.5);
    const d = of(sim.finish({ end: 30 }), 'dhcp.decline');
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toContain('2 times');
    expect(d[0]!.frames).toEqual([4, 5, 9, 10]);
  });

  it('a client declining address after address gets one finding naming the first four and how many more, its frames bounded, sorted and distinct', () => {
    const sim = new Sim();
    for (let i = 0; i < 30; i++) {
      dora(sim, { xid: 0x1000 + 2 * i, mac: MAC, yiaddr: `198.51.100.${100 + i}`, t: 12 * i, client: cisco, server: provisioning });
      decline(sim, 0x1001 + 2 * i, `198.51.100.${100 + i}`, 12 * i + 1.5);
    }
    const d = of(sim.finish({ end: 400 }), 'dhcp.decline');
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toContain('198.51.100.103');
    expect(d[0]!.message).not.toContain('198.51.100.104');
    expect(d[0]!.message).toContain('26 more');
    expect(d[0]!.frames.length).toBeLessThanOrEqual(16);
    expect(d[0]!.frames).toEqual([...new Set(d[0]!.frames)].sort((a, b) => a - b));
  });

  it('a RELEASE at shutdown is normal: no finding, no extra attempt, the boot stays booted', () => {
    const sim = new Sim();
    phoneWithConflict(sim);
    release(sim, 0x400, '198.51.100.101', 300);
    const a = sim.finish({ end: 301 });
    const c = a.clients.find((x) => x.mac === MAC)!;
    expect(c.attempts.map((x) => [x.entry, x.outcome])).toEqual([['phone', 'booted']]);
    expect(a.findings.filter((f) => f.client === MAC && f.code !== 'dhcp.decline')).toEqual([]);
  });

  it('an OS DHCP client that declines and retries stays one not-a-boot device with the warning', () => {
    const sim = new Sim();
    dora(sim, { xid: 11, mac: MAC, yiaddr: '198.51.100.100', t: 0 });
    decline(sim, 12, '198.51.100.100', 1);
    dora(sim, { xid: 13, mac: MAC, yiaddr: '198.51.100.101', t: 4 });
    const a = sim.finish({ end: 10 });
    expect(a.clients[0]!.outcome).toBe('not-a-boot');
    expect(of(a, 'dhcp.decline').map((f) => f.severity)).toEqual(['warning']);
  });
});

describe('a relayed answer seen twice', () => {
  it('one ACK to a relay, seen again (the relay\'s copy, or the same exchange replayed), is one answer: no one-sided blind spot', () => {
    const relay: Endpoint = { addr: '10.10.0.10', port: 67 };
    const ack = { op: 2 as const, xid: 0x3d11, chaddr: MAC, yiaddr: '10.10.0.100', giaddr: relay.addr, options: [{ code: 53, value: 'ACK' }, { code: 54, value: '10.10.0.1' }, { code: 51, value: 3600 }] };
    for (const gap of [0.001, 120]) {
      const sim = new Sim();
      sim.dhcp4({ addr: '10.10.0.1', port: 67 }, relay, ack, 0);
      sim.dhcp4({ addr: '10.10.0.1', port: 67 }, relay, ack, gap);
      const a = sim.finish({ end: gap + 1 });
      expect(a.clients[0]!.outcome, `gap ${gap}`).toBe('not-a-boot');
      expect(a.findings.map((f) => f.code)).not.toContain('capture.one-sided');
    }
    // An OFFER and an ACK of one exchange with no request are still two answers: one-sided.
    const sim = new Sim();
    sim.dhcp4({ addr: '10.10.0.1', port: 67 }, relay, { ...ack, options: [{ code: 53, value: 'OFFER' }, { code: 54, value: '10.10.0.1' }] }, 0);
    sim.dhcp4({ addr: '10.10.0.1', port: 67 }, relay, ack, 0.01);
    expect(sim.finish({ end: 2 }).findings.map((f) => f.code)).toContain('capture.one-sided');
  });

  it('the relay\'s broadcast of a server\'s OFFER (its own source address, the server\'s option 54) is the same answer; two servers offering within ms are two', () => {
    const relay: Endpoint = { addr: '10.10.0.10', port: 67 };
    const offer = (server: string) => ({ op: 2 as const, xid: 0x3d12, chaddr: MAC, yiaddr: '10.10.0.100', giaddr: relay.addr, options: [{ code: 53, value: 'OFFER' }, { code: 54, value: server }] });
    const copy = new Sim();
    copy.dhcp4({ addr: '10.10.0.1', port: 67 }, relay, offer('10.10.0.1'), 0);
    copy.dhcp4(relay, { addr: '255.255.255.255', port: 68 }, offer('10.10.0.1'), 0.001);
    expect(copy.finish({ end: 2 }).findings.map((f) => f.code)).not.toContain('capture.one-sided');
    const two = new Sim();
    two.dhcp4({ addr: '10.10.0.1', port: 67 }, relay, offer('10.10.0.1'), 0);
    two.dhcp4({ addr: '10.10.0.2', port: 67 }, relay, offer('10.10.0.2'), 0.004);
    const a = two.finish({ end: 2 });
    expect(a.findings.map((f) => f.code)).toContain('capture.one-sided');
    expect(a.clients[0]!.outcome).toBe('incomplete');
  });

  it('a relay in proxy mode (its own address in option 54 on the client leg), both legs captured: its broadcast of the server\'s OFFER is the same answer', () => {
    const relay: Endpoint = { addr: '10.10.0.10', port: 67 };
    const offer = (server: string) => ({ op: 2 as const, xid: 0x3d12, chaddr: MAC, yiaddr: '10.10.0.100', giaddr: relay.addr, options: [{ code: 53, value: 'OFFER' }, { code: 54, value: server }] });
    const sim = new Sim();
    sim.dhcp4({ addr: '10.10.0.1', port: 67 }, relay, offer('10.10.0.1'), 0);
    sim.dhcp4(relay, { addr: '255.255.255.255', port: 68 }, offer(relay.addr), 0.001);
    expect(sim.finish({ end: 2 }).findings.map((f) => f.code)).not.toContain('capture.one-sided');
    // Two servers through one proxy-mode relay, both legs: two answers still.
    const two = new Sim();
    two.dhcp4({ addr: '10.10.0.1', port: 67 }, relay, offer('10.10.0.1'), 0);
    two.dhcp4(relay, { addr: '255.255.255.255', port: 68 }, offer(relay.addr), 0.001);
    two.dhcp4({ addr: '10.10.0.2', port: 67 }, relay, offer('10.10.0.2'), 0.004);
    two.dhcp4(relay, { addr: '255.255.255.255', port: 68 }, offer(relay.addr), 0.005);
    expect(two.finish({ end: 2 }).findings.find((f) => f.code === 'capture.one-sided')?.message).toMatch(/got 2 answers/);
  });

  it('a relayed BOOTP reply (no option 54), both legs captured: the relay\'s copy is the same answer', () => {
    const relay: Endpoint = { addr: '10.10.0.10', port: 67 };
    const reply = { op: 2 as const, xid: 0x3d13, chaddr: MAC, yiaddr: '10.10.0.100', giaddr: relay.addr, options: [] };
    const sim = new Sim();
    sim.dhcp4({ addr: '10.10.0.1', port: 67 }, relay, reply, 0);
    sim.dhcp4(relay, { addr: '255.255.255.255', port: 68 }, reply, 0.001);
    expect(sim.finish({ end: 2 }).findings.map((f) => f.code)).not.toContain('capture.one-sided');
  });

  it('the same OFFER answering each retransmission of one DISCOVER (RFC 2131 §4.1: 4, 8, 16 s) counts each time: server-only is one-sided', () => {
    const offer = { op: 2 as const, xid: 0x77, chaddr: MAC, yiaddr: '198.51.100.100', options: [{ code: 53, value: 'OFFER' }, { code: 54, value: SERVER.addr }] };
    const sim = new Sim();
    for (const t of [0, 4, 12, 28]) sim.dhcp4({ addr: SERVER.addr, port: 67 }, { addr: '255.255.255.255', port: 68 }, offer, t);
    const a = sim.finish({ end: 30 });
    expect(a.findings.map((f) => f.code)).toContain('capture.one-sided');
    expect(a.clients[0]!.outcome).toBe('incomplete');
  });
});

describe('a DECLINE whose xid the next DISCOVER reuses', () => {
  it('the step is complete with the DECLINE alone, and open again once the DISCOVER joins it unanswered', () => {
    const sim = new Sim();
    dora(sim, { xid: 0x100, mac: MAC, yiaddr: '198.51.100.100', t: 0, client: cisco, server: provisioning });
    decline(sim, 0x200, '198.51.100.100', 1.5);
    sim.dhcp4(cli0, toServers, { xid: 0x200, chaddr: MAC, options: [{ code: 53, value: 'DISCOVER' }, ...cisco] }, 11.5);
    const a = sim.finish({ end: 20 });
    const c = a.clients.find((x) => x.mac === MAC)!;
    const step = c.steps.find((s) => s.kind === 'dhcp4' && s.messages[0] === 'DECLINE');
    if (step?.kind !== 'dhcp4') throw new Error('no DECLINE step');
    expect(step.messages).toContain('DISCOVER');
    expect(step.ok).toBe(false);
    expect(c.outcome).not.toBe('booted');
  });
});
