import { describe, expect, it } from 'vitest';
import { ArrivalPacer, arrivalOffset, ARRIVAL_CATCH_UP, ARRIVAL_MAX_BURST_S, ARRIVAL_MAX_GAP_S, ARRIVAL_MIN_BURST } from './arrivals.js';
import type { Arrival } from '../load-schema.js';

/** Drives a pacer with wake-ups at `times` (seconds); returns the starts each wake-up released. */
function drive(arrival: Arrival, times: number[]): number[] {
  const p = new ArrivalPacer(arrival);
  return times.map((t) => p.release(t));
}

const ms = (from: number, to: number, step = 0.001): number[] => {
  const out: number[] = [];
  for (let i = 0; from + i * step <= to + 1e-12; i++) out.push(from + i * step);
  return out;
};

describe('ArrivalPacer', () => {
  const rate: Arrival = { kind: 'rate', perSecond: 4000 };
  const burstCap = Math.ceil(ARRIVAL_CATCH_UP * 4000 * ARRIVAL_MAX_BURST_S);
  /** The most one wake-up after a long gap (a stall) may start: the catch-up pace over the longest ordinary gap. */
  const stallCap = Math.ceil(ARRIVAL_CATCH_UP * 4000 * ARRIVAL_MAX_GAP_S);

  it('on a 1 ms tick releases what is due each tick, never early', () => {
    const times = ms(0, 1);
    const released = drive(rate, times);
    let total = 0;
    for (let i = 0; i < times.length; i++) {
      total += released[i]!;
      // never ahead of the schedule: arrival total-1 is due by now
      expect(arrivalOffset(rate, total - 1)).toBeLessThanOrEqual(times[i]! + 1e-9);
      expect(released[i]!).toBeLessThanOrEqual(5); // 4 a ms, the tick's rounding at most one more
    }
    expect(total).toBeGreaterThanOrEqual(4000);
  });

  it('after a 50 ms stall releases the backlog spread over later ticks, not at once', () => {
    // On time to 100 ms, then no wake-up until 150 ms (200 arrivals late), then a 1 ms tick again.
    const times = [...ms(0, 0.1), ...ms(0.15, 2)];
    const released = drive(rate, times);
    const after = released.slice(times.indexOf(0.15));
    expect(after[0]!).toBeLessThanOrEqual(stallCap + 1); // of 200 late
    expect(Math.max(...after.slice(1))).toBeLessThanOrEqual(burstCap + 1);
    // …and still catches up: by 2 s every arrival due by then has started (catch-up 1.5×: 200 late arrivals take ~0.1 s)
    const total = released.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(Math.floor(2 * 4000));
  });

  it('with sparse wake-ups (every 20 ms) each releases at most the stall cap', () => {
    const released = drive(rate, ms(0, 1, 0.02));
    expect(Math.max(...released)).toBeLessThanOrEqual(stallCap + 1);
  });

  it('a host woken only every 8 or 10 ms keeps the asked rate, never ahead of the schedule', () => {
    for (const step of [0.008, 0.01]) {
      const times = ms(0, 2, step);
      const released = drive(rate, times);
      let total = 0;
      for (let i = 0; i < times.length; i++) {
        total += released[i]!;
        expect(arrivalOffset(rate, total - 1)).toBeLessThanOrEqual(times[i]! + 1e-9);
      }
      // 8,001 due by 2 s (arrival 0 at 0 s); the 4 ms cap alone started 4,801 at 10 ms wake-ups
      expect(total).toBeGreaterThanOrEqual(2 * 4000);
    }
  });

  it('after a stall, late arrivals start at the catch-up pace (1.5x) on ordinary wake-ups', () => {
    // No wake-up from 0 to 100 ms (400 arrivals late), then every 5 ms: the backlog shrinks by
    // 0.5x the rate, so it is gone ~0.2 s later, not sooner (no burst) and not much later.
    const times = [0, ...ms(0.1, 1, 0.005)];
    const released = drive(rate, times);
    let total = 0;
    let caughtUpAt = Infinity;
    for (let i = 0; i < times.length; i++) {
      total += released[i]!;
      if (caughtUpAt === Infinity && times[i]! > 0 && total >= Math.floor(times[i]! * 4000)) caughtUpAt = times[i]!;
    }
    expect(caughtUpAt).toBeGreaterThan(0.25);
    expect(caughtUpAt).toBeLessThan(0.35);
  });

  it('a slow storm on a busy host (woken every 10 ms) keeps its rate', () => {
    const released = drive({ kind: 'rate', perSecond: 500 }, ms(0, 2, 0.01));
    expect(released.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...released)).toBeLessThanOrEqual(ARRIVAL_MIN_BURST);
  });

  it('woken at wakeAt() releases one arrival per call, evenly spaced at the planned gaps', () => {
    const p = new ArrivalPacer(rate);
    const at: number[] = [];
    for (let t = 0; at.length < 1000;) {
      const n = p.release(t);
      for (let i = 0; i < n; i++) at.push(t);
      t = p.wakeAt();
    }
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeCloseTo(1 / 4000, 9);
  });

  it('on a steep slow-down ramp starts an on-time arrival on time', () => {
    const ramp: Arrival = { kind: 'ramp', from: 100, to: 1, overMs: 20 };
    const p = new ArrivalPacer(ramp);
    let second = Infinity;
    let total = 0;
    for (const t of ms(0, 1)) {
      total += p.release(t);
      if (total >= 2) { second = t; break; }
    }
    // arrival 1 is due ~18 ms in; credit at the slower rate after it (1/s) held it to ~0.66 s
    expect(second).toBeLessThanOrEqual(arrivalOffset(ramp, 1) + 0.002);
  });

  it('follows a ramp', () => {
    const ramp: Arrival = { kind: 'ramp', from: 100, to: 1000, overMs: 1000 };
    const p = new ArrivalPacer(ramp);
    let total = 0;
    for (const t of ms(0, 1)) total += p.release(t);
    expect(total).toBeGreaterThanOrEqual(Math.floor(100 + 900 / 2) - 1);
    expect(arrivalOffset(ramp, total - 1)).toBeLessThanOrEqual(1 + 1e-9);
  });
});
