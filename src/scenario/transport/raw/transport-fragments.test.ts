// IP fragmentation in the raw transport: fragments received are reassembled (a TFTP block above
// the path MTU), datagrams bigger than the MTU go out as fragments a receiver can put together.
import { describe, expect, it } from 'vitest';
import type { LiveOpenOptions } from '../../../capture/live.js';
import { Ipv4FragmentReassembler, Ipv6FragmentReassembler } from '../../../reassembly/index.js';
import { ArpOperation, ethernetIpv4Arp } from '../../../wire/arp.js';
import { EtherType, parseEthernet } from '../../../wire/ethernet.js';
import { parseIpv4 } from '../../../wire/ipv4.js';
import { parseIpv6 } from '../../../wire/ipv6.js';
import { parseUdp, verifyUdpChecksum } from '../../../wire/udp.js';
import { ipv4FromString, ipv6FromString } from '../../../wire/bytes.js';
import { createRawTransport } from './transport.js';
import { FakeLink } from './fake-link.test-kit.js';
import { arpFrame, udpFrames } from './frames.js';
import type { ClientTransport, UdpDatagram } from '../types.js';

const A = '02:00:00:00:0b:01';
const SRV_MAC = '02:00:00:00:00:01';
const SRV = '198.51.100.1';
const CLI = '198.51.100.150';

async function setup(mtu?: number): Promise<{ t: ClientTransport & { counters: Record<string, number> }; link: FakeLink }> {
  const link = new FakeLink();
  const t = await createRawTransport({
    interface: 'fake0', macs: [A], rateLimitPps: 100_000, ...(mtu ? { mtu } : {}),
    open: (_i: string, _o: LiveOpenOptions) => link,
  });
  t.addClient(A);
  return { t, link };
}

function block(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + 3) & 0xff;
  return b;
}

