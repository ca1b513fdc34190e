// `Codec.valid` lets parsing skip decoding a value just to validate it; it must never say "fine" to
// bytes that `decode` rejects or reports. Checked over every table codec with seeded random bytes,
// biased to the lengths and sub-option layouts the checks look at.
import { describe, expect, it } from 'vitest';
import type { WireIssue } from '../issues.js';
import { OPTIONS, optionValueValid } from './options.js';
import { emitDhcpV4, parseDhcpV4 } from './message.js';
import { buildDhcpV4 } from './build.js';
import { IPXE_SUBOPTIONS } from './ipxe.js';
import { clientArch, firstClientArch } from './accessors.js';

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

  // Every iPXE request carries option 175 (feature flags, bus id, version): checked by its TLV walk
  // without building the sub-option list, and only ever "fine" for bytes the decoder takes as is.
  it('option 175 (iPXE): an iPXE request\'s sub-options pass without a decode; only what decodes cleanly passes', () => {
    // iPXE 1.21 on a virtio NIC (include/ipxe/dhcp.h): features 0x11 iscsi … 0x24 efi (1 byte each),
    // bus id 0xb1 (PCI 1af4:1000), version 0xeb 1.21.1.
    const ipxe = Uint8Array.of(0x11, 1, 1, 0x13, 1, 1, 0x14, 1, 1, 0x15, 1, 1, 0x17, 1, 1, 0x24, 1, 1, 0x19, 1, 1,
      0xb1, 5, 1, 0x1a, 0xf4, 0x10, 0x00, 0xeb, 3, 1, 21, 1);
    expect(optionValueValid(175, ipxe)).toBe(true);
    const codes = Object.keys(IPXE_SUBOPTIONS.defs).map(Number);
    const next = rng(175);
    let accepted = 0;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const parts: number[] = [];
      for (let n = 1 + (next() % 4); n > 0; n--) {
        const len = next() % 7;
        parts.push(i % 5 === 0 ? next() & 0xff : codes[next() % codes.length]!, len);
        for (let k = 0; k < len; k++) parts.push(next() & 0xff);
      }
      const d = Uint8Array.from(i % 7 === 0 ? parts.slice(0, -1) : parts);
      const issues: WireIssue[] = [];
      const value = OPTIONS[175]!.codec.decode(d, { issues, base: 0, vendorClass: null });
      if (optionValueValid(175, d)) {
        accepted++;
        expect({ bytes: [...d], value: value === undefined ? 'undefined' : 'ok', issues }).toEqual({ bytes: [...d], value: 'ok', issues: [] });
      } else rejected++;
    }
    expect(accepted).toBeGreaterThan(300);
    expect(rejected).toBeGreaterThan(300);
  });

  it('firstClientArch is the first of clientArch, for any option 93 length', () => {
    for (const data of [null, [], [0], [0, 7], [0, 7, 1], [0, 16, 0, 7], [0, 9, 0]]) {
      const msg = parseDhcpV4(emitDhcpV4(buildDhcpV4({
        xid: 2, chaddr: '52:54:00:12:34:56',
        options: [{ code: 53, value: 'DISCOVER' }, ...(data === null ? [] : [{ code: 93, data: Uint8Array.from(data) }])],
      })), []);
      expect({ data, arch: firstClientArch(msg) }).toEqual({ data, arch: clientArch(msg)[0] });
    }
  });
});
