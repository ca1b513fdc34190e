// Address text → bytes: the allocation-free fast paths give what the general parse gives.
import { describe, expect, it } from 'vitest';
import { ipv4FromString, ipv4ToString, macFromString, macToString } from './bytes.js';

describe('ipv4FromString / macFromString', () => {
  it('round-trips dotted quads and MACs', () => {
    for (let i = 0; i < 2000; i++) {
      const b = Uint8Array.of(i & 255, (i * 7) & 255, (i * 13) & 255, (i * 31) & 255);
      expect([...ipv4FromString(ipv4ToString(b))]).toEqual([...b]);
      const m = Uint8Array.of(2, i & 255, (i >> 8) & 255, (i * 3) & 255, 0xab, 0xcd);
      expect([...macFromString(macToString(m))]).toEqual([...m]);
    }
  });

  it('reads upper case and dash-separated MACs', () => {
    expect([...macFromString('AA-BB-CC-DD-EE-0F')]).toEqual([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f]);
  });

  it('keeps the lenient general parse for text off the fast path', () => {
    expect([...ipv4FromString('1.2.3')]).toEqual([1, 2, 3, 0]);
    expect([...ipv4FromString('01.002.3.4')]).toEqual([1, 2, 3, 4]);
    expect([...ipv4FromString('1234.1.1.1')]).toEqual([1234 & 0xff, 1, 1, 1]);
    expect([...ipv4FromString(' 1.2.3.4')]).toEqual([1, 2, 3, 4]);
    expect([...macFromString('aa:bb:cc:dd:ee:fg')]).toEqual([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x0f]);
    expect(macFromString('aa:bb:cc:dd:ee')).toHaveLength(5);
  });
});
