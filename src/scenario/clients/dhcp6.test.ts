import { describe, it, expect } from 'vitest';
import { bytesEqual, hex, ipv6FromString, latin1String } from '../../wire/bytes.js';
import {
  emitDhcpV6, getOption, parseDhcpV6, type DhcpV6Message, type DhcpV6Option, type IaAddress, type IaNa,
} from '../../wire/dhcpv6/index.js';
import { FakeClock } from '../clock.js';
import { edk2NextXid, persona6Duid, persona6Iaid } from '../personas-v6.js';
import { MemoryNetwork } from '../transport/memory.js';
import { Dhcp6Client, type Dhcp6ClientConfig, type Dhcp6Operation } from './dhcp6.js';
import { fakeDhcp6Server, optionCodes6, type FakeDhcp6Config } from './dhcp6.test-kit.js';
import type { UdpDatagram } from './types.js';

/** Client and server messages carry an xid; relay messages do not. */
function xidOf(m: { msgType: number } & ({ xid: number } | object)): number {
  return 'xid' in m ? m.xid : -1;
}

const MAC = '52:54:00:00:0e:f6';
const LL = 'fe80::5054:ff:fe00:ef6';
const XID = 0x3c9360;
const SRV = 'fe80::1';
const noJitter = (): number => 0.5; // RAND = 0

interface Sent { d: UdpDatagram; wire: DhcpV6Message; msg: DhcpV6Message; time: number }

function inner(m: DhcpV6Message): DhcpV6Message {
  return m.relay ? inner(getOption(m, 9)!.value as DhcpV6Message) : m;
}

function sent(net: MemoryNetwork): Sent[] {
  return net.log.filter((e) => e.dir === 'toServer').map((e) => {
    const wire = parseDhcpV6(e.datagram.payload, []);
    return { d: e.datagram, wire, msg: inner(wire), time: e.time };
  });
}

function ia(m: DhcpV6Message): IaNa<DhcpV6Option> | undefined {
  return getOption(m, 3)?.value as IaNa<DhcpV6Option> | undefined;
}

function iaAddr(m: DhcpV6Message): IaAddress<DhcpV6Option> | undefined {
  return ia(m)?.options.find((o) => o.code === 5)?.value as IaAddress<DhcpV6Option> | undefined;
}

function client(extra: Partial<Dhcp6ClientConfig> = {}, op: Dhcp6Operation = { kind: 'sarr' }): Dhcp6Client {
  return new Dhcp6Client({ mac: MAC, persona: 'uefi-x64-v6', xid: XID, random: noJitter, ...extra }, op);
}

function network(...servers: FakeDhcp6Config[]): { net: MemoryNetwork; srv: ReturnType<typeof fakeDhcp6Server>[] } {
  const net = new MemoryNetwork(new FakeClock());
  const srv = servers.map((c) => fakeDhcp6Server(c));
  for (const s of srv) s.attach(net);
  return { net, srv };
}

const GOOD: FakeDhcp6Config = { addr: SRV, address: '2001:db8:1::100', bootfileUrl: 'tftp://[2001:db8:1::1]/snponly.efi', bootfileParams: ['a', 'b'] };

