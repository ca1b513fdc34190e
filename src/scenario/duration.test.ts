import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration, tryParseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads the units a scenario uses', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration(' 3s ')).toBe(3000);
  });

  it('rounds a sub-millisecond budget up to 1 ms, never to 0', () => {
    expect(parseDuration('250us')).toBe(1);
    expect(parseDuration('1500us')).toBe(2);
  });

  it('names the bad text', () => {
    expect(() => parseDuration('fast')).toThrow(DurationError);
    expect(() => parseDuration('fast')).toThrow('expected a duration like "500ms" or "2s", found "fast"');
    for (const bad of ['', '5', 's', '5 s', '-1s', '1.s', '2sec', '1m30']) expect(tryParseDuration(bad)).toBeNull();
  });
});

describe('formatDuration', () => {
  it('writes what a person writes, and parses back', () => {
    const cases: Array<[number, string]> = [[500, '500ms'], [2000, '2s'], [1500, '1.5s'], [60_000, '1m'], [90_000, '1m30s'], [61_500, '1m1.5s']];
    for (const [ms, text] of cases) {
      expect(formatDuration(ms)).toBe(text);
      expect(parseDuration(text)).toBe(ms);
    }
  });
});
