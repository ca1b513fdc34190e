import { describe, expect, it } from 'vitest';
import type { LiveOpenOptions } from '../../../capture/live.js';
import { hex, ipv6FromString } from '../../../wire/bytes.js';
import { EtherType, parseEthernet } from '../../../wire/ethernet.js';
import { icmpv6ChecksumOk } from '../../../wire/icmpv6.js';
import { parseIpv6 } from '../../../wire/ipv6.js';
import { linkLocalFromMac } from '../../../wire/ipv6-address.js';
import { emitNdp, ndpOptions, parseNdp, type NdpMessage } from '../../../wire/ndp.js';
import { decodeTcpOptions, emitTcpOptions, parseTcp, TcpFlag, TcpOptionKind, verifyTcpChecksum } from '../../../wire/tcp.js';
import { parseUdp, verifyUdpChecksum } from '../../../wire/udp.js';
import { createRawTransport, type RawTransport } from './transport.js';
import { FakeLink } from './fake-link.test-kit.js';
import { icmpv6Frame, tcpFrame, udpFrame } from './frames.js';
import { neighbourSolicitFrame } from './ndp.js';
import { expectSynOptions } from './syn-options.test-kit.js';
import type { RouterAdvertSeen, UdpDatagram } from '../types.js';

const A = '02:00:00:00:0a:01';
const B = '02:00:00:00:0a:02';
const A_LL = 'fe80::ff:fe00:a01';
const A_GLOBAL = '2001:db8:1::100';
const SRV_MAC = '02:00:00:00:00:01';
const SRV_LL = 'fe80::1';
const SRV = '2001:db8:1::1';
const ROUTER_MAC = '02:00:00:00:00:fe';
const ROUTER_LL = 'fe80::fe';

const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function setup(extra: { tcpRtoMs?: number } = {}): Promise<{ t: RawTransport; link: FakeLink }> {
  const link = new FakeLink();
  const t = await createRawTransport({
    interface: 'fake0', macs: [A, B], rateLimitPps: 100_000, ndIntervalMs: 30, ndRetries: 2, ...extra,
    open: (_i: string, o: LiveOpenOptions) => { link.filter = o.filter ?? ''; return link; },
  });
  t.addClient(A);
  t.addClient(B);
  return { t, link };
}

function decode6(frame: Uint8Array) {
  const eth = parseEthernet(frame, [])!;
  expect(eth.etherType).toBe(EtherType.IPV6);
  const ip = parseIpv6(eth.payload, [])!;
  const pseudo = { src: ip.srcBytes, dst: ip.dstBytes };
  const nd = ip.nextHeader === 58 ? parseNdp(ip.payload, []) : null;
  return { eth, ip, pseudo, nd };
}

function ndFrame(srcMac: string, dstMac: string, srcIp: string, dstIp: string, msg: NdpMessage, hopLimit = 255): Uint8Array {
  const icmp = emitNdp(msg, { src: ipv6FromString(srcIp), dst: ipv6FromString(dstIp) });
  return icmpv6Frame({ srcMac, dstMac, srcIp, dstIp, hopLimit }, icmp);
}

function routerAdvert(lifetime: number, prefix = '2001:db8:1::'): NdpMessage {
  return {
    kind: 'ra', curHopLimit: 64, managed: true, other: true, homeAgent: false, preference: 'high', proxy: false,
    routerLifetime: lifetime, reachableTime: 0, retransTimer: 0,
    options: ndpOptions({ sourceLinkAddr: ROUTER_MAC, prefixes: [{ prefix, length: 64, onLink: true, autonomous: false, valid: 2592000, preferred: 604800 }] }),
  };
}