describe('Dhcp6Client SARR', () => {
  it('uefi-x64-v6: Solicit/Request option order, addressing, xids, elapsed time, result', () => {
    const { net, srv } = network(GOOD);
    const r = net.run(client())!;
    expect(r.ok).toBe(true);
    expect(r.error).toBeNull();
    expect(r.messages.map((m) => `${m.dir} ${m.type}`)).toEqual(['sent SOLICIT', 'received ADVERTISE', 'sent REQUEST', 'received REPLY']);
    const [sol, req] = sent(net);
    for (const s of [sol!, req!]) {
      expect(s.d.src).toEqual({ addr: LL, port: 546 });
      expect(s.d.dst).toEqual({ addr: 'ff02::1:2', port: 547 });
      expect(bytesEqual(emitDhcpV6(s.wire), s.d.payload)).toBe(true);
      expect(bytesEqual(getOption(s.msg, 1)!.data, persona6Duid('uefi-x64-v6', MAC))).toBe(true);
    }
    expect(sol!.msg.msgType).toBe(1);
    expect(optionCodes6(sol!.msg)).toEqual([1, 8, 3, 6, 62, 61, 16]);
    expect(ia(sol!.msg)).toMatchObject({ iaid: persona6Iaid('uefi-x64-v6', MAC), t1: 0xffffffff, t2: 0xffffffff, options: [] });
    // EDK2: a new xid for the Request exchange, elapsed restarts at 0; the advertised IA is echoed.
    expect(xidOf(sol!.msg)).toBe(XID);
    expect(req!.msg.msgType).toBe(3);
    expect(xidOf(req!.msg)).toBe(edk2NextXid(XID));
    expect(xidOf(req!.msg)).toBe(0x3d9360);
    expect(r.xids).toEqual([XID, 0x3d9360]);
    expect(optionCodes6(req!.msg)).toEqual([1, 8, 2, 3, 6, 62, 61, 16]);
    expect(getOption(req!.msg, 8)!.value).toBe(0);
    expect(bytesEqual(getOption(req!.msg, 2)!.data, srv[0]!.duid)).toBe(true);
    expect(ia(req!.msg)).toMatchObject({ t1: 150, t2: 240 });
    expect(iaAddr(req!.msg)).toMatchObject({ address: '2001:db8:1::100', preferred: 300, valid: 600 });
    // Advertise window of 1 s after the first Advertise (0.001).
    expect(req!.time).toBeCloseTo(1.001, 6);
    expect(r.timings.firstAdvertise).toBeCloseTo(0.001, 6);
    expect(r.timings.request).toBeCloseTo(1.001, 6);
    expect(r.timings.reply).toBeCloseTo(1.002, 6);
    expect(r.address).toBe('2001:db8:1::100');
    expect(r.validLifetime).toBe(600);
    expect(r.preferredLifetime).toBe(300);
    expect(r.bootfileUrl).toBe('tftp://[2001:db8:1::1]/snponly.efi');
    expect(r.bootfileParams).toEqual(['a', 'b']);
    expect(hex(r.serverDuid!)).toBe(hex(srv[0]!.duid));
    expect(r.serverAddr).toBe(SRV);
    expect(r.status).toBeNull();
    expect(r.rapidCommit).toBe(false);
    expect(r.chosen).toBe(r.advertises[0]);
  });

  it('ipxe-v6: takes the first Advertise at once, keeps the xid, elapsed time last', () => {
    const { net } = network(GOOD);
    const r = net.run(client({ persona: 'ipxe-v6' }))!;
    expect(r.ok).toBe(true);
    const [sol, req] = sent(net);
    expect(optionCodes6(sol!.msg)).toEqual([1, 3, 6, 16, 61, 62, 15, 8]);
    expect(optionCodes6(req!.msg)).toEqual([1, 2, 3, 6, 16, 61, 62, 15, 8]);
    expect(xidOf(req!.msg)).toBe(XID);
    expect(r.xids).toEqual([XID]);
    expect(req!.time).toBeCloseTo(0.001, 6);
    expect(ia(req!.msg)).toMatchObject({ iaid: 0x4688ba50, t1: 0, t2: 0 });
    expect(iaAddr(req!.msg)).toMatchObject({ address: '2001:db8:1::100', preferred: 0, valid: 0 });
  });

  it('elapsed time grows in 1/100 s on retransmission, same xid', () => {
    const { net } = network({ ...GOOD, delay: 3.5 });
    const r = net.run(client({ maxAttempts: 3 }))!;
    const s = sent(net);
    expect(s.slice(0, 3).map((x) => x.msg.msgType)).toEqual([1, 1, 1]);
    expect(s.slice(0, 3).map((x) => x.time)).toEqual([0, 1, 3]);
    expect(s.slice(0, 3).map((x) => getOption(x.msg, 8)!.value)).toEqual([0, 100, 300]);
    expect(new Set(s.map((x) => xidOf(x.msg))).size).toBe(2); // Solicits share one, the Request has its own
    expect(r.ok).toBe(true);
    expect(r.messages.filter((m) => m.type === 'SOLICIT')).toHaveLength(3);
  });
});

