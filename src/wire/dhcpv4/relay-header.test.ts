import { describe, expect, it } from 'vitest';
import { hex } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import { buildDhcpV4, emitDhcpV4, parseDhcpV4, withRelayHeader } from './index.js';

const discover = (): Uint8Array => emitDhcpV4(buildDhcpV4({
  xid: 0x01020304, chaddr: '02:00:00:00:00:01', hops: 2, flags: 0x8000,
  options: [{ code: 53, data: Uint8Array.of(1) }, { code: 55, data: Uint8Array.of(1, 3, 6, 67) }, { code: 60, data: new TextEncoder().encode('PXEClient') }],
}));

describe('withRelayHeader', () => {
  it('gives the bytes a parse, giaddr/hops set and re-encode gives, and leaves the input alone', () => {
    const payload = discover();
    const before = hex(payload);
    const viaCodec = parseDhcpV4(payload, []);
    viaCodec.giaddr = Uint8Array.of(198, 18, 0, 3);
    viaCodec.hops = 3;
    expect(hex(withRelayHeader(payload, Uint8Array.of(198, 18, 0, 3), 3))).toBe(hex(emitDhcpV4(viaCodec)));
    expect(hex(payload)).toBe(before);
  });

  it('caps hops at 255', () => {
    const out = parseDhcpV4(withRelayHeader(discover(), Uint8Array.of(198, 18, 0, 3), 300), []);
    expect(out.hops).toBe(255);
  });
});

describe('parseDhcpV4 without value checks', () => {
  it('parses the same message and leaves out only the value issues', () => {
    // Option 1 (subnet mask) with 3 bytes: a value issue, not a framing one.
    const msg = emitDhcpV4(buildDhcpV4({ xid: 7, chaddr: '02:00:00:00:00:02', options: [{ code: 53, data: Uint8Array.of(2) }, { code: 1, data: Uint8Array.of(255, 255, 0) }] }));
    const checked: WireIssue[] = [];
    const unchecked: WireIssue[] = [];
    const a = parseDhcpV4(msg, checked);
    const b = parseDhcpV4(msg, unchecked, 0, false);
    expect(checked.length).toBeGreaterThan(0);
    expect(unchecked).toEqual([]);
    expect(hex(emitDhcpV4(b))).toBe(hex(emitDhcpV4(a)));
    expect(b.options.map((o) => o.code)).toEqual(a.options.map((o) => o.code));
  });
});
