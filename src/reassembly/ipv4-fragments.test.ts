import { describe, expect, it } from 'vitest';
import { hex } from '../wire/bytes.js';
import { emitIpv4, parseIpv4, type Ipv4Packet, type Ipv4Repr } from '../wire/ipv4.js';
import type { WireIssue } from '../wire/issues.js';
import { emitUdp, parseUdp, verifyUdpChecksum } from '../wire/udp.js';
import { Ipv4FragmentReassembler } from './ipv4-fragments.js';
import { permutations } from '../../test/helpers/frames.js';

const base: Ipv4Repr = {
  dscp: 0, ecn: 0, identification: 0x4242, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: 17,
  src: '198.51.100.7', dst: '203.0.113.8',
};
const pseudo = { src: new Uint8Array([198, 51, 100, 7]), dst: new Uint8Array([203, 0, 113, 8]) };

/** A 3000-byte UDP datagram (header included) with a recognisable payload. */
function datagram(): Uint8Array {
  const payload = new Uint8Array(2992);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + (i >> 8)) & 0xff;
  return emitUdp({ srcPort: 69, dstPort: 2000 }, payload, pseudo);
}

/** Fragments as wire packets (1480 + 1480 + 40 bytes), parsed back like a capture would. */
function fragments(d: Uint8Array, repr: Ipv4Repr = base, size = 1480): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < d.length; off += size) {
    const end = Math.min(d.length, off + size);
    out.push(emitIpv4({ ...repr, fragmentOffset: off, mf: end < d.length }, d.subarray(off, end)));
  }
  return out;
}

function parse(b: Uint8Array): Ipv4Packet {
  return parseIpv4(b, [], 14)!;
}