describe('raw transport IPv6: neighbour discovery responder', () => {
  it('answers an NS for the link-local address with a solicited, override NA carrying our MAC', async () => {
    const { t, link } = await setup();
    expect(linkLocalFromMac(A)).toBe(A_LL);
    // Kea and friends solicit the client's link-local before their unicast reply.
    link.inject(neighbourSolicitFrame(SRV_MAC, SRV_LL, A_LL));
    const [f, ...rest] = link.take();
    expect(rest).toEqual([]);
    const { eth, ip, pseudo, nd } = decode6(f!);
    expect([eth.src, eth.dst]).toEqual([A, SRV_MAC]);
    expect([ip.src, ip.dst, ip.hopLimit, ip.nextHeader]).toEqual([A_LL, SRV_LL, 255, 58]);
    expect(icmpv6ChecksumOk(ip.payload, pseudo)).toBe(true);
    // type 136, code 0, checksum, flags S|O (0x60), reserved, target, option 2 (len 1) = our MAC.
    const m = hex(ip.payload);
    expect(m.slice(0, 4)).toBe('8800');
    expect(m.slice(8)).toBe('60000000' + 'fe80000000000000000000fffe000a01' + '0201' + '020000000a01');
    expect(nd).toMatchObject({ kind: 'na', solicited: true, override: true, router: false, target: A_LL });
    expect(t.counters.ndReplies).toBe(1);
    await t.close();
  });

  it('answers for the global address (multicast NS, unicast NUD probe), defends it against DAD, ignores others', async () => {
    const { t, link } = await setup();
    t.setClientAddress6(A, { addr: '2001:db8:1:0::100', prefix: 64 });
    link.inject(neighbourSolicitFrame(SRV_MAC, SRV, A_GLOBAL));
    link.inject(neighbourSolicitFrame(SRV_MAC, SRV, A_GLOBAL, { mac: A }));
    const [multi, nud] = link.take().map(decode6);
    for (const r of [multi!, nud!]) {
      expect([r.eth.dst, r.ip.src, r.ip.dst]).toEqual([SRV_MAC, A_GLOBAL, SRV]);
      expect(r.nd).toMatchObject({ kind: 'na', solicited: true, target: A_GLOBAL, options: { targetLinkAddr: A } });
    }
    // DAD from :: for our address: an unsolicited NA to all nodes.
    link.inject(neighbourSolicitFrame(SRV_MAC, '::', A_GLOBAL));
    const dad = decode6(link.take()[0]!);
    expect([dad.eth.dst, dad.ip.dst]).toEqual(['33:33:00:00:00:01', 'ff02::1']);
    expect(dad.nd).toMatchObject({ kind: 'na', solicited: false, override: true });
    // Not ours, or ours but forgotten, or with a hop limit below 255: no answer.
    link.inject(neighbourSolicitFrame(SRV_MAC, SRV, '2001:db8:1::101'));
    const hop64 = neighbourSolicitFrame(SRV_MAC, SRV_LL, A_LL);
    hop64[14 + 7] = 64;
    link.inject(hop64);
    t.setClientAddress6(A, null);
    link.inject(neighbourSolicitFrame(SRV_MAC, SRV, A_GLOBAL));
    expect(link.take()).toEqual([]);
    expect(t.counters.ndInvalid).toBe(1);
    await t.close();
  });
});

describe('raw transport IPv6: sending', () => {
  it('sends DHCPv6 to ff02::1:2 on 33:33:00:01:00:02 with a valid checksum and EDK2\'s hop limit', async () => {
    const { t, link } = await setup();
    t.sendUdp(A, { src: { addr: A_LL, port: 546 }, dst: { addr: 'ff02::1:2', port: 547 }, payload: Uint8Array.of(1, 0, 0, 7) });
    const [f, ...rest] = link.take();
    expect(rest).toEqual([]);
    const { eth, ip, pseudo } = decode6(f!);
    expect([eth.src, eth.dst]).toEqual([A, '33:33:00:01:00:02']);
    expect([ip.src, ip.dst, ip.hopLimit, ip.nextHeader]).toEqual([A_LL, 'ff02::1:2', 128, 17]);
    const udp = parseUdp(ip.payload, [])!;
    expect([udp.srcPort, udp.dstPort, [...udp.payload]]).toEqual([546, 547, [1, 0, 0, 7]]);
    expect(verifyUdpChecksum(udp, pseudo)).toBe('ok');
    await t.close();
  });

  it('solicits the neighbour before unicast, from the source address, and sends once it answers', async () => {
    const { t, link } = await setup();
    t.setClientAddress6(A, { addr: A_GLOBAL, prefix: 64 });
    t.sendUdp(A, { src: { addr: A_GLOBAL, port: 2070 }, dst: { addr: SRV, port: 69 }, payload: Uint8Array.of(0, 1) });
    const [ns] = link.take().map(decode6);
    expect([ns!.eth.dst, ns!.ip.src, ns!.ip.dst, ns!.ip.hopLimit]).toEqual(['33:33:ff:00:00:01', A_GLOBAL, 'ff02::1:ff00:1', 255]);
    expect(ns!.nd).toMatchObject({ kind: 'ns', target: SRV, options: { sourceLinkAddr: A } });
    expect(icmpv6ChecksumOk(ns!.ip.payload, ns!.pseudo)).toBe(true);
    const na: NdpMessage = { kind: 'na', router: false, solicited: true, override: true, target: SRV, options: ndpOptions({ targetLinkAddr: SRV_MAC }) };
    link.inject(ndFrame(SRV_MAC, A, SRV, A_GLOBAL, na));
    const [u] = link.take().map(decode6);
    expect([u!.eth.dst, u!.ip.src, u!.ip.dst]).toEqual([SRV_MAC, A_GLOBAL, SRV]);
    expect(verifyUdpChecksum(parseUdp(u!.ip.payload, [])!, u!.pseudo)).toBe('ok');
    // Cached now: the next datagram goes at once.
    t.sendUdp(A, { src: { addr: A_GLOBAL, port: 2070 }, dst: { addr: SRV, port: 69 }, payload: Uint8Array.of(0, 4) });
    expect(link.take().map((f) => decode6(f).ip.nextHeader)).toEqual([17]);
    // Nobody answers for ::77: two solicitations 30 ms apart, then the datagram is dropped.
    t.sendUdp(A, { src: { addr: A_GLOBAL, port: 2070 }, dst: { addr: '2001:db8:1::77', port: 69 }, payload: Uint8Array.of(0, 1) });
    await tick(100);
    expect(link.take().map((f) => decode6(f).nd?.kind)).toEqual(['ns', 'ns']);
    expect(t.counters.unresolved).toBe(1);
    await t.close();
  });

  it('emits an RS from the link-local address to ff02::2 with a source link-layer option', async () => {
    const { t, link } = await setup();
    t.solicitRouters(B);
    const { eth, ip, pseudo, nd } = decode6(link.take()[0]!);
    expect([eth.src, eth.dst]).toEqual([B, '33:33:00:00:00:02']);
    expect([ip.src, ip.dst, ip.hopLimit]).toEqual([linkLocalFromMac(B), 'ff02::2', 255]);
    expect(icmpv6ChecksumOk(ip.payload, pseudo)).toBe(true);
    expect(hex(ip.payload.subarray(0, 2))).toBe('8500');
    expect(nd).toMatchObject({ kind: 'rs', options: { sourceLinkAddr: B } });
    await t.close();
  });
});

