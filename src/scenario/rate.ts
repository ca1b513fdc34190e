/** Rates as the scenario language and the command line write them (no zod: `run`'s flags load it). */

/** `500/s`, `30/min`, `500` → clients per second, or null. */
export function parsePerSecond(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|sec|second|min|minute|h|hour))?\s*$/.exec(v);
  if (m === null) return null;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit.startsWith('m') ? n / 60 : unit.startsWith('h') ? n / 3600 : n;
}