describe('Ipv4FragmentReassembler', () => {
  const d = datagram();
  const frags = fragments(d);

  it('reuse: datagrams in every order and two at once come out whole from one frame buffer, in buffers used again', () => {
    const r = new Ipv4FragmentReassembler({ reuse: true });
    const frame = new Uint8Array(1600); // one capture buffer, overwritten by every read (the raw worker's)
    const read = (b: Uint8Array): Ipv4Packet => { frame.set(b); return parse(frame.subarray(0, b.length)); };
    const buffers = new Set<ArrayBufferLike>();
    let step = 0;
    for (let round = 0; round < 3; round++) {
      for (const order of permutations([0, 1, 2])) {
        const res = order.map((fi) => r.push(read(frags[fi]!), 0, ++step)).find((x) => x !== null);
        expect(hex(res!.payload)).toBe(hex(d));
        buffers.add(res!.payload.buffer);
      }
    }
    expect(buffers.size).toBe(1); // not an allocation per datagram
    // Two datagrams interleaved (a window): each whole, neither's bytes in the other's buffer.
    const other = fragments(d.map((x) => x ^ 0x5a), { ...base, identification: 0x4243 });
    const got: string[] = [];
    for (let i = 0; i < 3; i++) {
      for (const f of [frags[i]!, other[i]!]) {
        const w = r.push(read(f), 0, ++step);
        if (w !== null) got.push(hex(w.payload)); // copied out before the next push, as the contract says
      }
    }
    expect(got).toEqual([hex(d), hex(d.map((x) => x ^ 0x5a))]);
    expect(r.inFlight).toBe(0);
  });

  it('keepViews: the same datagram in every order, built from views of the frames (only the whole is a copy)', () => {
    for (const order of permutations([0, 1, 2])) {
      const r = new Ipv4FragmentReassembler({ keepViews: true });
      const bufs = order.map((fi) => frags[fi]!.slice());
      const res = bufs.map((b, step) => r.push(parse(b), step * 0.01, step)).find((x) => x !== null);
      expect(hex(res!.payload)).toBe(hex(d));
      // The whole datagram owns its bytes: the frames may go after it is returned.
      for (const b of bufs) b.fill(0xee);
      expect(hex(res!.payload)).toBe(hex(d));
    }
    // Held pieces are views: a frame changed before the datagram completes shows through (the
    // contract keepViews relies on: nobody reuses a frame's buffer).
    const r = new Ipv4FragmentReassembler({ keepViews: true });
    const first = frags[0]!.slice();
    r.push(parse(first), 0, 1);
    first[20 + 100] = first[20 + 100]! ^ 0xff;
    r.push(parse(frags[1]!.slice()), 0, 2);
    const whole = r.push(parse(frags[2]!.slice()), 0, 3)!;
    expect(whole.payload[100]).toBe(d[100]! ^ 0xff);
  });

  it('splits into 3 fragments', () => {
    expect(frags.map((f) => f.length)).toEqual([1500, 1500, 60]);
  });

  it('reassembles the exact datagram in every order, with duplicates, exactly once', () => {
    const orders = [
      ...permutations([0, 1, 2]),
      ...[0, 1, 2].flatMap((dup) => permutations([0, 1, 2, dup])),
    ];
    for (const order of orders) {
      const r = new Ipv4FragmentReassembler();
      const issues: WireIssue[] = [];
      const results: { payload: Uint8Array; frames: number[] }[] = [];
      let completedAt = -1;
      order.forEach((fi, step) => {
        // Capture buffers are reused after the callback: hand in a copy we then scribble over.
        const buf = frags[fi]!.slice();
        const res = r.push(parse(buf), step * 0.01, 100 + step, issues);
        buf.fill(0xee);
        if (res) { results.push(res); if (completedAt < 0) completedAt = step; }
      });
      expect(results.length, `order ${order}`).toBe(1);
      // Complete exactly when the third distinct fragment arrives.
      const firstAllSeen = order.findIndex((_, i) => new Set(order.slice(0, i + 1)).size === 3);
      expect(completedAt).toBe(firstAllSeen);
      expect(hex(results[0]!.payload)).toBe(hex(d));
      expect(results[0]!.frames.length).toBe(firstAllSeen + 1);
      expect(issues).toEqual([]);
      const udp = parseUdp(results[0]!.payload, [])!;
      expect(verifyUdpChecksum(udp, pseudo)).toBe('ok');
    }
  });

  it('passes unfragmented packets straight through as the same view', () => {
    const pkt = parse(emitIpv4(base, d.subarray(0, 100)));
    const res = new Ipv4FragmentReassembler().push(pkt, 0, 1)!;
    expect(res.payload).toBe(pkt.payload);
    expect(res.frames).toEqual([1]);
  });

  it('keeps datagrams apart by key (id, protocol, addresses)', () => {
    const r = new Ipv4FragmentReassembler();
    const other = fragments(d, { ...base, identification: 0x4243 });
    const otherProto = fragments(d, { ...base, protocol: 6 });
    expect(r.push(parse(frags[0]!), 0, 1)).toBeNull();
    expect(r.push(parse(other[1]!), 0, 2)).toBeNull();
    expect(r.push(parse(otherProto[2]!), 0, 3)).toBeNull();
    expect(r.push(parse(frags[1]!), 0, 4)).toBeNull();
    expect(r.inFlight).toBe(3);
    const res = r.push(parse(frags[2]!), 0, 5)!;
    expect(res.frames).toEqual([1, 4, 5]);
    expect(hex(res.payload)).toBe(hex(d));
    expect(r.inFlight).toBe(2);
  });

  it('reports overlapping fragments and keeps the bytes that came first', () => {
    const r = new Ipv4FragmentReassembler();
    const issues: WireIssue[] = [];
    expect(r.push(parse(frags[0]!), 0, 1, issues)).toBeNull();
    // A rogue fragment covering [1000, 2000) with different bytes.
    const rogue = new Uint8Array(1000).fill(0x55);
    expect(r.push(parse(emitIpv4({ ...base, fragmentOffset: 1000, mf: true }, rogue)), 0, 2, issues)).toBeNull();
    expect(issues).toMatchObject([{ kind: 'malformed', layer: 'ipv4-reassembly', offset: 34 }]);
    expect(r.push(parse(frags[2]!), 0, 3, issues)).toBeNull(); // [1480,2000) came from the rogue; [2000,2960) still missing
    const tail = emitIpv4({ ...base, fragmentOffset: 2000, mf: true }, d.subarray(2000, 2960));
    const res = r.push(parse(tail), 0, 4, issues)!;
    const want = d.slice();
    want.fill(0x55, 1480, 2000); // first wins: [1000,1480) kept from fragment 0, [1480,2000) from the rogue
    expect(hex(res.payload)).toBe(hex(want));
    expect(res.frames).toEqual([1, 2, 3, 4]);
    // Only the rogue fragment raised an issue.
    expect(issues.length).toBe(1);
  });

  it('times out incomplete datagrams by the time passed in', () => {
    const r = new Ipv4FragmentReassembler({ timeout: 30 });
    r.push(parse(frags[0]!), 100, 1);
    r.push(parse(frags[2]!), 101, 2);
    expect(r.expire(129)).toEqual([]);
    expect(r.expire(131)).toEqual([
      { key: { src: '198.51.100.7', dst: '203.0.113.8', protocol: 17, identification: 0x4242 }, frames: [1, 2], bytesHave: 1520 },
    ]);
    expect(r.inFlight).toBe(0);
    // A late fragment no longer completes anything.
    expect(r.push(parse(frags[1]!), 132, 3)).toBeNull();
  });

  it('drops a stale datagram when a fragment with its key arrives after the timeout', () => {
    const r = new Ipv4FragmentReassembler();
    const issues: WireIssue[] = [];
    r.push(parse(frags[0]!), 0, 1, issues);
    r.push(parse(frags[1]!), 0, 2, issues);
    expect(r.push(parse(frags[2]!), 60, 3, issues)).toBeNull();
    expect(issues).toMatchObject([{ kind: 'malformed', message: expect.stringContaining('timed out') }]);
  });

  it('bounds memory: datagrams in flight and bytes per datagram', () => {
    const r = new Ipv4FragmentReassembler({ maxDatagrams: 2 });
    const issues: WireIssue[] = [];
    for (let id = 1; id <= 3; id++) r.push(parse(fragments(d, { ...base, identification: id })[0]!), 0, id, issues);
    expect(r.inFlight).toBe(2);
    expect(issues).toMatchObject([{ kind: 'unsupported', message: expect.stringContaining('frame 1') }]);

    const big = new Ipv4FragmentReassembler();
    const is2: WireIssue[] = [];
    const last = emitIpv4({ ...base, fragmentOffset: 65528, mf: false }, new Uint8Array(100));
    expect(big.push(parse(last), 0, 9, is2)).toBeNull();
    expect(is2).toMatchObject([{ kind: 'malformed', message: expect.stringContaining('limit') }]);
    expect(big.inFlight).toBe(0);
  });

  it('ignores truncated fragments and fragments past the end', () => {
    const r = new Ipv4FragmentReassembler();
    const issues: WireIssue[] = [];
    expect(r.push(parse(frags[0]!.subarray(0, 700)), 0, 1, issues)).toBeNull();
    expect(issues).toMatchObject([{ kind: 'truncated' }]);
    r.push(parse(frags[2]!), 0, 2, issues); // total is now 3000
    const past = emitIpv4({ ...base, fragmentOffset: 2960, mf: true }, new Uint8Array(80));
    expect(r.push(parse(past), 0, 3, issues)).toBeNull();
    expect(issues[1]).toMatchObject({ kind: 'malformed', message: expect.stringContaining('past the datagram end') });
    // A "last" fragment ending before bytes already seen.
    const r2 = new Ipv4FragmentReassembler();
    const is2: WireIssue[] = [];
    r2.push(parse(frags[1]!), 0, 1, is2);
    expect(r2.push(parse(emitIpv4({ ...base, fragmentOffset: 8, mf: false }, d.subarray(8, 1480))), 0, 2, is2)).toBeNull();
    expect(is2).toMatchObject([{ kind: 'malformed', message: expect.stringContaining('were seen') }]);
  });
});

