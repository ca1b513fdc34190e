// The frame composer against the frame dissector and the reassemblers: what it writes reads back
// as the same addresses, ports and payload, with valid checksums; big UDP reassembles to the datagram.
import { describe, expect, it } from 'vitest';
import { LinkType } from '../link-type.js';
import { Ipv4FragmentReassembler, Ipv6FragmentReassembler } from '../../reassembly/index.js';
import { ipv4FromString, ipv6FromString } from '../bytes.js';
import { IpProtocol } from '../ip-protocol.js';
import { parseTcp, TcpFlag, verifyTcpChecksum } from '../tcp.js';
import { parseUdp, verifyUdpChecksum } from '../udp.js';
import type { WireIssue } from '../issues.js';
import { FrameComposer, type FrameAddresses } from './compose.js';
import { FrameDissector } from './dissect.js';

const v4: FrameAddresses = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '198.51.100.1', dstIp: '198.51.100.2', hopLimit: 64 };
const v6: FrameAddresses = { ...v4, srcIp: 'fe80::1', dstIp: '2001:db8::2', hopLimit: 128 };

function data(n: number): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * 31 + 7) & 0xff);
}

describe('FrameComposer', () => {
  it('writes UDP and TCP frames the dissector reads back, checksums valid, over IPv4 and IPv6', () => {
    const c = new FrameComposer();
    const d = new FrameDissector();
    for (const a of [v4, v6]) {
      const issues: WireIssue[] = [];
      const pseudo = a === v4
        ? { src: ipv4FromString(a.srcIp), dst: ipv4FromString(a.dstIp) }
        : { src: ipv6FromString(a.srcIp), dst: ipv6FromString(a.dstIp) };
      d.dissect(LinkType.ETHERNET, c.udp(a, 40000, 2070, data(100)), issues);
      expect([d.srcMac, d.dstMac, d.src, d.dst, d.hopLimit, d.srcPort, d.dstPort]).toEqual([a.srcMac, a.dstMac, a.srcIp, a.dstIp, a.hopLimit, 40000, 2070]);
      expect(d.udpPayload()).toEqual(data(100));
      expect(verifyUdpChecksum(parseUdp(d.ipPayload(), issues)!, pseudo)).toBe('ok');
      d.dissect(LinkType.ETHERNET, c.tcp(a, { srcPort: 50000, dstPort: 8080, seq: 1, ack: 2, flags: TcpFlag.ACK, window: 512, urgent: 0 }, data(10)), issues);
      expect([d.transport, d.tcp.seq, d.tcp.ack, d.tcp.flags]).toEqual([IpProtocol.TCP, 1, 2, TcpFlag.ACK]);
      expect(d.tcp.payload).toEqual(data(10));
      expect(verifyTcpChecksum(parseTcp(d.ipPayload(), issues)!, pseudo)).toBe('ok');
      expect(issues).toEqual([]);
    }
  });

  it('pads short frames to the minimum it is given, and numbers IPv4 datagrams 1, 2, … from its start', () => {
    const padded = new FrameComposer({ minFrameLength: 60 });
    expect(padded.udp(v4, 1, 2, data(1)).length).toBe(60);
    const plain = new FrameComposer();
    const ids = [plain.udp(v4, 1, 2, data(1)), plain.udp(v4, 1, 2, data(1))].map((f) => (f[18]! << 8) | f[19]!);
    expect(ids).toEqual([1, 2]);
    expect(plain.udp(v4, 1, 2, data(1)).length).toBe(14 + 20 + 8 + 1);
  });

  it('cuts UDP above the MTU into fragments that fit it and reassemble to the datagram', () => {
    const c = new FrameComposer();
    const d = new FrameDissector();
    for (const [a, mtu] of [[v4, 1500], [v6, 1280]] as const) {
      const frames = c.udpFrames(a, 40000, 2070, data(5000), mtu);
      expect(frames.length).toBeGreaterThan(1);
      const r4 = new Ipv4FragmentReassembler();
      const r6 = new Ipv6FragmentReassembler();
      let whole: Uint8Array | null = null;
      for (const f of frames) {
        expect(f.length - 14).toBeLessThanOrEqual(mtu);
        d.dissect(LinkType.ETHERNET, f, []);
        expect(d.fragment).toBe(true);
        const r = a === v4 ? r4.push(d.ip4!, 0, 0) : r6.push(d.ip6!, 0, 0);
        if (r) whole = r.payload;
      }
      expect(whole).not.toBeNull();
      d.dissectTransport(IpProtocol.UDP, whole!, 0, whole!.length);
      expect([d.srcPort, d.dstPort]).toEqual([40000, 2070]);
      expect(d.udpPayload()).toEqual(data(5000));
    }
  });
});