describe('Dhcp6Client Rapid Commit', () => {
  it('Reply to the Solicit ends the exchange', () => {
    const { net } = network({ ...GOOD, rapidCommit: true });
    const r = net.run(client({}, { kind: 'sarr', rapidCommit: true }))!;
    expect(r.ok).toBe(true);
    expect(r.rapidCommit).toBe(true);
    expect(r.messages.map((m) => `${m.dir} ${m.type}`)).toEqual(['sent SOLICIT', 'received REPLY']);
    expect(optionCodes6(sent(net)[0]!.msg)).toEqual([1, 8, 3, 6, 62, 61, 16, 14]);
    expect(r.address).toBe('2001:db8:1::100');
    expect(r.chosen).toBeNull();
    expect(r.timings.reply).toBeCloseTo(0.001, 6);
    expect(r.timings.request).toBeUndefined();
  });

  it('asked, but the server Advertises: falls back to Request (without option 14)', () => {
    const { net } = network(GOOD);
    const r = net.run(client({}, { kind: 'sarr', rapidCommit: true }))!;
    expect(r.ok).toBe(true);
    expect(r.rapidCommit).toBe(false);
    expect(r.messages.map((m) => m.type)).toEqual(['SOLICIT', 'ADVERTISE', 'REQUEST', 'REPLY']);
    const [sol, req] = sent(net);
    expect(getOption(sol!.msg, 14)).toBeDefined();
    expect(getOption(req!.msg, 14)).toBeUndefined();
  });

  it('a Reply to a Solicit without rapid commit asked is ignored', () => {
    const { srv } = network({ ...GOOD, rapidCommit: true });
    // A rapid-commit Reply for our xid and DUID, obtained by asking with option 14.
    const asking = client({}, { kind: 'sarr', rapidCommit: true });
    const reply = srv[0]!.handle(asking.dispatch(0)[0]!, 0)[0]!.datagram;
    expect(parseDhcpV6(reply.payload, []).msgType).toBe(7);
    const c = client({ maxAttempts: 1 });
    c.dispatch(0);
    c.process(reply, 0.01);
    expect(c.done()).toBeNull();
    expect(new MemoryNetwork(new FakeClock(0.01)).run(c)!.ok).toBe(false);
  });
});