describe('FragmentTable bytes held over all datagrams', () => {
  it('a flood of first fragments that never complete holds at most maxTotalBytes; drops are counted', () => {
    const r = new Ipv4FragmentReassembler({ maxTotalBytes: 20_000 });
    const issues: WireIssue[] = [];
    const piece = new Uint8Array(1480);
    for (let id = 0; id < 100; id++) {
      const p = parse(emitIpv4({ ...base, identification: id, mf: true }, piece));
      expect(r.push(p, 0, id + 1, issues)).toBeNull();
    }
    expect(r.heldBytes).toBeLessThanOrEqual(20_000);
    expect(r.limits.dropped).toBe(100 - r.inFlight);
    expect(r.inFlight).toBeGreaterThan(0);
    expect(r.limits.firstFrame).toBeGreaterThan(0);
    expect(issues.some((i) => /hold more than 20000 bytes/.test(i.message))).toBe(true);
  });

  it('fragments far into their datagrams count the buffer they need: a flood of them holds at most maxTotalBytes', () => {
    const r = new Ipv4FragmentReassembler({ maxTotalBytes: 200_000 });
    const issues: WireIssue[] = [];
    const piece = new Uint8Array(8);
    for (let id = 0; id < 100; id++) {
      // 8 bytes at offset 60,000: the datagram's buffer is 60 KB however little arrived.
      const p = parse(emitIpv4({ ...base, identification: id, mf: true, fragmentOffset: 60_000 }, piece));
      expect(r.push(p, 0, id + 1, issues)).toBeNull();
    }
    expect(r.heldBytes).toBeLessThanOrEqual(200_000);
    expect(r.inFlight).toBeLessThanOrEqual(4);
    expect(r.limits.dropped).toBe(100 - r.inFlight);
  });

  it('completing datagrams release what they held', () => {
    const r = new Ipv4FragmentReassembler();
    for (const f of fragments(datagram())) r.push(parse(f), 0, 1);
    expect(r.heldBytes).toBe(0);
    expect(r.limits.dropped).toBe(0);
  });
});
