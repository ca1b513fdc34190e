// The live link hands the raw transport views into one batch buffer that the next batch overwrites
// (capture/live.ts onPacketView; the fake link scribbles over its buffer after every frame). What
// outlives a frame must be a copy: UDP payloads the clients keep, TCP data that arrives before
// anyone listens, out-of-order segments and IP fragments (those two: transport.test.ts and
// transport-fragments.test.ts, which run over the same fake link).
import { describe, expect, it } from 'vitest';
import type { LiveOpenOptions } from '../../../capture/live.js';
import { ArpOperation, ethernetIpv4Arp } from '../../../wire/arp.js';
import { ipv6FromString } from '../../../wire/bytes.js';
import { emitEthernet, EtherType, parseEthernet } from '../../../wire/ethernet.js';
import { IpProtocol } from '../../../wire/ip-protocol.js';
import { parseIpv4 } from '../../../wire/ipv4.js';
import { emitIpv6 } from '../../../wire/ipv6.js';
import { emitUdp } from '../../../wire/udp.js';
import { parseTcp, TcpFlag } from '../../../wire/tcp.js';
import { createRawTransport } from './transport.js';
import { FakeLink } from './fake-link.test-kit.js';
import { arpFrame, tcpFrame, udpFrame } from './frames.js';
import type { UdpDatagram } from '../types.js';

const A = '02:00:00:00:0d:01';
const SRV_MAC = '02:00:00:00:00:01';
const SRV = '198.51.100.1';
const CLI = '198.51.100.150';
const toA = { srcMac: SRV_MAC, dstMac: A, srcIp: SRV, dstIp: CLI };
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

async function setup() {
  const link = new FakeLink();
  const t = await createRawTransport({ interface: 'fake0', macs: [A], open: (_i: string, _o: LiveOpenOptions) => link });
  t.addClient(A);
  t.setClientAddress(A, { addr: CLI, prefix: 24 });
  return { t, link };
}

describe('raw transport over a link that reuses its frame buffer', () => {
  it('a UDP payload a client keeps stays whole after later frames', async () => {
    const { t, link } = await setup();
    const kept: UdpDatagram[] = [];
    t.onUdp((_m, d) => kept.push(d)); // no copy: as a DHCP client keeping an offer would
    link.inject(udpFrame(toA, 69, 2070, text('first block')));
    link.inject(udpFrame(toA, 69, 2070, text('second')));
    expect(kept.map((d) => Buffer.from(d.payload).toString())).toEqual(['first block', 'second']);
    await t.close();
  });

  it('TCP data that arrives before onData is attached is handed over whole', async () => {
    const { t, link } = await setup();
    link.inject(arpFrame('ff:ff:ff:ff:ff:ff', ethernetIpv4Arp(ArpOperation.REQUEST, SRV_MAC, SRV, '00:00:00:00:00:00', CLI)));
    link.take();
    const p = t.connectTcp(A, { addr: SRV, port: 80 }, 2000);
    await new Promise((r) => setTimeout(r, 5));
    const synFrame = link.take().map((f) => parseEthernet(f, [])!).find((e) => e.etherType === EtherType.IPV4)!;
    const syn = parseTcp(parseIpv4(synFrame.payload, [])!.payload, [])!;
    const send = (flags: number, seq: number, data: Uint8Array = new Uint8Array(0)): void => {
      link.inject(tcpFrame(toA, { srcPort: 80, dstPort: syn.srcPort, seq, ack: (syn.seq + 1) >>> 0, flags, window: 65535, urgent: 0 }, data));
    };
    send(TcpFlag.SYN | TcpFlag.ACK, 5000);
    // The server speaks first, in the same batch as its SYN-ACK: nobody listens yet.
    send(TcpFlag.ACK | TcpFlag.PSH, 5001, text('220 hello'));
    send(TcpFlag.ACK | TcpFlag.PSH, 5010, text(' there'));
    const stream = await p;
    const got: string[] = [];
    stream.onData((d) => got.push(Buffer.from(d).toString()));
    expect(got.join('')).toBe('220 hello there');
    await t.close();
  });

  it('a UDP payload in an IPv6 atomic fragment (RFC 6946) that a client keeps stays whole', async () => {
    const { t, link } = await setup();
    t.setClientAddress6(A, { addr: '2001:db8:1::100', prefix: 64 });
    const kept: UdpDatagram[] = [];
    t.onUdp((_m, d) => kept.push(d));
    // Fragment header with offset 0 and M = 0 (as some stacks send after a "packet too big"): a whole
    // datagram the reassembler hands straight back, a view into the frame like any other.
    const atomic = (payload: string): Uint8Array => {
      const src = '2001:db8:1::1';
      const dst = '2001:db8:1::100';
      const udp = emitUdp({ srcPort: 547, dstPort: 546 }, text(payload), { src: ipv6FromString(src), dst: ipv6FromString(dst) });
      const ip = emitIpv6({
        trafficClass: 0, flowLabel: 0, hopLimit: 64, nextHeader: IpProtocol.UDP, src, dst,
        fragment: { offset: 0, more: false, identification: 0x1234 },
      }, udp);
      return emitEthernet({ dst: A, src: SRV_MAC, vlans: [], etherType: EtherType.IPV6 }, ip);
    };
    link.inject(atomic('advertise'));
    link.inject(atomic('reply'));
    expect(kept.map((d) => Buffer.from(d.payload).toString())).toEqual(['advertise', 'reply']);
    // Nothing was put together from fragments.
    expect(t.counters.reassembled).toBe(0);
    await t.close();
  });
});
