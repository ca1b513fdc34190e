/**
 * When clients arrive and which group each comes from: pure functions, no clock.
 * - `arrivalOffset(k)`: seconds after the start at which the k-th client starts (constant rate,
 *   or a linear ramp: the count of arrivals by t is r0·t + (r1−r0)·t²/2T, inverted).
 * - `MixPicker`: smooth weighted round robin over the client groups, so "500 PCs and 2,000 phones"
 *   arrive interleaved 1:4 rather than all PCs first; an exhausted group drops out.
 * - `shardSlice`: host i of n takes the i-th contiguous slice of every group's MACs.
 */
import type { Arrival } from '../load-schema.js';

export function arrivalOffset(a: Arrival | undefined, k: number): number {
  if (a === undefined) return 0;
  if (a.kind === 'rate') return k / a.perSecond;
  const T = a.overMs / 1000;
  const r0 = a.from;
  const r1 = a.to;
  const atRampEnd = r0 * T + ((r1 - r0) * T) / 2;
  if (k >= atRampEnd || T === 0) return T + (k - atRampEnd) / r1;
  const accel = (r1 - r0) / (2 * T);
  if (Math.abs(accel) < 1e-12) return k / r0;
  return (-r0 + Math.sqrt(r0 * r0 + 4 * accel * k)) / (2 * accel);
}

/** Divide a whole number over n shards: shard i's share (shares sum to the whole). */
export function shareOf(total: number, index: number, count: number): { from: number; size: number } {
  const from = Math.floor((total * index) / count);
  const to = Math.floor((total * (index + 1)) / count);
  return { from, size: to - from };
}

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

/** `2/4` (1-based on the command line, like a CI matrix index) → { index: 1, count: 4 }, or an error message. */
export function parseShard(text: string): Shard | string {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (m === null) return `expected I/N (this host's slice, e.g. 1/4 … 4/4), got "${text}"`;
  const i = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || i < 1 || i > n) return `expected I/N with 1 ≤ I ≤ N, got "${text}"`;
  return { index: i - 1, count: n };
}

export interface MixGroup {
  /** First index (into the group's MAC range) this run may use, and how many. */
  from: number;
  size: number;
  weight: number;
}

/** Smooth weighted round robin (as nginx balances upstreams): deterministic and evenly spread. */
export class MixPicker {
  private readonly current: number[];
  private readonly used: number[];

  constructor(private readonly groups: readonly MixGroup[]) {
    this.current = groups.map(() => 0);
    this.used = groups.map(() => 0);
  }

  /** The next arrival: its group and the MAC index within the group's range; null when all are used. */
  next(): { group: number; index: number } | null {
    let best = -1;
    let total = 0;
    for (let g = 0; g < this.groups.length; g++) {
      const grp = this.groups[g]!;
      if (this.used[g]! >= grp.size) continue;
      this.current[g]! += grp.weight;
      total += grp.weight;
      if (best < 0 || this.current[g]! > this.current[best]!) best = g;
    }
    if (best < 0) return null;
    this.current[best]! -= total;
    const index = this.groups[best]!.from + this.used[best]!;
    this.used[best]!++;
    return { group: best, index };
  }
}

/**
 * The arrival schedule as a pacer (perfdhcp `-r`: arrival k is due `arrivalOffset(k)` after the
 * start), asked "how many may start now?" each time the runner wakes. On schedule it releases
 * what is due. Late (the process was not scheduled, a GC pause) it never releases the backlog at
 * once: credit for starts accrues at `catchUp` times the planned rate since the previous call and
 * is capped (paceBurst) at what that pace gives over an ordinary gap between wake-ups, so a host
 * that wakes only every 8–10 ms still catches up at `catchUp`×, while the backlog of a longer
 * stall leaves spread over the following wake-ups and a server working near its ceiling sees at
 * most a slightly faster, even stream — not the hundreds of packets at once that overflow its
 * socket buffer.
 */
export class ArrivalPacer {
  private released = 0;
  /** Starts allowed now (fractional): the first arrival is on schedule. */
  private credit = 1;
  private last: number;

  constructor(
    private readonly arrival: Arrival,
    private readonly catchUp = ARRIVAL_CATCH_UP,
    private readonly maxBurstSeconds = ARRIVAL_MAX_BURST_S,
    start = 0,
  ) {
    this.last = start;
  }

  /**
   * The planned rate (arrivals per second) around the next arrival: the larger of the rates of the
   * gaps before and after it, so on a steep slow-down an on-time arrival is not held back by the
   * slower rate that follows it.
   */
  private rate(): number {
    const k = this.released;
    const next = arrivalOffset(this.arrival, k);
    const after = arrivalOffset(this.arrival, k + 1) - next;
    const before = k > 0 ? next - arrivalOffset(this.arrival, k - 1) : after;
    const gap = Math.min(before, after);
    return gap > 0 ? 1 / gap : Infinity;
  }

  /** Arrivals to start at `t` (seconds since the start; an earlier `t` than the last call counts as the last). */
  release(t: number): number {
    t = Math.max(t, this.last);
    const pace = this.catchUp * this.rate();
    if (t > this.last) this.credit = Number.isFinite(pace) ? Math.min(paceBurst(pace, t - this.last, this.maxBurstSeconds), this.credit + pace * (t - this.last)) : Infinity;
    this.last = t;
    let n = 0;
    // A microsecond of slack: the caller's `now - start` may round just below the planned time.
    while (n + 1 <= this.credit + 1e-9 && arrivalOffset(this.arrival, this.released + n) <= t + 1e-6) n++;
    this.credit -= n;
    this.released += n;
    return n;
  }

  /** When (seconds since the start) the next call can release an arrival. */
  wakeAt(): number {
    const planned = arrivalOffset(this.arrival, this.released);
    if (this.credit >= 1 - 1e-9) return planned;
    const pace = this.catchUp * this.rate();
    return Math.max(planned, this.last + (1 - this.credit) / pace);
  }
}

/**
 * The most one wake-up, `gap` seconds after the previous one, may send at `pace` per second:
 * the pace over the gap (an ordinary gap, up to ARRIVAL_MAX_GAP_S: a busy host woken every 10 ms
 * must still keep up), at least `seconds` of the pace and at least ARRIVAL_MIN_BURST (a slow storm).
 * Only a longer stall's backlog is held back and spread over the following wake-ups.
 */
function paceBurst(pace: number, gap: number, seconds = ARRIVAL_MAX_BURST_S): number {
  return Math.max(ARRIVAL_MIN_BURST, pace * seconds, pace * Math.min(gap, ARRIVAL_MAX_GAP_S));
}

/** How much faster than planned a late backlog of arrivals starts (ArrivalPacer). */
export const ARRIVAL_CATCH_UP = 1.5;
/** The most arrivals one wake-up starts, in seconds of the catch-up pace (ArrivalPacer). */
export const ARRIVAL_MAX_BURST_S = 0.004;
/** The longest gap between wake-ups whose whole catch-up pace one wake-up may start (ArrivalPacer). */
export const ARRIVAL_MAX_GAP_S = 0.010;
/** The fewest arrivals one wake-up may start (a few dozen packets fit any server's socket buffer). */
export const ARRIVAL_MIN_BURST = 8;
