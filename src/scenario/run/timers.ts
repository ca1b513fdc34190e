/**
 * How the scenario driver waits. The injected `Clock` only tells time; `Timers` also wakes the
 * driver at a given clock time. `RealTimers` uses setTimeout. `VirtualTimers` runs on a FakeClock:
 * it fires the earliest pending timer (time, then creation order) only once every promise chain has
 * settled (a setImmediate turn), so a whole scenario with fake servers runs instantly and the same
 * way every time.
 */
import { FakeClock, type Clock } from '../clock.js';

export interface Timer {
  /** Resolves at the timer's time, or at once when cancelled. */
  readonly fired: Promise<void>;
  cancel(): void;
}

export interface Timers extends Clock {
  /** A timer for clock time `t` (seconds; in the past fires on the next turn). */
  at(t: number): Timer;
}

export class RealTimers implements Timers {
  constructor(private readonly clock: Clock) {}
  now(): number {
    return this.clock.now();
  }
  at(t: number): Timer {
    let resolve!: () => void;
    const fired = new Promise<void>((r) => { resolve = r; });
    const ms = Math.max(0, (t - this.clock.now()) * 1000);
    // Node caps timers at 2^31-1 ms; longer waits are never needed (budgets are minutes).
    const handle = setTimeout(resolve, Math.min(ms, 2 ** 31 - 1));
    return { fired, cancel: () => { clearTimeout(handle); resolve(); } };
  }
}

interface Pending {
  t: number;
  seq: number;
  resolve: () => void;
}

export class VirtualTimers implements Timers {
  private queue: Pending[] = [];
  private seq = 0;
  private pumping = false;

  constructor(readonly clock: FakeClock) {}

  now(): number {
    return this.clock.now();
  }

  at(t: number): Timer {
    let resolve!: () => void;
    const fired = new Promise<void>((r) => { resolve = r; });
    const p: Pending = { t, seq: this.seq++, resolve };
    this.queue.push(p);
    this.queue.sort((a, b) => a.t - b.t || a.seq - b.seq);
    this.pump();
    return {
      fired,
      cancel: () => {
        const i = this.queue.indexOf(p);
        if (i >= 0) this.queue.splice(i, 1);
        resolve();
      },
    };
  }

  /** Run `fn` at clock time `t` (the loopback network's deliveries). */
  schedule(t: number, fn: () => void): void {
    void this.at(t).fired.then(fn);
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      const next = this.queue.shift();
      if (next === undefined) return;
      this.clock.set(next.t);
      next.resolve();
      if (this.queue.length > 0) this.pump();
    });
  }
}

const virtualByClock = new WeakMap<FakeClock, VirtualTimers>();

/** Timers for an injected clock: virtual for a FakeClock (one per clock, shared), real otherwise. */
export function timersFor(clock: Clock): Timers {
  if (clock instanceof FakeClock) {
    let v = virtualByClock.get(clock);
    if (v === undefined) virtualByClock.set(clock, (v = new VirtualTimers(clock)));
    return v;
  }
  if ('at' in clock && typeof (clock as Timers).at === 'function') return clock as Timers;
  return new RealTimers(clock);
}