describe('raw transport IPv6: router advertisements and receiving', () => {
  it('hands every RA to the handlers and routes off-link traffic to the default router', async () => {
    const { t, link } = await setup();
    const seen: RouterAdvertSeen[] = [];
    t.onRouterAdvert((ra) => seen.push(ra));
    link.inject(ndFrame(ROUTER_MAC, '33:33:00:00:00:01', ROUTER_LL, 'ff02::1', routerAdvert(1800)));
    link.inject(ndFrame(ROUTER_MAC, A, ROUTER_LL, A_LL, routerAdvert(0, '2001:db8:2::')));
    link.inject(ndFrame(ROUTER_MAC, '33:33:00:00:00:01', ROUTER_LL, 'ff02::1', routerAdvert(1800), 64)); // not valid ND
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({
      router: ROUTER_LL, routerMac: ROUTER_MAC, unicastTo: null, managed: true, other: true, lifetime: 1800, preference: 'high',
      prefixes: [{ prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: false, valid: 2592000, preferred: 604800 }],
    });
    expect(seen[1]).toMatchObject({ unicastTo: A_LL, lifetime: 0 });
    // The second RA withdrew the default router: off-link traffic is then solicited directly.
    t.sendUdp(A, { src: { addr: A_LL, port: 2070 }, dst: { addr: '2001:db8:99::5', port: 69 }, payload: Uint8Array.of(1) });
    expect(decode6(link.take()[0]!).nd).toMatchObject({ kind: 'ns', target: '2001:db8:99::5' });
    link.inject(ndFrame(ROUTER_MAC, '33:33:00:00:00:01', ROUTER_LL, 'ff02::1', routerAdvert(1800)));
    t.setClientAddress6(A, { addr: A_GLOBAL, prefix: 64 });
    t.sendUdp(A, { src: { addr: A_GLOBAL, port: 2070 }, dst: { addr: '2001:db8:99::6', port: 69 }, payload: Uint8Array.of(1) });
    const [viaRouter] = link.take().map(decode6);
    // The router's MAC came with its RA: no solicitation, straight to it.
    expect([viaRouter!.eth.dst, viaRouter!.ip.dst, viaRouter!.ip.nextHeader]).toEqual([ROUTER_MAC, '2001:db8:99::6', 17]);
    await t.close();
  });

  it('delivers UDP by destination address: a client\'s own addresses, all-nodes to everyone, nothing for strangers', async () => {
    const { t, link } = await setup();
    const got: [string, UdpDatagram][] = [];
    t.onUdp((mac, d) => got.push([mac, d]));
    t.setClientAddress6(B, { addr: '2001:db8:1::101', prefix: 64 });
    const reply = (dstMac: string, dstIp: string): Uint8Array => udpFrame({ srcMac: SRV_MAC, dstMac, srcIp: SRV_LL, dstIp }, 547, 546, Uint8Array.of(7, 0, 0, 1));
    link.inject(reply(A, A_LL));
    link.inject(reply(B, '2001:db8:1::101'));
    link.inject(reply('33:33:00:00:00:01', 'ff02::1'));
    link.inject(reply(A, '2001:db8:1::199'));
    expect(got.map(([m, d]) => [m, d.dst.addr, d.src.addr, d.dst.port])).toEqual([
      [A, A_LL, SRV_LL, 546], [B, '2001:db8:1::101', SRV_LL, 546], [A, 'ff02::1', SRV_LL, 546], [B, 'ff02::1', SRV_LL, 546],
    ]);
    expect(t.counters.foreign).toBe(1);
    // The server's MAC was learned from its unicast reply: no solicitation before answering it.
    t.sendUdp(A, { src: { addr: A_LL, port: 546 }, dst: { addr: SRV_LL, port: 547 }, payload: Uint8Array.of(3) });
    expect(decode6(link.take()[0]!).eth.dst).toBe(SRV_MAC);
    await t.close();
  });
});

