import { describe, it, expect } from 'vitest';
import { bytesEqual, ipv4ToString, latin1String, macToString } from '../../wire/bytes.js';
import {
  BROADCAST_FLAG, emitDhcpV4, getOption, msgTypeName, parseDhcpV4, serverId, type DhcpV4Message,
} from '../../wire/dhcpv4/index.js';
import { FakeClock } from '../clock.js';
import { PERSONAS, personaOptions, type Persona } from '../personas.js';
import { MemoryNetwork } from '../transport/memory.js';
import { Dhcp4Client, type Dhcp4ClientConfig, type Dhcp4Operation } from './dhcp4.js';
import { fakeDhcpServer, optionCodes } from './dhcp4.test-kit.js';
import { ProxyDhcpClient } from './proxy-dhcp.js';
import type { UdpDatagram } from './types.js';

const MAC = '52:54:00:00:0e:f1';
const XID = 0xdf8841ff;
const noJitter = (): number => 0.5; // backoff(): random 0.5 → ±0

function sent(net: MemoryNetwork): { d: UdpDatagram; msg: DhcpV4Message; time: number }[] {
  return net.log.filter((e) => e.dir === 'toServer').map((e) => ({
    d: e.datagram, time: e.time, msg: parseDhcpV4(e.datagram.payload, []),
  }));
}

function client(persona: Persona, extra: Partial<Dhcp4ClientConfig> = {}, op?: Dhcp4Operation): Dhcp4Client {
  return new Dhcp4Client({ mac: MAC, persona, xid: XID, random: noJitter, ...extra }, op);
}

