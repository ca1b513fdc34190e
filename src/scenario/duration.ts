/**
 * Durations in scenario files: `500ms`, `2s`, `1.5s`, `1m`, `1m30s`, `250us`. Kept as integer milliseconds
 * (microseconds round up to 1 ms so a tiny budget never becomes 0).
 */
import { DurationError } from '../errors.js';
export { DurationError } from '../errors.js';

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART_RE = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/y;

export const DURATION_HINT = 'a duration like "500ms" or "2s"';

/** Parse a duration to milliseconds, or return null if `text` is not one. */
export function tryParseDuration(text: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  let ms = 0;
  PART_RE.lastIndex = 0;
  while (PART_RE.lastIndex < t.length) {
    const m = PART_RE.exec(t);
    if (m === null) return null;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  if (!Number.isFinite(ms)) return null;
  return ms > 0 && ms < 1 ? 1 : Math.round(ms);
}

/** Parse a duration to milliseconds; throws a DurationError that quotes the bad text. */
export function parseDuration(text: string): number {
  const ms = tryParseDuration(text);
  if (ms === null) throw new DurationError(`expected ${DURATION_HINT}, found ${JSON.stringify(text)}`);
  return ms;
}

/** Format milliseconds the way a person writes them: 500ms, 2s, 1.5s, 1m, 1m30s. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return `${ms}ms`;
  if (ms < 1000) return `${Math.round(ms * 1000) / 1000}ms`;
  if (ms < 60_000) return `${Math.round(ms) / 1000}s`;
  const minutes = Math.floor(ms / 60_000);
  const rest = ms - minutes * 60_000;
  return rest === 0 ? `${minutes}m` : `${minutes}m${formatDuration(rest)}`;
}
