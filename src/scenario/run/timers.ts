/**
 * How the scenario driver waits. The injected `Clock` only tells time; `Timers` also wakes the
 * driver at a given clock time. `RealTimers` keeps a heap under one setTimeout. `VirtualTimers` runs on a FakeClock:
 * it fires the earliest pending timer (time, then creation order) only once every promise chain has
 * settled (a setImmediate turn), so a whole scenario with fake servers runs instantly and the same
 * way every time.
 */
import TinyQueue from 'tinyqueue';
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

/**
 * Real time with ONE Node timer, whatever the number of waiting clients: pending timers sit in a
 * binary heap by time, and a single setTimeout is armed for the earliest. Thousands of clients
 * waiting for their OFFER cost one timer, not thousands (a cancelled entry is dropped lazily).
 */
export class RealTimers implements Timers {
  private heap = new TinyQueue<RealPending>([], byTimeThenSeq);
  private handle: NodeJS.Timeout | null = null;
  private armedAt = Infinity;
  private seq = 0;
  /** Timers neither fired nor cancelled: at 0 the Node timer goes (it must not hold the process). */
  private live = 0;

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.clock.now();
  }

  at(t: number): Timer {
    let resolve!: () => void;
    const fired = new Promise<void>((r) => { resolve = r; });
    const p: RealPending = { t, seq: this.seq++, resolve, done: false };
    this.heap.push(p);
    this.live++;
    if (t < this.armedAt) this.arm();
    return { fired, cancel: () => this.settle(p) };
  }

  /** Timers waiting (cancelled ones may still be counted until they reach the top). */
  get pending(): number {
    return this.heap.length;
  }

  private settle(p: RealPending): void {
    if (p.done) return;
    p.done = true;
    p.resolve();
    if (--this.live === 0) {
      this.heap = new TinyQueue<RealPending>([], byTimeThenSeq);
      if (this.handle !== null) clearTimeout(this.handle);
      this.handle = null;
      this.armedAt = Infinity;
    }
  }

  private arm(): void {
    while (this.heap.peek()?.done === true) this.heap.pop();
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
    this.armedAt = Infinity;
    const top = this.heap.peek();
    if (top === undefined) return;
    this.armedAt = top.t;
    // Node caps timers at 2^31-1 ms; longer waits are never needed (budgets are minutes).
    const ms = Math.min(Math.max(0, (top.t - this.clock.now()) * 1000), 2 ** 31 - 1);
    this.handle = setTimeout(() => this.fire(), ms);
  }

  private fire(): void {
    this.handle = null;
    this.armedAt = Infinity;
    // A millisecond of slack: setTimeout may wake a little before the clock reads t.
    const now = this.clock.now() + 0.001;
    for (let top = this.heap.peek(); top !== undefined && top.t <= now; top = this.heap.peek()) {
      this.settle(this.heap.pop()!);
    }
    this.arm();
  }
}

interface RealPending {
  t: number;
  seq: number;
  resolve: () => void;
  done: boolean;
}

/** Earliest first; equal times in creation order (determinism). */
function byTimeThenSeq(a: RealPending, b: RealPending): number {
  return a.t - b.t || a.seq - b.seq;
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