describe('Dhcp6Client retransmission (RFC 8415 §15)', () => {
  it('RT = 2 RT + RAND RT from the injected source; first Solicit RT above IRT; bounded at 4', () => {
    const rolls = [0.25, 0.25, 0, 0.75];
    let i = 0;
    const net = new MemoryNetwork(new FakeClock());
    const r = net.run(client({ random: () => rolls[i++ % rolls.length]! }))!;
    const times = sent(net).map((x) => x.time);
    // RAND = (2 roll - 1) / 10: -0.05 taken as +0.05 for the first Solicit RT.
    const rt1 = 1.05;
    const rt2 = 2 * rt1 - 0.05 * rt1;
    const rt3 = 2 * rt2 - 0.1 * rt2;
    const rt4 = 2 * rt3 + 0.05 * rt3;
    expect(times).toHaveLength(4);
    expect(times[1]).toBeCloseTo(rt1, 9);
    expect(times[2]).toBeCloseTo(rt1 + rt2, 9);
    expect(times[3]).toBeCloseTo(rt1 + rt2 + rt3, 9);
    expect(r.timings.end).toBeCloseTo(rt1 + rt2 + rt3 + rt4, 9);
    expect(sent(net).map((x) => getOption(x.msg, 8)!.value)).toEqual(times.map((t) => Math.round(t * 100)));
    expect(r.ok).toBe(false);
    expect(r.error).toBe('no usable ADVERTISE after 4 SOLICITs in 15 s');
  });

  it('MRT caps the RT (RT = MRT + RAND MRT)', () => {
    const net = new MemoryNetwork(new FakeClock());
    net.run(client({ maxTimeout: 2, maxAttempts: 5 }));
    expect(sent(net).map((x) => x.time)).toEqual([0, 1, 3, 5, 7]);
  });

  it('Request: REQ_TIMEOUT 1, REQ_MAX_RT 30, REQ_MAX_RC 10 by default', () => {
    // The server answers the Solicit only: Requests go unanswered.
    const net = new MemoryNetwork(new FakeClock());
    const s = fakeDhcp6Server(GOOD);
    const solicitOnly = (d: UdpDatagram, now: number): ReturnType<typeof s.handle> =>
      inner(parseDhcpV6(d.payload, [])).msgType === 1 ? s.handle(d, now) : [];
    net.addServer({ addr: 'ff02::1:2', ports: [547], handle: solicitOnly });
    const r = net.run(client())!;
    const reqs = sent(net).filter((x) => x.msg.msgType === 3);
    expect(reqs).toHaveLength(10);
    expect(reqs.map((x) => Math.round((x.time - reqs[0]!.time) * 1000) / 1000)).toEqual([0, 1, 3, 7, 15, 31, 61, 91, 121, 151]);
    expect(r.error).toBe('no REPLY after 10 REQUESTs in 181 s');
    expect(r.chosen).not.toBeNull();
  });

  it('Confirm is bounded by CNF_MAX_RD 10 s', () => {
    const net = new MemoryNetwork(new FakeClock());
    const r = net.run(client({}, { kind: 'confirm', address: '2001:db8:1::100' }))!;
    expect(sent(net).map((x) => x.time)).toEqual([0, 1, 3, 7]);
    expect(r.timings.end).toBe(10);
    expect(r.error).toBe('no REPLY after 4 CONFIRMs in 10 s');
  });
});

describe('Dhcp6Client Advertise selection (RFC 8415 §18.2.9)', () => {
  it('preference 255 is taken at once', () => {
    const { net } = network(
      { addr: 'fe80::a', mac: '02:00:00:00:00:0a', address: '2001:db8:1::a', preference: 0, delay: 0.01 },
      { addr: 'fe80::b', mac: '02:00:00:00:00:0b', address: '2001:db8:1::b', preference: 255, delay: 0.2 },
    );
    const r = net.run(client())!;
    expect(r.address).toBe('2001:db8:1::b');
    expect(r.timings.request).toBeCloseTo(0.2, 6);
    expect(r.serverAddr).toBe('fe80::b');
  });

  it('otherwise the best preference within the window; later ones are not considered', () => {
    const { net } = network(
      { addr: 'fe80::a', mac: '02:00:00:00:00:0a', address: '2001:db8:1::a', preference: 10, delay: 0.01 },
      { addr: 'fe80::b', mac: '02:00:00:00:00:0b', address: '2001:db8:1::b', preference: 50, delay: 0.5 },
      { addr: 'fe80::c', mac: '02:00:00:00:00:0c', address: '2001:db8:1::c', preference: 100, delay: 1.5 },
    );
    const r = net.run(client())!;
    expect(r.timings.request).toBeCloseTo(1.01, 6);
    expect(r.advertises).toHaveLength(2);
    expect(r.address).toBe('2001:db8:1::b');
    const req = sent(net).find((x) => x.msg.msgType === 3)!;
    expect(iaAddr(req.msg)!.address).toBe('2001:db8:1::b');
  });

  it('a NoAddrsAvail Advertise is recorded but not chosen', () => {
    const { net } = network(
      { addr: 'fe80::a', mac: '02:00:00:00:00:0a', preference: 255, delay: 0.01 },
      { addr: 'fe80::b', mac: '02:00:00:00:00:0b', address: '2001:db8:1::b', delay: 0.3 },
    );
    const r = net.run(client())!;
    expect(r.ok).toBe(true);
    expect(r.advertises).toHaveLength(2);
    expect(r.chosen).toBe(r.advertises[1]);
    expect(r.address).toBe('2001:db8:1::b');
    expect(r.timings.request).toBeCloseTo(1.3, 6);
  });

  it('only NoAddrsAvail Advertises: fails with their status', () => {
    const { net } = network({ addr: 'fe80::a', mac: '02:00:00:00:00:0a' });
    const r = net.run(client({ maxAttempts: 2 }))!;
    expect(r.ok).toBe(false);
    expect(r.advertises).toHaveLength(2);
    expect(r.error).toBe('no usable ADVERTISE after 2 SOLICITs in 3 s (2 ignored, NoAddrsAvail "no addresses available")');
    expect(r.status).toEqual({ code: 2, name: 'NoAddrsAvail', message: 'no addresses available', where: 'message' });
  });
});

