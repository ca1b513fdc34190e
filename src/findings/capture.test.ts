import { describe, it, expect } from 'vitest';
import { readerFindings } from './capture.js';
import type { WireIssue } from '../wire/issues.js';

const bad = (n: number): WireIssue => ({ kind: 'malformed', layer: 'pcapng', offset: 100 * n, message: `frame ${n} refers to interface 7, which is not described` });

describe('readerFindings', () => {
  it('no warnings, not truncated: no finding', () => {
    expect(readerFindings({ truncated: false, warnings: [] })).toEqual([]);
  });

  it('a thousand warnings of one kind make one finding naming the first few and the count', () => {
    const fs = readerFindings({ truncated: false, warnings: Array.from({ length: 1000 }, (_, i) => bad(i + 1)) });
    expect(fs).toHaveLength(1);
    expect(fs[0]!.code).toBe('capture.corrupt');
    expect(fs[0]!.message).toContain('at byte 100');
    expect(fs[0]!.message).toContain('997 more');
  });

  it('truncated with only a gzip warning still says truncated, and the corrupt gzip too', () => {
    const gz: WireIssue = { kind: 'malformed', layer: 'gzip', offset: 0, message: 'gzip stream is corrupt: invalid block type' };
    const codes = readerFindings({ truncated: true, warnings: [gz] }).map((f) => f.code).sort();
    expect(codes).toEqual(['capture.corrupt', 'capture.truncated']);
  });
});
