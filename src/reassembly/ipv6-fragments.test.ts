import { describe, expect, it } from 'vitest';
import { hex, ipv6FromString } from '../wire/bytes.js';
import { emitIpv6, parseIpv6, type Ipv6Packet, type Ipv6Repr } from '../wire/ipv6.js';
import type { WireIssue } from '../wire/issues.js';
import { emitUdp, parseUdp, verifyUdpChecksum } from '../wire/udp.js';
import { Ipv6FragmentReassembler } from './ipv6-fragments.js';
import { permutations } from '../../test/helpers/frames.js';

const repr: Ipv6Repr = { trafficClass: 0, flowLabel: 0, hopLimit: 64, nextHeader: 17, src: '2001:db8::7', dst: '2001:db8::8' };
const pseudo = { src: ipv6FromString('2001:db8::7'), dst: ipv6FromString('2001:db8::8') };

function datagram(): Uint8Array {
  const payload = new Uint8Array(2992);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 13 + (i >> 7)) & 0xff;
  return emitUdp({ srcPort: 547, dstPort: 546 }, payload, pseudo);
}

function fragments(d: Uint8Array, identification = 0x01020304, size = 1448): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < d.length; off += size) {
    const end = Math.min(d.length, off + size);
    out.push(emitIpv6({ ...repr, fragment: { offset: off, more: end < d.length, identification } }, d.subarray(off, end)));
  }
  return out;
}

const parse = (b: Uint8Array): Ipv6Packet => parseIpv6(b, [], 14)!;

describe('Ipv6FragmentReassembler', () => {
  const d = datagram();
  const frags = fragments(d);

  it('reassembles the exact datagram in every order, with duplicates', () => {
    expect(frags.map((f) => f.length)).toEqual([1496, 1496, 152]);
    const orders = [...permutations([0, 1, 2]), ...[0, 1, 2].flatMap((dup) => permutations([0, 1, 2, dup]))];
    for (const order of orders) {
      const r = new Ipv6FragmentReassembler();
      const issues: WireIssue[] = [];
      const results = [];
      for (const [step, fi] of order.entries()) {
        const buf = frags[fi]!.slice();
        const res = r.push(parse(buf), step, step + 1, issues);
        buf.fill(0);
        if (res) results.push(res);
      }
      expect(results.length, `order ${order}`).toBe(1);
      expect(hex(results[0]!.payload)).toBe(hex(d));
      expect(results[0]!.nextHeader).toBe(17);
      expect(issues).toEqual([]);
      expect(verifyUdpChecksum(parseUdp(results[0]!.payload, [])!, pseudo)).toBe('ok');
    }
  });

  it('keys on (src, dst, identification) and passes non-fragments and atomic fragments through', () => {
    const r = new Ipv6FragmentReassembler();
    const other = fragments(d, 7);
    r.push(parse(frags[0]!), 0, 1);
    r.push(parse(other[1]!), 0, 2);
    r.push(parse(frags[1]!), 0, 3);
    expect(r.inFlight).toBe(2);
    expect(r.push(parse(frags[2]!), 0, 4)!.frames).toEqual([1, 3, 4]);

    const plain = parse(emitIpv6(repr, d.subarray(0, 64)));
    expect(r.push(plain, 0, 5)!.payload).toBe(plain.payload);
    const atomic = parse(emitIpv6({ ...repr, fragment: { offset: 0, more: false, identification: 9 } }, d.subarray(0, 64)));
    expect(r.push(atomic, 0, 6)).toMatchObject({ frames: [6], nextHeader: 17 });
  });

  it('reports overlaps (first wins) and times out', () => {
    const r = new Ipv6FragmentReassembler({ timeout: 60 });
    const issues: WireIssue[] = [];
    r.push(parse(frags[0]!), 0, 1, issues);
    const rogue = emitIpv6({ ...repr, fragment: { offset: 1440, more: true, identification: 0x01020304 } }, new Uint8Array(16).fill(9));
    r.push(parse(rogue), 0, 2, issues);
    expect(issues).toMatchObject([{ kind: 'malformed', layer: 'ipv6-reassembly', offset: 14 + 48 }]);
    expect(r.expire(59)).toEqual([]);
    expect(r.expire(61)).toEqual([
      { key: { src: '2001:db8::7', dst: '2001:db8::8', identification: 0x01020304 }, frames: [1, 2], bytesHave: 1448 + 8 },
    ]);
  });
});