describe('Dhcp4Client DORA', () => {
  it('uefi-x64: DISCOVER/REQUEST bytes, xid, secs, broadcast flag, ACK', () => {
    const clock = new FakeClock(100);
    const net = new MemoryNetwork(clock).addServer(fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.187', bootFile: 'snponly.efi' }));
    const r = net.run(client('uefi-x64'))!;
    expect(r.ok).toBe(true);
    expect(r.error).toBeNull();
    expect(r.address).toBe('198.51.100.187');
    expect(r.messages.map((m) => `${m.dir} ${m.type}`)).toEqual(['sent DISCOVER', 'received OFFER', 'sent REQUEST', 'received ACK']);
    expect(r.messages.map((m) => m.index)).toEqual([0, 1, 2, 3]);
    const [disc, req] = sent(net);
    expect(msgTypeName(disc!.msg)).toBe('DISCOVER');
    expect(disc!.d.dst).toEqual({ addr: '255.255.255.255', port: 67 });
    expect(disc!.d.src).toEqual({ addr: '0.0.0.0', port: 68 });
    for (const { msg, d } of [disc!, req!]) {
      expect(msg.xid).toBe(XID);
      expect(msg.flags).toBe(BROADCAST_FLAG);
      expect(macToString(msg.chaddr)).toBe(MAC);
      expect(ipv4ToString(msg.ciaddr)).toBe('0.0.0.0');
      expect(bytesEqual(emitDhcpV4(parseDhcpV4(d.payload, [])), d.payload)).toBe(true);
    }
    // Option order as EDK2 sends it (see personas.test.ts for the comparison with the capture).
    expect(optionCodes(disc!.msg)).toEqual([53, 57, 55, 97, 94, 93, 60, 255]);
    expect(optionCodes(req!.msg)).toEqual([53, 54, 50, 57, 55, 97, 94, 93, 60, 255]);
    expect(ipv4ToString(getOption(req!.msg, 50)!)).toBe('198.51.100.187');
    expect(ipv4ToString(getOption(req!.msg, 54)!)).toBe('198.51.100.1');
    // PXE offer window of 2 s: the REQUEST leaves at +2 s, secs grows.
    expect(disc!.msg.secs).toBe(0);
    expect(req!.time - disc!.time).toBeCloseTo(2.001, 6);
    expect(req!.msg.secs).toBe(2);
    expect(r.timings.firstOffer).toBeCloseTo(0.001, 6);
    expect(r.timings.request).toBeCloseTo(2.001, 6);
    expect(r.timings.ack).toBeCloseTo(2.002, 6);
  });

  it.each(PERSONAS.filter((p) => p !== 'custom'))('%s: DISCOVER carries every persona option in order', (persona) => {
    const net = new MemoryNetwork(new FakeClock()).addServer(fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.150' }));
    const r = net.run(client(persona))!;
    expect(r.ok).toBe(true);
    const disc = sent(net)[0]!.msg;
    const want = personaOptions(persona, MAC);
    expect(optionCodes(disc)).toEqual([53, ...want.map((o) => o.code), 255]);
    for (const o of want) expect(bytesEqual(getOption(disc, o.code)!, o.data!)).toBe(true);
    expect(getOption(disc, 60)).not.toBeNull();
  });

  it('custom persona: only the hand-written options', () => {
    const net = new MemoryNetwork(new FakeClock()).addServer(fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.150' }));
    const r = net.run(client('custom', { overrides: { options: [{ code: 12, value: 'lab-host' }, { code: 60, data: new Uint8Array([0x41]) }] } }))!;
    expect(r.ok).toBe(true);
    const disc = sent(net)[0]!.msg;
    expect(optionCodes(disc)).toEqual([53, 12, 60, 255]);
    expect(latin1String(getOption(disc, 12)!)).toBe('lab-host');
  });
});

describe('Dhcp4Client offer selection', () => {
  it('PXE: address offer with a boot file plus the proxy offer', () => {
    const net = new MemoryNetwork(new FakeClock())
      .addServer(fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.101', delay: 0.01 }))
      .addServer(fakeDhcpServer({ addr: '198.51.100.2', yiaddr: '198.51.100.102', bootFile: 'boot.efi', delay: 0.3 }))
      .addServer(fakeDhcpServer({ addr: '198.51.100.3', proxy: true, bootFile: 'proxy.efi', delay: 0.5 }));
    const r = net.run(client('uefi-x64'))!;
    expect(r.ok).toBe(true);
    expect(r.offers.map(serverId)).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);
    expect(serverId(r.chosen.offer!)).toBe('198.51.100.2');
    expect(serverId(r.chosen.proxy!)).toBe('198.51.100.3');
    const req = sent(net)[1]!.msg;
    expect(ipv4ToString(getOption(req, 54)!)).toBe('198.51.100.2');
    expect(ipv4ToString(getOption(req, 50)!)).toBe('198.51.100.102');
    expect(r.address).toBe('198.51.100.102');
    expect(serverId(r.ack!)).toBe('198.51.100.2');
  });

  it('PXE: offers arriving after the window are not considered', () => {
    const net = new MemoryNetwork(new FakeClock())
      .addServer(fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.101', delay: 0.01 }))
      .addServer(fakeDhcpServer({ addr: '198.51.100.2', yiaddr: '198.51.100.102', bootFile: 'boot.efi', delay: 3 }));
    const r = net.run(client('bios'))!;
    expect(serverId(r.chosen.offer!)).toBe('198.51.100.1');
    expect(r.offers).toHaveLength(1);
  });

  it('PXE: a proxy offer alone is not enough; the client keeps asking', () => {
    const net = new MemoryNetwork(new FakeClock()).addServer(fakeDhcpServer({ addr: '198.51.100.3', proxy: true }));
    const r = net.run(client('bios', { maxAttempts: 2 }))!;
    expect(r.ok).toBe(false);
    expect(r.offers).toHaveLength(2);
    expect(r.error).toBe('no OFFER after 2 DISCOVERs in 12 s');
  });

  it('non-PXE (phone): the first offer', () => {
    const net = new MemoryNetwork(new FakeClock())
      .addServer(fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.101', delay: 0.01 }))
      .addServer(fakeDhcpServer({ addr: '198.51.100.2', yiaddr: '198.51.100.102', bootFile: 'x', delay: 0.02 }));
    const r = net.run(client('cisco'))!;
    expect(serverId(r.chosen.offer!)).toBe('198.51.100.1');
    expect(r.chosen.proxy).toBeNull();
    expect(r.timings.request).toBeCloseTo(0.01, 6);
  });
});

describe('Dhcp4Client retransmission', () => {
  it('4/8/16 s back-off, then gives up after 4 DISCOVERs in 60 s', () => {
    const net = new MemoryNetwork(new FakeClock());
    const r = net.run(client('bios'))!;
    const s = sent(net);
    expect(s.map((x) => x.time)).toEqual([0, 4, 12, 28]);
    expect(s.map((x) => x.msg.secs)).toEqual([0, 4, 12, 28]);
    expect(new Set(s.map((x) => x.msg.xid))).toEqual(new Set([XID]));
    expect(r.ok).toBe(false);
    expect(r.error).toBe('no OFFER after 4 DISCOVERs in 60 s');
    expect(r.timings.end).toBe(60);
  });

  it('±1 s randomisation from the injected source', () => {
    const rolls = [0.75, 0.25, 1 - 1e-9, 0];
    let i = 0;
    const net = new MemoryNetwork(new FakeClock());
    const r = net.run(client('bios', { random: () => rolls[i++ % rolls.length]! }))!;
    const times = sent(net).map((x) => x.time);
    expect(times[1]).toBeCloseTo(4.5, 6);
    expect(times[2]).toBeCloseTo(4.5 + 7.5, 6);
    expect(times[3]).toBeCloseTo(12 + 17, 6);
    expect(r.timings.end).toBeCloseTo(29 + 31, 6);
  });

  it('lost OFFERs: the second DISCOVER is answered', () => {
    const net = new MemoryNetwork(new FakeClock(), { drop: (_d, dir, n) => dir === 'toClient' && n === 0 })
      .addServer(fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.150' }));
    const r = net.run(client('cisco'))!;
    expect(r.ok).toBe(true);
    expect(r.messages.filter((m) => m.type === 'DISCOVER')).toHaveLength(2);
    expect(sent(net)[2]!.msg.secs).toBe(4);
  });

  it('REQUEST retransmitted and bounded', () => {
    const net = new MemoryNetwork(new FakeClock());
    const r = net.run(client('cisco', { maxAttempts: 3 }, { kind: 'request', address: '198.51.100.9', serverId: '198.51.100.1' }))!;
    expect(sent(net).map((x) => x.time)).toEqual([0, 4, 12]);
    expect(r.error).toBe('no ACK after 3 REQUESTs in 28 s');
  });
});

describe('Dhcp4Client other operations (RFC 2131 table 5)', () => {
  const server = (): ReturnType<typeof fakeDhcpServer> => fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.150', nak: ['198.51.100.250'] });

  it('REQUEST for a foreign address is NAKed (INIT-REBOOT shape)', () => {
    const net = new MemoryNetwork(new FakeClock()).addServer(server());
    const r = net.run(client('bios', {}, { kind: 'request', address: '198.51.100.250' }))!;
    expect(r.ok).toBe(false);
    expect(r.nak).not.toBeNull();
    expect(r.error).toBe('NAK from 198.51.100.1: wrong address');
    const req = sent(net)[0]!.msg;
    expect(optionCodes(req).slice(0, 2)).toEqual([53, 50]);
    expect(getOption(req, 54)).toBeNull();
    expect(ipv4ToString(req.ciaddr)).toBe('0.0.0.0');
  });

  it('renew: unicast, ciaddr, no 50/54, no broadcast flag', () => {
    const net = new MemoryNetwork(new FakeClock()).addServer(server());
    const r = net.run(client('uefi-x64', {}, { kind: 'renew', address: '198.51.100.150', server: '198.51.100.1' }))!;
    expect(r.ok).toBe(true);
    const { d, msg } = sent(net)[0]!;
    expect(d.dst).toEqual({ addr: '198.51.100.1', port: 67 });
    expect(d.src).toEqual({ addr: '198.51.100.150', port: 68 });
    expect(d.broadcast).toBe(false);
    expect(msgTypeName(msg)).toBe('REQUEST');
    expect(ipv4ToString(msg.ciaddr)).toBe('198.51.100.150');
    expect(getOption(msg, 50)).toBeNull();
    expect(getOption(msg, 54)).toBeNull();
    expect(msg.flags).toBe(0);
    expect(r.address).toBe('198.51.100.150');
  });

  it('rebind: broadcast, ciaddr, no 50/54', () => {
    const net = new MemoryNetwork(new FakeClock()).addServer(server());
    const r = net.run(client('cisco', {}, { kind: 'rebind', address: '198.51.100.150' }))!;
    expect(r.ok).toBe(true);
    const { d, msg } = sent(net)[0]!;
    expect(d.dst.addr).toBe('255.255.255.255');
    expect(d.broadcast).toBe(true);
    expect(ipv4ToString(msg.ciaddr)).toBe('198.51.100.150');
    expect(getOption(msg, 50)).toBeNull();
    expect(getOption(msg, 54)).toBeNull();
  });

  it('release: unicast, ciaddr, 54, no 50, no PRL/vendor class; ends at once', () => {
    const srv = server();
    const net = new MemoryNetwork(new FakeClock()).addServer(srv);
    const r = net.run(client('cisco', {}, { kind: 'release', address: '198.51.100.150', serverId: '198.51.100.1' }))!;
    expect(r.ok).toBe(true);
    expect(r.timings.end).toBe(0);
    const { d, msg } = sent(net)[0]!;
    expect(d.dst).toEqual({ addr: '198.51.100.1', port: 67 });
    expect(msgTypeName(msg)).toBe('RELEASE');
    expect(ipv4ToString(msg.ciaddr)).toBe('198.51.100.150');
    expect(optionCodes(msg)).toEqual([53, 54, 61, 255]);
    expect(srv.received).toHaveLength(1);
  });

  it('decline: broadcast, ciaddr 0, 50 and 54', () => {
    const net = new MemoryNetwork(new FakeClock()).addServer(server());
    const r = net.run(client('bios', {}, { kind: 'decline', address: '198.51.100.150', serverId: '198.51.100.1' }))!;
    expect(r.ok).toBe(true);
    const { d, msg } = sent(net)[0]!;
    expect(d.dst.addr).toBe('255.255.255.255');
    expect(msgTypeName(msg)).toBe('DECLINE');
    expect(ipv4ToString(msg.ciaddr)).toBe('0.0.0.0');
    expect(optionCodes(msg)).toEqual([53, 54, 50, 255]);
  });

  it('inform: ciaddr, no 50/54, ACK without an address', () => {
    const net = new MemoryNetwork(new FakeClock()).addServer(server());
    const r = net.run(client('polycom', {}, { kind: 'inform', address: '198.51.100.150', server: '198.51.100.1' }))!;
    expect(r.ok).toBe(true);
    expect(msgTypeName(r.ack!)).toBe('ACK');
    expect(r.address).toBeNull();
    const { msg } = sent(net)[0]!;
    expect(msgTypeName(msg)).toBe('INFORM');
    expect(ipv4ToString(msg.ciaddr)).toBe('198.51.100.150');
    expect(getOption(msg, 50)).toBeNull();
    expect(getOption(msg, 54)).toBeNull();
  });

  it('ignores replies with another xid or chaddr', () => {
    const clock = new FakeClock();
    const net = new MemoryNetwork(clock);
    const c = client('cisco', { maxAttempts: 1 });
    const good = fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.150' });
    const offer = good.handle({ src: { addr: '0.0.0.0', port: 68 }, dst: { addr: '255.255.255.255', port: 67 }, payload: c.dispatch(0)[0]!.payload }, 0)[0]!;
    const bytes = offer.datagram.payload.slice();
    bytes[4] ^= 0xff; // xid
    c.process({ ...offer.datagram, payload: bytes }, 0.1);
    const other = offer.datagram.payload.slice();
    other[28 + 5] ^= 0xff; // chaddr
    c.process({ ...offer.datagram, payload: other }, 0.1);
    expect(net.run(c)!.offers).toHaveLength(0);
  });
});

describe('Dhcp4Client relay mode', () => {
  it('sets giaddr, hops and option 82, sends server port to server port', () => {
    const srv = fakeDhcpServer({ addr: '198.51.100.1', yiaddr: '198.51.100.150' });
    const net = new MemoryNetwork(new FakeClock()).addServer(srv);
    const r = net.run(client('yealink', {
      relay: { giaddr: '198.51.100.254', circuitId: 'port7', remoteId: 'sw1' }, relayTo: '198.51.100.1',
    }))!;
    expect(r.ok).toBe(true);
    const { d, msg } = sent(net)[0]!;
    expect(d.src).toEqual({ addr: '198.51.100.254', port: 67 });
    expect(d.dst).toEqual({ addr: '198.51.100.1', port: 67 });
    expect(ipv4ToString(msg.giaddr)).toBe('198.51.100.254');
    expect(msg.hops).toBe(1);
    const codes = optionCodes(msg);
    expect(codes.slice(-2)).toEqual([82, 255]);
    expect(Array.from(getOption(msg, 82)!)).toEqual([1, 5, ...Buffer.from('port7'), 2, 3, ...Buffer.from('sw1')]);
  });
});

describe('ProxyDhcpClient', () => {
  it('REQUEST to 4011 with ciaddr and PXE options, boot file from the ACK', () => {
    const proxy = fakeDhcpServer({ addr: '198.51.100.3', proxy: true, bootFile: 'proxy.efi' });
    const net = new MemoryNetwork(new FakeClock()).addServer(proxy);
    const c = new ProxyDhcpClient({ mac: MAC, persona: 'uefi-x64', clientAddr: '198.51.100.150', server: '198.51.100.3', xid: 7, random: noJitter });
    const r = net.run(c)!;
    expect(r.ok).toBe(true);
    expect(r.bootFile).toBe('proxy.efi');
    expect(r.nextServer).toBe('198.51.100.3');
    const { d, msg } = sent(net)[0]!;
    expect(d.dst).toEqual({ addr: '198.51.100.3', port: 4011 });
    expect(d.src).toEqual({ addr: '198.51.100.150', port: 68 });
    expect(msgTypeName(msg)).toBe('REQUEST');
    expect(ipv4ToString(msg.ciaddr)).toBe('198.51.100.150');
    expect(latin1String(getOption(msg, 60)!)).toBe('PXEClient:Arch:00007:UNDI:003000');
    expect(getOption(msg, 50)).toBeNull();
  });

  it('gives up after bounded retries', () => {
    const net = new MemoryNetwork(new FakeClock());
    const c = new ProxyDhcpClient({ mac: MAC, persona: 'bios', clientAddr: '198.51.100.150', server: '198.51.100.3', random: noJitter, maxAttempts: 3 });
    const r = net.run(c)!;
    expect(sent(net).map((x) => x.time)).toEqual([0, 4, 12]);
    expect(r.error).toBe('no ACK from 198.51.100.3:4011 after 3 REQUESTs in 28 s');
  });
});