describe('Dhcp6Client Reply status', () => {
  it('message-level UnspecFail: not ok, status and error', () => {
    const { net } = network({ ...GOOD, replyStatus: { code: 1, message: 'try later', where: 'message' } });
    const r = net.run(client())!;
    expect(r.ok).toBe(false);
    expect(r.status).toEqual({ code: 1, name: 'UnspecFail', message: 'try later', where: 'message' });
    expect(r.error).toBe('REPLY from fe80::1: UnspecFail (1) at message level: "try later"');
    expect(r.reply).not.toBeNull();
    expect(r.address).toBeNull();
  });

  it('IA-level NoAddrsAvail inside IA_NA', () => {
    const { net } = network({ ...GOOD, replyStatus: { code: 2, message: 'address in use', where: 'ia' } });
    const r = net.run(client())!;
    expect(r.ok).toBe(false);
    expect(r.status).toEqual({ code: 2, name: 'NoAddrsAvail', message: 'address in use', where: 'ia' });
    expect(r.error).toContain('NoAddrsAvail (2) at ia level');
  });

  it('address-level NotOnLink inside IAADDR', () => {
    const { net } = network({ ...GOOD, replyStatus: { code: 4, message: '', where: 'address' } });
    const r = net.run(client())!;
    expect(r.ok).toBe(false);
    expect(r.status).toMatchObject({ code: 4, name: 'NotOnLink', where: 'address' });
    expect(r.error).toBe('REPLY from fe80::1: NotOnLink (4) at address level');
  });

  it('a Reply without an address is not a lease', () => {
    const { net } = network({ ...GOOD, replyWithoutAddress: true });
    const r = net.run(client())!;
    expect(r.ok).toBe(false);
    expect(r.status).toBeNull();
    expect(r.error).toBe(`REPLY from fe80::1 without an address for IAID ${persona6Iaid('uefi-x64-v6', MAC).toString(16).padStart(8, '0')}`);
  });

  it('ignores replies with another xid, another client id, or another server id', () => {
    const { srv } = network(GOOD);
    const other = fakeDhcp6Server({ ...GOOD, addr: 'fe80::9', mac: '02:00:00:00:00:09' });
    const c = client({ maxAttempts: 1 });
    const sol = c.dispatch(0)[0]!;
    const adv = srv[0]!.handle(sol, 0)[0]!.datagram;
    const badXid = adv.payload.slice();
    badXid[1] ^= 0xff;
    c.process({ ...adv, payload: badXid }, 0.001);
    const badCid = adv.payload.slice();
    badCid[8 + 13] ^= 0xff; // last byte of the client DUID (option 1 at 4, 14 bytes of data at 8)
    c.process({ ...adv, payload: badCid }, 0.001);
    expect(c.pollAt()).toBe(1); // no window opened: still waiting to retransmit
    c.process(adv, 0.002);
    const req = c.dispatch(1.002)[0]!;
    expect(parseDhcpV6(req.payload, []).msgType).toBe(3);
    // The other server's Reply (its DUID) is not an answer to a Request for ours.
    const foreign = other.handle({ ...req, payload: emitDhcpV6({ ...parseDhcpV6(req.payload, []), options: parseDhcpV6(req.payload, []).options.filter((o) => o.code !== 2) }) }, 1.002)[0]!.datagram;
    c.process(foreign, 1.003);
    expect(c.done()).toBeNull();
    c.process(srv[0]!.handle(req, 1.002)[0]!.datagram, 1.004);
    expect(c.done()!.ok).toBe(true);
  });
});

