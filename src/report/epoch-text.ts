/**
 * Capture timestamps as JSON numbers, the same text `String(t)` / `JSON.stringify` give, faster.
 *
 * A record's time is `sec + frac * 1e-6` (a double); printing it the ECMAScript way (the shortest
 * decimal that reads back as the same double) costs about a microsecond, once per line of
 * `decode --format jsonl`. For times between 2004 and 2242 (2^30 ≤ t < 2^33 s) a double's spacing
 * is under 1 µs, so the decimal `sec.micros` (trailing zeros dropped) is that shortest text
 * exactly when it lies within half a spacing of `t`: checked with a margin far above the rounding
 * error of `(t - sec) * 1e6`; anything else (nanosecond captures, other eras, the margin itself)
 * takes `String(t)`.
 */

/** Three-digit groups: padded ('007') and with trailing zeros dropped ('07', '' for 0). */
const FULL3: string[] = [];
const STRIP3: string[] = [];
for (let i = 0; i < 1000; i++) {
  const s = String(i).padStart(3, '0');
  FULL3.push(s);
  STRIP3.push(s.replace(/0+$/, ''));
}

const TWO_30 = 2 ** 30;
const TWO_31 = 2 ** 31;
const TWO_32 = 2 ** 32;
const TWO_33 = 2 ** 33;
/** Half a double's spacing in microseconds, less a margin that dwarfs the product's rounding. */
const MARGIN = 1e-6;

let lastSec = -1;
let lastSecDot = '';
let lastSecText = '';

/**
 * The microseconds after t's whole second when `sec.micros` (trailing zeros dropped) is `String(t)`,
 * else -1.
 */
export function epochMicros(t: number): number {
  if (!(t >= TWO_30 && t < TWO_33)) return -1;
  const sec = Math.floor(t);
  const x = (t - sec) * 1e6; // t - sec is exact
  const us = Math.round(x);
  const halfSpacing = t < TWO_31 ? 2 ** -23 * 1e6 : t < TWO_32 ? 2 ** -22 * 1e6 : 2 ** -21 * 1e6;
  return us >= 1e6 || Math.abs(x - us) > halfSpacing - MARGIN ? -1 : us;
}

/** `String(t)` for a capture time in epoch seconds. */
export function epochSecondsText(t: number): string {
  const us = epochMicros(t);
  if (us < 0) return String(t);
  const sec = Math.floor(t);
  if (sec !== lastSec) {
    lastSec = sec;
    lastSecText = String(sec);
    lastSecDot = `${lastSecText}.`;
  }
  if (us === 0) return lastSecText;
  const hi = Math.floor(us / 1000);
  const lo = us - hi * 1000;
  return lo === 0 ? lastSecDot + STRIP3[hi]! : lastSecDot + FULL3[hi]! + STRIP3[lo]!;
}