describe('raw transport IPv6: TCP', () => {
  it('connects from the global address with an IPv6 MSS and checksums over the IPv6 pseudo-header', async () => {
    const { t, link } = await setup();
    await expect(t.connectTcp(A, { addr: SRV, port: 80 }, 500)).rejects.toThrow(/no global IPv6 address/);
    t.setClientAddress6(A, { addr: A_GLOBAL, prefix: 64 });
    // The server's MAC is learned from its NS.
    link.inject(neighbourSolicitFrame(SRV_MAC, SRV, A_GLOBAL));
    link.take();
    const p = t.connectTcp(A, { addr: '2001:0db8:1::0001', port: 80 }, 2000);
    await tick();
    const s = decode6(link.take()[0]!);
    expect([s.eth.dst, s.ip.src, s.ip.dst, s.ip.hopLimit]).toEqual([SRV_MAC, A_GLOBAL, SRV, 128]);
    const syn = parseTcp(s.ip.payload, [])!;
    expect(syn.flags).toBe(TcpFlag.SYN);
    expectSynOptions(syn.options, 1440);
    link.inject(tcpFrame({ srcMac: SRV_MAC, dstMac: A, srcIp: SRV, dstIp: A_GLOBAL },
      { srcPort: 80, dstPort: syn.srcPort, seq: 5000, ack: syn.seq + 1, flags: TcpFlag.SYN | TcpFlag.ACK, window: 65535, urgent: 0 }, new Uint8Array(0)));
    const stream = await p;
    const ack = decode6(link.take()[0]!);
    const seg = parseTcp(ack.ip.payload, [])!;
    expect(seg).toMatchObject({ flags: TcpFlag.ACK, ack: 5001 });
    expect(verifyTcpChecksum(seg, ack.pseudo)).toBe('ok');
    stream.close();
    await t.close();
  });

  it('SACKs data held beyond a gap over IPv6 once the SYN-ACK permits it (RFC 2018), checksummed', async () => {
    const { t, link } = await setup();
    t.setClientAddress6(A, { addr: A_GLOBAL, prefix: 64 });
    link.inject(neighbourSolicitFrame(SRV_MAC, SRV, A_GLOBAL));
    link.take();
    const p = t.connectTcp(A, { addr: SRV, port: 80 }, 2000);
    await tick();
    const syn = parseTcp(decode6(link.take()[0]!).ip.payload, [])!;
    const from = { srcMac: SRV_MAC, dstMac: A, srcIp: SRV, dstIp: A_GLOBAL };
    const tcp = (seq: number, flags: number, options: Uint8Array = new Uint8Array(0)) =>
      ({ srcPort: 80, dstPort: syn.srcPort, seq, ack: syn.seq + 1, flags, window: 65535, urgent: 0, options });
    const sackOk = emitTcpOptions([{ kind: TcpOptionKind.MSS, mss: 1440 }, { kind: TcpOptionKind.WINDOW_SCALE, shift: 7 }, { kind: TcpOptionKind.SACK_PERMITTED }]);
    link.inject(tcpFrame(from, tcp(5000, TcpFlag.SYN | TcpFlag.ACK, sackOk), new Uint8Array(0)));
    const stream = await p;
    stream.onData(() => {});
    link.take();
    link.inject(tcpFrame(from, tcp(5001 + 1000, TcpFlag.ACK), new Uint8Array(1000))); // the first 1000 bytes lost
    const ack = decode6(link.take().at(-1)!);
    const seg = parseTcp(ack.ip.payload, [])!;
    expect(verifyTcpChecksum(seg, ack.pseudo)).toBe('ok');
    expect(seg.ack).toBe(5001);
    expect(decodeTcpOptions(seg.options, []).filter((o) => o.kind === TcpOptionKind.SACK)).toEqual([{ kind: TcpOptionKind.SACK, blocks: [[6001, 7001]] }]);
    stream.close();
    await t.close();
  });
});