describe('raw transport: IP fragments', () => {
  it('reassembles a fragmented IPv4 UDP datagram (an 8192-byte TFTP block), in any order, and delivers it once', async () => {
    const { t, link } = await setup();
    const got: UdpDatagram[] = [];
    t.onUdp((_m, d) => got.push({ ...d, payload: d.payload.slice() }));
    t.setClientAddress(A, { addr: CLI, prefix: 24 });
    const data = block(4 + 8192);
    const frames = udpFrames({ srcMac: SRV_MAC, dstMac: A, srcIp: SRV, dstIp: CLI }, 40000, 2070, data, 1500);
    expect(frames.length).toBe(6);
    // Last fragment first, then the rest backwards: order must not matter.
    for (const f of [...frames].reverse()) link.inject(f);
    expect(got).toHaveLength(1);
    expect(got[0]!.src).toEqual({ addr: SRV, port: 40000 });
    expect(got[0]!.dst.port).toBe(2070);
    expect(Buffer.from(got[0]!.payload).equals(Buffer.from(data))).toBe(true);
    expect(t.counters.fragments).toBe(6);
    expect(t.counters.reassembled).toBe(1);
    await t.close();
  });

  it('a datagram with a fragment missing is not delivered', async () => {
    const { t, link } = await setup();
    const got: UdpDatagram[] = [];
    t.onUdp((_m, d) => got.push(d));
    t.setClientAddress(A, { addr: CLI, prefix: 24 });
    const frames = udpFrames({ srcMac: SRV_MAC, dstMac: A, srcIp: SRV, dstIp: CLI }, 40000, 2070, block(3000), 1500);
    for (const f of frames.slice(1)) link.inject(f);
    expect(got).toEqual([]);
    await t.close();
  });

  it('reassembles fragmented IPv6 UDP to a client link-local address', async () => {
    const { t, link } = await setup();
    const got: UdpDatagram[] = [];
    t.onUdp((_m, d) => got.push({ ...d, payload: d.payload.slice() }));
    const ll = 'fe80::ff:fe00:b01';
    const data = block(5000);
    const frames = udpFrames({ srcMac: SRV_MAC, dstMac: A, srcIp: 'fe80::1', dstIp: ll, hopLimit: 64 }, 547, 546, data, 1500);
    expect(frames.length).toBe(4);
    for (const f of frames) link.inject(f);
    expect(got).toHaveLength(1);
    expect(got[0]!.src.port).toBe(547);
    expect(Buffer.from(got[0]!.payload).equals(Buffer.from(data))).toBe(true);
    await t.close();
  });

  it('sends a UDP datagram bigger than the MTU as IPv4 fragments (8-byte aligned, MF set on all but the last) that reassemble to it', async () => {
    const { t, link } = await setup(1280);
    t.setClientAddress(A, { addr: CLI, prefix: 24 });
    link.inject(arpFrame('ff:ff:ff:ff:ff:ff', ethernetIpv4Arp(ArpOperation.REQUEST, SRV_MAC, SRV, '00:00:00:00:00:00', CLI)));
    link.take();
    const data = block(3000);
    t.sendUdp(A, { src: { addr: CLI, port: 2070 }, dst: { addr: SRV, port: 69 }, payload: data });
    const sent = link.take();
    expect(sent.length).toBe(3);
    const r = new Ipv4FragmentReassembler();
    let whole: Uint8Array | null = null;
    for (const [i, f] of sent.entries()) {
      const eth = parseEthernet(f, [])!;
      expect(eth.etherType).toBe(EtherType.IPV4);
      const ip = parseIpv4(eth.payload, [])!;
      expect(ip.totalLength).toBeLessThanOrEqual(1280);
      expect(ip.mf).toBe(i < sent.length - 1);
      expect(ip.fragmentOffset % 8).toBe(0);
      whole = r.push(ip, 0, i)?.payload ?? whole;
    }
    const udp = parseUdp(whole!, [])!;
    expect(udp.dstPort).toBe(69);
    expect(verifyUdpChecksum(udp, { src: ipv4FromString(CLI), dst: ipv4FromString(SRV) })).toBe('ok');
    expect(Buffer.from(udp.payload).equals(Buffer.from(data))).toBe(true);
    expect(t.counters.fragmentedSends).toBe(1);
    await t.close();
  });

  it('sends a big IPv6 multicast datagram as fragments with a Fragment header', async () => {
    const { t, link } = await setup();
    const data = block(2000);
    const src = 'fe80::ff:fe00:b01';
    t.sendUdp(A, { src: { addr: src, port: 546 }, dst: { addr: 'ff02::1:2', port: 547 }, payload: data });
    const sent = link.take();
    expect(sent.length).toBe(2);
    const r = new Ipv6FragmentReassembler();
    let whole: Uint8Array | null = null;
    for (const [i, f] of sent.entries()) {
      const ip = parseIpv6(parseEthernet(f, [])!.payload, [])!;
      expect(ip.fragment).toBeDefined();
      expect(40 + ip.payloadLength).toBeLessThanOrEqual(1500);
      whole = r.push(ip, 0, i)?.payload ?? whole;
    }
    const udp = parseUdp(whole!, [])!;
    expect(verifyUdpChecksum(udp, { src: ipv6FromString(src), dst: ipv6FromString('ff02::1:2') })).toBe('ok');
    expect(Buffer.from(udp.payload).equals(Buffer.from(data))).toBe(true);
    await t.close();
  });

  it('a datagram that fits the MTU is one frame', async () => {
    const { t, link } = await setup();
    t.sendUdp(A, { src: { addr: '0.0.0.0', port: 68 }, dst: { addr: '255.255.255.255', port: 67 }, payload: block(1472), broadcast: true });
    const sent = link.take();
    expect(sent).toHaveLength(1);
    expect(parseIpv4(parseEthernet(sent[0]!, [])!.payload, [])!.mf).toBe(false);
    await t.close();
  });
});

describe('raw transport: BPF filter size', () => {
  it('names a few MACs, and falls back to the protocol filter for thousands (the binding takes 4 KiB of filter)', async () => {
    const { rawBpfFilter, MAX_FILTER_MACS } = await import('./transport.js');
    const many = Array.from({ length: 2000 }, (_, i) => `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`);
    expect(rawBpfFilter(many.slice(0, 2))).toContain('ether dst 02:00:00:00:00:01');
    expect(rawBpfFilter(many.slice(0, MAX_FILTER_MACS)).length).toBeLessThan(4096);
    expect(rawBpfFilter(many)).toBe(rawBpfFilter());
  });
});
