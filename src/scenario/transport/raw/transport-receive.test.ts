// What the raw transport's receive path does with frames that are not a clean datagram for one of
// its clients: it counts them (malformed / foreign) and hands nothing, or nothing partial, to a client.
import { describe, expect, it } from 'vitest';
import type { LiveOpenOptions } from '../../../capture/live.js';
import { putU16 } from '../../../wire/bytes.js';
import { ETHERNET_HEADER_LENGTH, EtherType } from '../../../wire/ethernet.js';
import { IPV6_HEADER } from '../../../wire/ipv6.js';
import { TcpFlag } from '../../../wire/tcp.js';
import { createRawTransport } from './transport.js';
import { FakeLink } from './fake-link.test-kit.js';
import { tcpFrame, udpFrame, udpFrames } from './frames.js';
import type { ClientTransport, UdpDatagram } from '../types.js';

const A = '02:00:00:00:0c:01';
const OTHER = '02:00:00:00:0c:99';
const SRV_MAC = '02:00:00:00:00:01';
const SRV = '198.51.100.1';
const CLI = '198.51.100.150';
const SRV6 = 'fe80::1';
const CLI6 = '2001:db8::150';

type Counted = ClientTransport & { counters: Record<string, number> };

async function setup(): Promise<{ t: Counted; link: FakeLink; got: UdpDatagram[] }> {
  const link = new FakeLink();
  const t = await createRawTransport({ interface: 'fake0', macs: [A], open: (_i: string, _o: LiveOpenOptions) => link });
  t.addClient(A);
  t.setClientAddress(A, { addr: CLI, prefix: 24 });
  t.setClientAddress6(A, { addr: CLI6, prefix: 64 });
  const got: UdpDatagram[] = [];
  t.onUdp((_m, d) => got.push({ ...d, payload: d.payload.slice() }));
  return { t, link, got };
}

const toA = { srcMac: SRV_MAC, dstMac: A, srcIp: SRV, dstIp: CLI };
const IP4 = ETHERNET_HEADER_LENGTH;

describe('raw transport: receiving what is not a clean datagram', () => {
  it('delivers a clean datagram (the baseline the cases below break)', async () => {
    const { t, link, got } = await setup();
    link.inject(udpFrame(toA, 40000, 2070, Uint8Array.of(1, 2, 3)));
    link.inject(udpFrame({ ...toA, srcIp: SRV6, dstIp: CLI6 }, 40000, 2070, Uint8Array.of(4, 5)));
    expect(got.map((d) => [d.src.addr, d.dst.port, [...d.payload]])).toEqual([[SRV, 2070, [1, 2, 3]], [SRV6, 2070, [4, 5]]]);
    expect(t.counters.malformed + t.counters.foreign).toBe(0);
    await t.close();
  });

  it('counts a runt frame and a VLAN-tagged one as malformed', async () => {
    const { t, link, got } = await setup();
    link.inject(new Uint8Array(10));
    const frame = udpFrame(toA, 40000, 2070, Uint8Array.of(1));
    const tagged = new Uint8Array(frame.length + 4);
    tagged.set(frame.subarray(0, 12));
    putU16(tagged, 12, EtherType.VLAN);
    putU16(tagged, 14, 7);
    tagged.set(frame.subarray(12), 16);
    link.inject(tagged);
    expect(got).toEqual([]);
    expect(t.counters.malformed).toBe(2);
    await t.close();
  });

  it('counts an IPv4 header that does not parse and a UDP or TCP header cut short as malformed', async () => {
    const { t, link, got } = await setup();
    const badVersion = udpFrame(toA, 40000, 2070, Uint8Array.of(1));
    badVersion[IP4] = 0x65;
    link.inject(badVersion);
    const cutUdp = udpFrame(toA, 40000, 2070, Uint8Array.of(1));
    putU16(cutUdp, IP4 + 2, 24); // IPv4 total length: header + 4 bytes of UDP
    link.inject(cutUdp);
    const cutTcp = tcpFrame(toA, { srcPort: 80, dstPort: 50000, seq: 1, ack: 0, flags: TcpFlag.SYN, window: 0, urgent: 0 }, new Uint8Array(0));
    putU16(cutTcp, IP4 + 2, 30);
    link.inject(cutTcp);
    const cutUdp6 = udpFrame({ ...toA, srcIp: SRV6, dstIp: CLI6 }, 40000, 2070, Uint8Array.of(1));
    putU16(cutUdp6, IP4 + 4, 4); // IPv6 payload length: 4 bytes of UDP
    link.inject(cutUdp6.subarray(0, IP4 + IPV6_HEADER + 4));
    expect(got).toEqual([]);
    expect(t.counters.malformed).toBe(4);
    await t.close();
  });

  it('counts IPv4 to another MAC as foreign and leaves it alone', async () => {
    const { t, link, got } = await setup();
    link.inject(udpFrame({ ...toA, dstMac: OTHER }, 40000, 2070, Uint8Array.of(1)));
    expect(got).toEqual([]);
    expect(t.counters.foreign).toBe(1);
    await t.close();
  });

  it('never hands a client part of a datagram: a first fragment cut short waits for reassembly, which drops it', async () => {
    const { t, link, got } = await setup();
    const frames = udpFrames(toA, 40000, 2070, new Uint8Array(3000).fill(9), 1500);
    link.inject(frames[0]!.subarray(0, IP4 + 800));
    for (const f of frames.slice(1)) link.inject(f);
    expect(got).toEqual([]);
    expect(t.counters.fragments).toBe(frames.length);
    expect(t.counters.reassembled).toBe(0);
    await t.close();
  });
});