describe('Dhcp6Client relay mode', () => {
  it('wraps every message in RELAY-FORW and unwraps RELAY-REPL', () => {
    const relaySrv: FakeDhcp6Config = { ...GOOD, addr: '2001:db8:ff::1' };
    const { net } = network(relaySrv);
    const r = net.run(client({
      relay: { linkAddress: '2001:db8:1::fe', interfaceId: 'eth7', remoteId: { enterprise: 9, id: 'sw1' }, hopCount: 1 },
      relayTo: '2001:db8:ff::1',
    }))!;
    expect(r.ok).toBe(true);
    expect(r.address).toBe('2001:db8:1::100');
    expect(r.messages.map((m) => `${m.type}/${m.msg.msgType}`)).toEqual(['SOLICIT/12', 'ADVERTISE/13', 'REQUEST/12', 'REPLY/13']);
    const [sol, req] = sent(net);
    for (const s of [sol!, req!]) {
      expect(s.d.src).toEqual({ addr: '2001:db8:1::fe', port: 547 });
      expect(s.d.dst).toEqual({ addr: '2001:db8:ff::1', port: 547 });
      const w = s.wire;
      expect(w.relay).toBe(true);
      if (!w.relay) continue;
      expect(w.msgType).toBe(12);
      expect(w.hopCount).toBe(1);
      expect(hex(w.linkAddress)).toBe(hex(ipv6FromString('2001:db8:1::fe')));
      expect(hex(w.peerAddress)).toBe('fe80000000000000505400fffe000ef6');
      expect(optionCodes6(w)).toEqual([18, 37, 9]);
      expect(latin1String(getOption(w, 18)!.data)).toBe('eth7');
      expect(hex(getOption(w, 37)!.data)).toBe(`00000009${hex(new TextEncoder().encode('sw1'))}`);
      expect(bytesEqual(emitDhcpV6(w), s.d.payload)).toBe(true);
    }
    expect(sol!.msg.msgType).toBe(1);
    expect(req!.msg.msgType).toBe(3);
    expect(r.serverAddr).toBe('2001:db8:ff::1');
  });

  it('ignores an unrelayed answer in relay mode', () => {
    const { srv } = network(GOOD);
    const c = client({ maxAttempts: 1, relay: { linkAddress: '2001:db8:1::fe' }, relayTo: SRV });
    const fw = c.dispatch(0)[0]!;
    const plain = inner(parseDhcpV6(fw.payload, []));
    const adv = srv[0]!.handle({ ...fw, payload: emitDhcpV6(plain) }, 0)[0]!.datagram;
    c.process(adv, 0.001);
    expect(c.pollAt()).toBe(1);
    expect(c.dispatch(1)).toEqual([]);
    expect(c.done()!.advertises).toHaveLength(0);
  });
});

