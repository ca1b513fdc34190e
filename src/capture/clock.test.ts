import { describe, expect, it } from 'vitest';
import { CLOCK_BACK_S, CLOCK_FORWARD_S, SteadyClock } from './clock.js';

function run(times: number[]): { steady: number[]; clock: SteadyClock } {
  const clock = new SteadyClock();
  return { steady: times.map((t, i) => clock.steady(t, i + 1)), clock };
}

describe('SteadyClock', () => {
  it('leaves a steady capture and small reorderings as they are', () => {
    const times = [100, 100.5, 100.4, 160, 160 - CLOCK_BACK_S + 1, 160 + CLOCK_FORWARD_S - 100];
    const { steady, clock } = run(times);
    expect(steady).toEqual(times);
    expect(clock.count).toBe(0);
    expect(clock.warnings()).toEqual([]);
  });

  it('a jump of years forward or back counts as no time: durations stay those of the steady parts', () => {
    const year = 365 * 86400;
    const { steady, clock } = run([1000, 1001, 1001 + 23 * year, 1003 + 23 * year, 5, 7]);
    expect(steady).toEqual([1000, 1001, 1001, 1003, 1003, 1005]);
    expect(clock.jumps.map((j) => j.frame)).toEqual([3, 5]);
    const w = clock.warnings();
    expect(w.map((x) => x.offset)).toEqual([3, 5]);
    expect(w[0]!.message).toMatch(/forward by 23\.0 years/);
    expect(w[1]!.message).toMatch(/back by/);
    // Never a raw 23-year duration anywhere in between.
    for (let i = 1; i < steady.length; i++) expect(Math.abs(steady[i]! - steady[i - 1]!)).toBeLessThan(10);
  });

  it('lists the first jumps and counts the rest (random timestamps stay one bounded warning list)', () => {
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) times.push(i % 2 === 0 ? 0 : 1e9);
    const { clock } = run(times);
    expect(clock.count).toBe(999);
    const w = clock.warnings();
    expect(w.length).toBeLessThanOrEqual(20);
    expect(w[w.length - 1]!.message).toContain(`${999 - w.length} more`);
  });
});
