// RealTimers: one Node timer under a heap, whatever the number of waiting clients. Driven by
// vitest's fake timers and a clock reading the (faked) Date: no real waiting.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RealTimers } from './timers.js';

describe('RealTimers (one Node timer for many waits)', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });
  const clock = { now: () => Date.now() / 1000 };

  it('fires in time order with a single pending Node timer, and cancelled waits settle at once', async () => {
    const timers = new RealTimers(clock);
    const t0 = clock.now();
    const order: string[] = [];
    const waits = [['c', 3], ['a', 1], ['b', 2], ['a2', 1]] as const;
    const handles = waits.map(([name, s]) => { const h = timers.at(t0 + s); void h.fired.then(() => order.push(name)); return h; });
    expect(vi.getTimerCount()).toBe(1);
    handles[2]!.cancel(); // b
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['b']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(order).toEqual(['b', 'a', 'a2']);
    await vi.advanceTimersByTimeAsync(2000);
    expect(order).toEqual(['b', 'a', 'a2', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no Node timer behind once every wait is cancelled (the process may exit)', () => {
    const timers = new RealTimers(clock);
    const hs = Array.from({ length: 1000 }, (_, i) => timers.at(clock.now() + 10 + i));
    expect(vi.getTimerCount()).toBe(1);
    for (const h of hs) h.cancel();
    expect(vi.getTimerCount()).toBe(0);
    expect(timers.pending).toBe(0);
  });

  it('an earlier wait re-arms the timer sooner', async () => {
    const timers = new RealTimers(clock);
    let fired = false;
    void timers.at(clock.now() + 60).fired;
    void timers.at(clock.now() + 0.5).fired.then(() => { fired = true; });
    await vi.advanceTimersByTimeAsync(600);
    expect(fired).toBe(true);
    expect(vi.getTimerCount()).toBe(1);
  });
});
