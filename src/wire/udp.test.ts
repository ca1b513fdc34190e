import { describe, expect, it } from 'vitest';
import { fromHex, hex, ipv4FromString, ipv6FromString, u16 } from './bytes.js';
import type { WireIssue } from './issues.js';
import { emitUdp, parseUdp, udpLength, verifyUdpChecksum, writeUdpHeader } from './udp.js';

const v4 = { src: ipv4FromString('198.51.100.1'), dst: ipv4FromString('203.0.113.2') };
const v6 = { src: ipv6FromString('2001:db8::1'), dst: ipv6FromString('2001:db8::2') };

/** RFC 1071 by hand: plain 16-bit word sum, folded and complemented. */
function handChecksum(words: number[]): number {
  let s = words.reduce((a, b) => a + b, 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

describe('emitUdp', () => {
  it('writes the header into a 0xa5 buffer with a hand-computed IPv4 checksum', () => {
    const payload = fromHex('010203');
    const out = new Uint8Array(12).fill(0xa5);
    expect(writeUdpHeader({ srcPort: 68, dstPort: 67 }, payload, v4, out, 2)).toBe(8);
    // pseudo: c633 6401 cb00 7102 0011 000b; header: 0044 0043 000b; data: 0102 0300
    const want = handChecksum([0xc633, 0x6401, 0xcb00, 0x7102, 0x0011, 0x000b, 0x0044, 0x0043, 0x000b, 0x0102, 0x0300]);
    expect(hex(out)).toBe('a5a5' + '00440043000b' + want.toString(16).padStart(4, '0') + 'a5a5');
    expect(udpLength(3)).toBe(11);
  });

  it('uses the IPv6 pseudo-header and verifies back', () => {
    const d = emitUdp({ srcPort: 546, dstPort: 547 }, fromHex('01000000'), v6);
    const words = [0x2001, 0x0db8, 1, 0x2001, 0x0db8, 2, 0, 12, 0, 17, 546, 547, 12, 0x0100, 0];
    expect(u16(d, 6)).toBe(handChecksum(words));
    const parsed = parseUdp(d, [])!;
    expect(verifyUdpChecksum(parsed, v6)).toBe('ok');
    expect(verifyUdpChecksum(parsed, v4)).toBe('bad');
  });

  it('sends 0xffff when the computed checksum is zero', () => {
    // Pick payload words so the whole sum folds to 0xffff (checksum 0).
    const base = emitUdp({ srcPort: 1, dstPort: 2 }, fromHex('0000'), v4);
    const fill = u16(base, 6); // adding this word makes the sum 0xffff
    const d = emitUdp({ srcPort: 1, dstPort: 2 }, fromHex(fill.toString(16).padStart(4, '0')), v4);
    expect(u16(d, 6)).toBe(0xffff);
    expect(verifyUdpChecksum(parseUdp(d, [])!, v4)).toBe('ok');
  });

  it('emits wrong length / checksum on purpose', () => {
    const d = emitUdp({ srcPort: 1, dstPort: 2, length: 5, checksum: 0xbeef }, new Uint8Array(4), v4, { fixLength: false, computeChecksum: false });
    expect(hex(d.subarray(0, 8))).toBe('000100020005beef');
    const zero = emitUdp({ srcPort: 1, dstPort: 2 }, new Uint8Array(4), v4, { computeChecksum: false });
    expect(u16(zero, 6)).toBe(0);
    expect(verifyUdpChecksum(parseUdp(zero, [])!, v4)).toBe('absent');
    expect(verifyUdpChecksum(parseUdp(zero, [])!, v6)).toBe('bad');
  });
});

describe('parseUdp', () => {
  const good = emitUdp({ srcPort: 69, dstPort: 1024 }, fromHex('00010203040506'), v4);

  it('reads the fields and cuts the payload to the length field', () => {
    const padded = new Uint8Array(good.length + 3);
    padded.set(good);
    const issues: WireIssue[] = [];
    const d = parseUdp(padded, issues, 34)!;
    expect(d).toMatchObject({ srcPort: 69, dstPort: 1024, length: 15, payloadOffset: 42, complete: true });
    expect(hex(d.payload)).toBe('00010203040506');
    expect(issues).toEqual([]);
    expect(verifyUdpChecksum(d, v4)).toBe('ok');
    const flipped = good.slice();
    flipped[10] ^= 1;
    expect(verifyUdpChecksum(parseUdp(flipped, [])!, v4)).toBe('bad');
  });

  it('reports length < 8 as malformed and a short buffer as truncated', () => {
    const bad = good.slice();
    bad[5] = 4;
    const issues: WireIssue[] = [];
    const d = parseUdp(bad, issues, 34)!;
    expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', layer: 'udp', offset: 38 })]);
    expect(d.payload.length).toBe(7);
    expect(verifyUdpChecksum(d, v4)).toBe('truncated');
    for (let n = 0; n < good.length; n++) {
      const is: WireIssue[] = [];
      const p = parseUdp(good.subarray(0, n), is, 34);
      expect(is).toEqual([expect.objectContaining({ kind: 'truncated', offset: 34 + n })]);
      if (p) expect(verifyUdpChecksum(p, v4)).toBe('truncated');
      else expect(n).toBeLessThan(8);
    }
  });
});