describe('Dhcp6Client other operations (RFC 8415 §18.2)', () => {
  const SERVER_DUID = fakeDhcp6Server(GOOD).duid;
  const ADDR = '2001:db8:1::100';

  it('renew: unicast when a server is given, server id, IA with the address, lifetimes 0', () => {
    const { net } = network(GOOD);
    const r = net.run(client({}, { kind: 'renew', address: ADDR, serverDuid: SERVER_DUID, server: SRV }))!;
    expect(r.ok).toBe(true);
    const [s] = sent(net);
    expect(s!.d.dst).toEqual({ addr: SRV, port: 547 });
    expect(s!.msg.msgType).toBe(5);
    expect(optionCodes6(s!.msg)).toEqual([1, 8, 3, 2, 6, 62, 61, 16]);
    expect(iaAddr(s!.msg)).toMatchObject({ address: ADDR, preferred: 0, valid: 0 });
    expect(r.address).toBe(ADDR);
    expect(r.validLifetime).toBe(600);
  });

  it('renew with another server id in the Reply is not accepted', () => {
    const { net } = network(GOOD);
    const r = net.run(client({ maxAttempts: 1, initialTimeout: 1 }, { kind: 'renew', address: ADDR, serverDuid: Uint8Array.of(0, 3, 0, 1, 1, 2, 3, 4, 5, 6) }))!;
    expect(r.ok).toBe(false); // the fake server ignores a foreign server id, nothing answers
    expect(r.error).toBe('no REPLY after 1 RENEWs in 1 s');
  });

  it('rebind: multicast, no server id', () => {
    const { net } = network(GOOD);
    const r = net.run(client({}, { kind: 'rebind', address: ADDR }))!;
    expect(r.ok).toBe(true);
    const [s] = sent(net);
    expect(s!.d.dst.addr).toBe('ff02::1:2');
    expect(s!.msg.msgType).toBe(6);
    expect(getOption(s!.msg, 2)).toBeUndefined();
    expect(optionCodes6(s!.msg)).toEqual([1, 8, 3, 6, 62, 61, 16]);
  });

  it('release: server id, IA, no ORO (EDK2: client, server, elapsed, IA); Reply ends it', () => {
    const { net } = network(GOOD);
    const r = net.run(client({}, { kind: 'release', address: ADDR, serverDuid: SERVER_DUID }))!;
    expect(r.ok).toBe(true);
    const [s] = sent(net);
    expect(s!.msg.msgType).toBe(8);
    expect(s!.d.dst.addr).toBe('ff02::1:2');
    expect(optionCodes6(s!.msg)).toEqual([1, 2, 8, 3]);
    expect(r.address).toBeNull();
  });

  it('release ipxe-v6: RFC appendix B, no ORO', () => {
    const { net } = network(GOOD);
    net.run(client({ persona: 'ipxe-v6' }, { kind: 'release', address: ADDR, serverDuid: SERVER_DUID }));
    expect(optionCodes6(sent(net)[0]!.msg)).toEqual([1, 2, 3, 16, 61, 62, 15, 8]);
  });

  it('confirm: no server id, lifetimes 0, Success confirms the address; NotOnLink fails', () => {
    const { net } = network(GOOD);
    const r = net.run(client({}, { kind: 'confirm', address: ADDR }))!;
    expect(r.ok).toBe(true);
    expect(r.address).toBe(ADDR);
    const [s] = sent(net);
    expect(s!.msg.msgType).toBe(4);
    expect(getOption(s!.msg, 2)).toBeUndefined();
    expect(iaAddr(s!.msg)).toMatchObject({ address: ADDR, preferred: 0, valid: 0 });
    const bad = network({ ...GOOD, replyStatus: { code: 4, message: 'wrong link', where: 'message' } });
    const r2 = bad.net.run(client({}, { kind: 'confirm', address: ADDR }))!;
    expect(r2.ok).toBe(false);
    expect(r2.status).toMatchObject({ name: 'NotOnLink', where: 'message' });
    expect(r2.address).toBeNull();
  });

  it('information-request: no IA, no server id, ORO; boot file URL from the Reply', () => {
    const { net } = network(GOOD);
    const r = net.run(client({ persona: 'ipxe-v6' }, { kind: 'information-request' }))!;
    expect(r.ok).toBe(true);
    const [s] = sent(net);
    expect(s!.msg.msgType).toBe(11);
    expect(optionCodes6(s!.msg)).toEqual([1, 6, 16, 61, 62, 15, 8]);
    expect(r.bootfileUrl).toBe(GOOD.bootfileUrl);
    expect(r.address).toBeNull();
    expect(r.messages.map((m) => m.type)).toEqual(['INFORMATION-REQUEST', 'REPLY']);
  });
});
