// `Codec.valid` lets parsing skip decoding a value just to validate it; it must never say "fine" to
// bytes that `decode` rejects or reports. Checked over every table codec with seeded random bytes,
// biased to the lengths and sub-option layouts the checks look at.
import { describe, expect, it } from 'vitest';
import type { WireIssue } from '../issues.js';
import { OPTIONS, optionValueValid } from './options.js';
import { emitDhcpV4, parseDhcpV4 } from './message.js';
import { buildDhcpV4 } from './build.js';

/** xorshift32: the same bytes every run. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

/** Random bytes; every other sample is a well-formed TLV list (sub-option codecs need those). */
function sample(next: () => number, i: number): Uint8Array {
  if (i % 2 === 0) return Uint8Array.from({ length: next() % 20 }, () => next() & 0xff);
  const parts: number[] = [];
  for (let n = next() % 4; n > 0; n--) {
    const len = next() % 6;
    parts.push(next() % 12, len);
    for (let k = 0; k < len; k++) parts.push(next() & 0xff);
  }
  return Uint8Array.from(parts);
}

describe('DHCPv4 codec valid() checks', () => {
  it('accept only bytes that decode without an issue', () => {
    const next = rng(12);
    let accepted = 0;
    let rejected = 0;
    for (const [code, def] of Object.entries(OPTIONS)) {
      if (!def.codec.valid) continue;
      for (let i = 0; i < 400; i++) {
        const d = sample(next, i);
        const issues: WireIssue[] = [];
        const value = def.codec.decode(d, { issues, base: 0, vendorClass: null });
        if (optionValueValid(Number(code), d)) {
          accepted++;
          expect({ code, bytes: [...d], value: value === undefined ? 'undefined' : 'ok', issues }).toEqual({ code, bytes: [...d], value: 'ok', issues: [] });
        } else rejected++;
      }
    }
    // The property is only worth something if both sides were exercised.
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });

  it('leave malformed values to the decoder, which reports them as before', () => {
    // Option 54 (server id) of 3 bytes and option 93 (client arch) of 3 bytes do not fit their type.
    const bytes = emitDhcpV4(buildDhcpV4({
      xid: 1, chaddr: '52:54:00:12:34:56',
      options: [{ code: 53, value: 'DISCOVER' }, { code: 54, data: Uint8Array.of(1, 2, 3) }, { code: 93, data: Uint8Array.of(0, 7, 1) }],
    }));
    const issues: WireIssue[] = [];
    parseDhcpV4(bytes, issues);
    expect(issues.map((i) => i.message)).toEqual([
      'option 54 (server-id): 3 byte(s) do not fit its type',
      'option 93 (client-arch): 3 byte(s) do not fit its type',
    ]);
  });
});
