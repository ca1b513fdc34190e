// The fast read of plain IPv4 TCP frames against the full dissector: where it answers, every field
// and view is the dissector's; every frame it must leave alone (fragments, IP options, VLAN tags,
// IPv6, UDP, cut packets) it refuses.
import { describe, expect, it } from 'vitest';
import { ipv4FromString, macFromString, u16, u32 } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import { LinkType } from '../link-type.js';
import { emitTcpOptions, TcpFlag, TcpOptionKind } from '../tcp.js';
import { FrameComposer, type FrameAddresses } from './compose.js';
import { FrameDissector } from './dissect.js';
import { Tcp4FramePeek } from './tcp4-peek.js';

const v4: FrameAddresses = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '198.51.100.1', dstIp: '198.51.100.200', hopLimit: 64 };
const composer = new FrameComposer({ minFrameLength: 60 });
const tcp = (a: FrameAddresses, payload: Uint8Array, options?: Uint8Array): Uint8Array =>
  composer.tcp(a, { srcPort: 80, dstPort: 49153, seq: 0xfffffff0, ack: 0x80000001, flags: TcpFlag.ACK | TcpFlag.PSH, window: 513, urgent: 0, ...(options ? { options } : {}) }, payload);

function dissected(frame: Uint8Array) {
  const d = new FrameDissector();
  const issues: WireIssue[] = [];
  d.dissect(LinkType.ETHERNET, frame, issues);
  const s = d.tcp;
  return { srcPort: s.srcPort, dstPort: s.dstPort, seq: s.seq, ack: s.ack, flags: s.flags, window: s.window, checksum: s.checksum, urgent: s.urgent, headerLength: s.headerLength, dataOffset: s.dataOffset, options: [...s.options], payload: [...s.payload], payloadOffset: s.payloadOffset };
}

describe('Tcp4FramePeek', () => {
  it('reads what the dissector reads: empty, padded, optioned and full-sized segments', () => {
    const sack = emitTcpOptions([{ kind: TcpOptionKind.SACK, blocks: [[1, 2], [3, 4]] }]);
    for (const frame of [tcp(v4, new Uint8Array(0)), tcp(v4, Uint8Array.of(1, 2, 3)), tcp(v4, new Uint8Array(1460).fill(7), sack), tcp(v4, new Uint8Array(64000).fill(9))]) {
      const p = new Tcp4FramePeek();
      expect(p.read(frame)).toBe(true);
      const s = p.seg;
      expect({ srcPort: s.srcPort, dstPort: s.dstPort, seq: s.seq, ack: s.ack, flags: s.flags, window: s.window, checksum: s.checksum, urgent: s.urgent, headerLength: s.headerLength, dataOffset: s.dataOffset, options: [...s.options], payload: [...s.payload], payloadOffset: s.payloadOffset }).toEqual(dissected(frame));
      expect([p.srcIp, p.dstIp]).toEqual([u32(ipv4FromString(v4.srcIp), 0), u32(ipv4FromString(v4.dstIp), 0)]);
      const mac = macFromString(v4.dstMac);
      expect([p.dstMacHigh, p.dstMacLow]).toEqual([u16(mac, 0), u32(mac, 2)]);
    }
    // Ethernet padding is not payload: a 3-byte segment in a 60-byte frame.
    const p = new Tcp4FramePeek();
    p.read(tcp(v4, Uint8Array.of(1, 2, 3)));
    expect(p.seg.payload.length).toBe(3);
  });

  it('refuses what only the dissector should take', () => {
    const plain = tcp(v4, new Uint8Array(100));
    const edit = (f: (b: Uint8Array) => void, from = plain): Uint8Array => { const b = from.slice(); f(b); return b; };
    const refused = {
      ipv6: composer.tcp({ ...v4, srcIp: '2001:db8::1', dstIp: '2001:db8::2' }, { srcPort: 80, dstPort: 49153, seq: 1, ack: 1, flags: TcpFlag.ACK, window: 1, urgent: 0 }, new Uint8Array(10)),
      udp: composer.udp(v4, 69, 49153, new Uint8Array(40)),
      vlanTagged: edit((b) => { b[12] = 0x81; b[13] = 0x00; }),
      ipOptions: edit((b) => { b[14] = 0x46; }),
      moreFragments: edit((b) => { b[20] = 0x20; }),
      fragmentOffset: edit((b) => { b[21] = 0x01; }),
      cutShort: plain.subarray(0, plain.length - 1),
      badDataOffset: edit((b) => { b[14 + 20 + 12] = 0x40; }),
      headerBeyondPacket: edit((b) => { b[14 + 20 + 12] = 0xf0; }, tcp(v4, new Uint8Array(0))),
    };
    const p = new Tcp4FramePeek();
    expect(Object.fromEntries(Object.entries(refused).map(([k, f]) => [k, p.read(f)]))).toEqual(Object.fromEntries(Object.keys(refused).map((k) => [k, false])));
  });
});
