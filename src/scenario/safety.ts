/**
 * Safety of what the runner sends. Load mode (many simulated clients) is a flood to whoever shares
 * the network, so it has a default ceiling that must be raised on purpose (`run --max-load`): pure
 * functions the CLI calls for every load scenario before anything is sent.
 */
import type { Arrival } from './load-schema.js';
import { parsePerSecond } from './rate.js';

/** What a load run asks for (after sharding: this host's part). */
export interface LoadAsk {
  /** New clients per second (the peak of a ramp). */
  arrivalPerSecond: number;
  /** Clients running at once. */
  concurrency: number;
  /** Clients in all. */
  count: number;
}

/** Default ceiling: a lab bench's worth. Above it the operator says so explicitly. */
export const LOAD_CEILING: Readonly<LoadAsk> = { arrivalPerSecond: 100, concurrency: 200, count: 10_000 };

/** The CLI's flag and its keys (`--max-load arrival-rate=1000,concurrency=500,count=100000`, or `none`). */
export const MAX_LOAD_FLAG = '--max-load';
const KEY: Record<keyof LoadAsk, string> = { arrivalPerSecond: 'arrival-rate', concurrency: 'concurrency', count: 'count' };

const WHAT: Record<keyof LoadAsk, string> = {
  arrivalPerSecond: 'new clients per second',
  concurrency: 'clients at once',
  count: 'clients in all',
};

/**
 * Null when `ask` is within the ceiling (the default one, or `raised` where the operator raised
 * it); else one clear line naming what is too high and how to raise it (`flag` is the CLI spelling).
 */
export function loadCeilingProblem(ask: LoadAsk, raised: Partial<LoadAsk> = {}, flag = MAX_LOAD_FLAG): string | null {
  for (const k of Object.keys(WHAT) as (keyof LoadAsk)[]) {
    const ceiling = raised[k] ?? LOAD_CEILING[k];
    if (!(ask[k] <= ceiling)) {
      const want = Number.isFinite(ask[k]) ? String(Math.ceil(ask[k])) : 'none';
      return `load asks for ${ask[k]} ${WHAT[k]}, above the ${raised[k] === undefined ? 'default ' : ''}ceiling of ${ceiling}: ` +
        `raise it on purpose (${flag} ${KEY[k]}=${want}) on a network that is yours to load`;
    }
  }
  return null;
}

/** The ceiling in force: the default, with what the operator raised. */
export function loadCeiling(raised: Partial<LoadAsk> = {}): LoadAsk {
  return { ...LOAD_CEILING, ...raised };
}

/** The most new clients per second an arrival plan reaches (Infinity: as fast as the concurrency cap allows). */
export function peakArrival(a: Arrival | undefined): number {
  if (a === undefined) return Infinity;
  return a.kind === 'rate' ? a.perSecond : Math.max(a.from, a.to);
}

/** What a planned load run asks for: clients at once can never be more than clients in all. */
export function loadAskOf(plan: { arrival: Arrival | undefined; concurrency: number; count: number }): LoadAsk {
  return { arrivalPerSecond: peakArrival(plan.arrival), concurrency: Math.min(plan.concurrency, plan.count), count: plan.count };
}

/**
 * `--max-load` text → the raised ceiling, or an error message. `none` lifts every limit;
 * `arrival-rate=N[/s]`, `concurrency=N`, `count=N` (comma-separated, any of them; `none` as a value
 * lifts that one).
 */
export function parseMaxLoad(text: string): Partial<LoadAsk> | string {
  const usage = `expected none, or KEY=N[,KEY=N…] with KEY one of arrival-rate, concurrency, count (e.g. arrival-rate=1000,concurrency=500), got "${text}"`;
  const t = text.trim();
  if (/^(none|off|unlimited)$/i.test(t)) return { arrivalPerSecond: Infinity, concurrency: Infinity, count: Infinity };
  const out: Partial<LoadAsk> = {};
  for (const part of t.split(',')) {
    const m = /^\s*([a-z-]+)\s*=\s*(.+?)\s*$/i.exec(part);
    const key = m === null ? undefined : (Object.keys(KEY) as (keyof LoadAsk)[]).find((k) => KEY[k] === m[1]!.toLowerCase());
    if (m === null || key === undefined || out[key] !== undefined) return usage;
    const raw = m[2]!;
    const n = /^(none|unlimited)$/i.test(raw) ? Infinity : key === 'arrivalPerSecond' ? parsePerSecond(raw) : Number(raw.replace(/_/g, ''));
    if (n === null || Number.isNaN(n) || n <= 0 || (key !== 'arrivalPerSecond' && Number.isFinite(n) && !Number.isInteger(n))) return usage;
    out[key] = n;
  }
  return out;
}

/** The `--max-load` text that gives back `raised` (the lab passes it on to its child run). */
export function maxLoadText(raised: Partial<LoadAsk>): string {
  return (Object.keys(KEY) as (keyof LoadAsk)[])
    .filter((k) => raised[k] !== undefined)
    .map((k) => `${KEY[k]}=${Number.isFinite(raised[k]) ? raised[k] : 'none'}`)
    .join(',');
}
