/**
 * Clock trouble in a capture: timestamps that step back (a clock set during the capture, files
 * joined end to end) or forward by more than a day (a device clock in 1970 or 2000, then NTP).
 * Durations across such a step mean nothing, so the analysis measures time on the steady parts
 * only: after a jump, time goes on from where it was before it (the jump counts as no time at
 * all), and the jump itself becomes a warning (the `capture.clock-jump` finding) with its frame
 * and the raw timestamps on either side. Small steps back (packets reordered by a multi-queue
 * NIC) are left as they are.
 */
import type { WireIssue } from '../wire/issues.js';

/** A step back by more than this many seconds is a jump. */
export const CLOCK_BACK_S = 60;
/** A step forward by more than this many seconds (a day) is a jump: a boot never waits that long. */
export const CLOCK_FORWARD_S = 86400;
/** The layer of the warnings: capture findings name them `capture.clock-jump`. */
export const CLOCK_LAYER = 'clock';
/** Jumps listed one by one (a capture of random timestamps must not list a million). */
const LISTED = 20;

export interface ClockJump {
  frame: number;
  /** Raw timestamps of the record before the jump and of the record at `frame`. */
  from: number;
  to: number;
}

export class SteadyClock {
  private offset = 0;
  // Plain numbers with a flag, not `number | null`: a field that may hold null is stored boxed,
  // and this runs once per packet (a new heap number each time).
  private started = false;
  private lastRaw = 0;
  private lastSteady = 0;
  readonly jumps: ClockJump[] = [];
  /** All jumps, including those beyond the listed ones. */
  count = 0;

  /** The time to analyze the record at `frame` with (raw time on the steady timeline). */
  steady(raw: number, frame: number): number {
    if (this.started) {
      const d = raw - this.lastRaw;
      if (d < -CLOCK_BACK_S || d > CLOCK_FORWARD_S || !Number.isFinite(d)) {
        this.count++;
        if (this.jumps.length < LISTED) this.jumps.push({ frame, from: this.lastRaw, to: raw });
        this.offset = this.lastSteady - raw;
      }
    }
    this.started = true;
    this.lastRaw = raw;
    this.lastSteady = raw + this.offset;
    return this.lastSteady;
  }

  /**
   * Another reading of the same clock (a live capture's wall clock, `now`) on the steady timeline,
   * with the offset of the jumps seen so far; it is not checked for a jump itself.
   */
  at(raw: number): number {
    return raw + this.offset;
  }

  /** The jumps as capture warnings (layer `clock`, offset = frame), one per listed jump. */
  warnings(): WireIssue[] {
    const out: WireIssue[] = this.jumps.map((j) => ({
      kind: 'unsupported', layer: CLOCK_LAYER, offset: j.frame,
      message: `at frame ${j.frame} the clock jumps ${j.to < j.from ? 'back' : 'forward'} by ${spell(Math.abs(j.to - j.from))} (${iso(j.from)} → ${iso(j.to)})`,
    }));
    if (this.count > this.jumps.length) {
      const last = out[out.length - 1]!;
      last.message += `; and ${this.count - this.jumps.length} more jump(s)`;
    }
    return out;
  }
}

function iso(t: number): string {
  const d = new Date(t * 1000);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}

/** Seconds as people read a clock step: `71 min`, `23.6 years`. */
function spell(s: number): string {
  if (s < 120) return `${s.toFixed(3)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 2 * 86400) return `${(s / 3600).toFixed(1)} h`;
  if (s < 2 * 365.25 * 86400) return `${(s / 86400).toFixed(1)} days`;
  return `${(s / (365.25 * 86400)).toFixed(1)} years`;
}
