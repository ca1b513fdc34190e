/**
 * The `load:` section of a scenario (boot storms): arrival rate or ramp, concurrency cap, count,
 * duration, and budgets on latency percentiles, failure share and rates. Parsed by hand inside one
 * zod transform so each message says exactly what was expected; the loader adds file:line:col.
 */
import { z } from 'zod';
import { DURATION_HINT, tryParseDuration } from './duration.js';
import { parsePerSecond } from './rate.js';
import { parseFaults, type FaultSpec } from './load/fault-schema.js';

export { parsePerSecond };

/** New clients per second: constant, or a linear ramp from `from` to `to` over `overMs` (then `to`). */
export type Arrival = { kind: 'rate'; perSecond: number } | { kind: 'ramp'; from: number; to: number; overMs: number };

export const PERCENTILES = ['p50', 'p90', 'p99', 'p99.9', 'max'] as const;
export type Percentile = (typeof PERCENTILES)[number];

/**
 * What load mode measures: one entry per exchange kind (a `dhcp` step is a DORA), plus `boot`
 * (arrival → boot program fetched: the first passing TFTP/HTTP step) and `chain` (arrival → the
 * client's last step, passing clients only).
 */
export const STAT_KINDS = ['dora', 'proxydhcp', 'request', 'renew', 'rebind', 'release', 'decline', 'inform', 'tftp', 'http', 'ipxe-script', 'dhcp6', 'ra', 'boot', 'chain'] as const;
export type StatKind = (typeof STAT_KINDS)[number];

/** `<1%`, `<=0.5%`, `<=10` (clients), `0`. */
export interface ShareLimit {
  op: '<' | '<=';
  value: number;
  unit: '%' | 'clients';
  text: string;
}

/** `>=2000/s` (exchanges per second) or `>=50MB/s` (bytes per second, transfers). */
export interface RateFloor {
  op: '>' | '>=';
  value: number;
  unit: 'per-second' | 'bytes-per-second';
  text: string;
}

export interface LoadBudgets {
  /** Milliseconds per percentile per kind. */
  latency: Partial<Record<StatKind, Partial<Record<Percentile, number>>>>;
  failed?: ShareLimit;
  timedOut?: ShareLimit;
  rate: Partial<Record<StatKind, RateFloor>>;
}

export interface LoadSettings {
  arrival?: Arrival;
  concurrency?: number;
  count?: number;
  durationMs?: number;
  budgets: LoadBudgets;
  /** Faults injected during the run (lab mode; src/scenario/load/faults.ts). */
  faults?: FaultSpec[];
}

/** The most clients one scenario may start (memory per client is bounded; this bounds the run). */
export const MAX_LOAD_COUNT = 10_000_000;

type Report = (message: string, path?: PropertyKey[], atKey?: boolean) => void;

const describe = (v: unknown): string =>
  v === undefined ? 'nothing' : v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : Array.isArray(v) ? 'a list' : 'a map';

const RATE_HINT = 'a rate like "500/s", "30/min" or a number of clients per second';

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** `>=2000/s`, `> 50 MB/s`, `2000/s` (means >=). */
export function parseRateFloor(v: unknown): RateFloor | null {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : null;
  if (text === null) return null;
  const m = /^(>=|>|≥)?\s*(\d+(?:\.\d+)?)\s*(?:([kmg]i?b)\s*)?(?:\/\s*s)?$/i.exec(text);
  if (m === null || (typeof v === 'string' && !text.includes('/'))) return null;
  const op = m[1] === '>' ? '>' : '>=';
  const size = m[3]?.toLowerCase();
  if (size === undefined) return { op, value: Number(m[2]), unit: 'per-second', text };
  return { op, value: Number(m[2]) * SIZE_UNITS[size]!, unit: 'bytes-per-second', text };
}

/** `<1%`, `<=0.5%`, `<=10`, `0` (no failures at all). */
export function parseShareLimit(v: unknown): ShareLimit | null {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : null;
  if (text === null) return null;
  const m = /^(<=|<|≤)?\s*(\d+(?:\.\d+)?)\s*(%)?$/.exec(text);
  if (m === null) return null;
  const op = m[1] === '<' ? '<' : '<=';
  return { op, value: Number(m[2]), unit: m[3] === '%' ? '%' : 'clients', text };
}

function duration(v: unknown, report: Report, path: PropertyKey[]): number | undefined {
  if (typeof v === 'string') {
    const ms = tryParseDuration(v);
    if (ms !== null) return ms;
  }
  report(typeof v === 'number'
    ? `expected ${DURATION_HINT}, found the bare number ${v}; add a unit: "${v}ms" or "${v}s"`
    : `expected ${DURATION_HINT}, found ${describe(v)}`, path);
  return undefined;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function unknownKeys(o: Record<string, unknown>, allowed: readonly string[], report: Report, base: PropertyKey[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) report(`unknown key "${k}" (allowed: ${allowed.join(', ')})`, [...base, k], true);
  }
}

function wholeNumber(v: unknown, min: number, max: number, what: string, report: Report, path: PropertyKey[]): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  report(`expected ${what}: a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, found ${describe(v)}`, path);
  return undefined;
}

function parseArrival(v: unknown, report: Report): Arrival | undefined {
  if (isMap(v)) {
    unknownKeys(v, ['from', 'to', 'over'], report, ['arrival']);
    const from = parsePerSecond(v['from'] ?? 0);
    const to = parsePerSecond(v['to']);
    if (from === null) report(`expected ${RATE_HINT}, found ${describe(v['from'])}`, ['arrival', 'from']);
    if (to === null || to <= 0) report(`expected ${RATE_HINT} above 0, found ${describe(v['to'])}`, ['arrival', 'to']);
    const over = duration(v['over'], report, ['arrival', 'over']);
    if (from === null || to === null || to <= 0 || over === undefined) return undefined;
    return { kind: 'ramp', from, to, overMs: over };
  }
  const r = parsePerSecond(v);
  if (r === null || r <= 0) {
    report(`expected ${RATE_HINT} above 0, or a ramp { from: 10/s, to: 2000/s, over: 30s }, found ${describe(v)}`, ['arrival']);
    return undefined;
  }
  return { kind: 'rate', perSecond: r };
}

const BUDGET_KEYS = ['failed', 'timed-out', 'rate', ...STAT_KINDS] as const;
/** `dhcp` is the step's name; its statistics are DORA's. */
const KIND_ALIASES: Record<string, StatKind> = { dhcp: 'dora' };

function statKind(key: string): StatKind | undefined {
  return KIND_ALIASES[key] ?? ((STAT_KINDS as readonly string[]).includes(key) ? (key as StatKind) : undefined);
}

function parseBudgets(v: unknown, report: Report): LoadBudgets {
  const out: LoadBudgets = { latency: {}, rate: {} };
  if (!isMap(v)) {
    report(`expected a map like { dora: { p99: 1s }, failed: "<1%", rate: { dora: ">=2000/s" } }, found ${describe(v)}`, ['budgets']);
    return out;
  }
  for (const [key, value] of Object.entries(v)) {
    const path = ['budgets', key];
    if (key === 'failed' || key === 'timed-out') {
      const limit = parseShareLimit(value);
      if (limit === null) report(`expected a share like "<1%", "<=0.5%" or a number of clients like "<=10", found ${describe(value)}`, path);
      else if (key === 'failed') out.failed = limit;
      else out.timedOut = limit;
    } else if (key === 'rate') {
      if (!isMap(value)) {
        report(`expected a map of kind to rate, e.g. { dora: ">=2000/s", tftp: ">=50MB/s" }, found ${describe(value)}`, path);
        continue;
      }
      for (const [k, r] of Object.entries(value)) {
        const kind = statKind(k);
        const floor = parseRateFloor(r);
        if (kind === undefined) report(`unknown kind "${k}" (allowed: ${STAT_KINDS.join(', ')})`, [...path, k], true);
        else if (floor === null) report(`expected a rate like ">=2000/s" (exchanges) or ">=50MB/s" (bytes), found ${describe(r)}`, [...path, k]);
        else out.rate[kind] = floor;
      }
    } else {
      const kind = statKind(key);
      if (kind === undefined) {
        report(`unknown key "${key}" (allowed: ${BUDGET_KEYS.join(', ')})`, path, true);
        continue;
      }
      if (!isMap(value)) {
        report(`expected percentiles like { p50: 100ms, p99: 1s, max: 5s }, found ${describe(value)}`, path);
        continue;
      }
      const limits: Partial<Record<Percentile, number>> = {};
      for (const [p, d] of Object.entries(value)) {
        if (!(PERCENTILES as readonly string[]).includes(p)) {
          report(`unknown percentile "${p}" (allowed: ${PERCENTILES.join(', ')})`, [...path, p], true);
          continue;
        }
        const ms = duration(d, report, [...path, p]);
        if (ms !== undefined) limits[p as Percentile] = ms;
      }
      out.latency[kind] = { ...out.latency[kind], ...limits };
    }
  }
  return out;
}

const LOAD_KEYS = ['arrival', 'concurrency', 'count', 'duration', 'budgets', 'faults'] as const;

/** The `load:` field of the scenario schema. */
export const loadField = z.unknown().transform((v, ctx): LoadSettings => {
  const report: Report = (message, path = [], atKey = false) =>
    ctx.issues.push({ code: 'custom', message, input: v, path, params: { atKey } });
  const out: LoadSettings = { budgets: { latency: {}, rate: {} } };
  if (!isMap(v)) {
    report(`expected a map like { arrival: 500/s, concurrency: 200, budgets: { dora: { p99: 1s } } }, found ${describe(v)}`);
    return out;
  }
  unknownKeys(v, LOAD_KEYS, report, []);
  if (v['arrival'] !== undefined) {
    const a = parseArrival(v['arrival'], report);
    if (a !== undefined) out.arrival = a;
  }
  if (v['concurrency'] !== undefined) {
    const c = wholeNumber(v['concurrency'], 1, 100_000, 'clients in flight at most', report, ['concurrency']);
    if (c !== undefined) out.concurrency = c;
  }
  if (v['count'] !== undefined) {
    const c = wholeNumber(v['count'], 1, MAX_LOAD_COUNT, 'clients to start', report, ['count']);
    if (c !== undefined) out.count = c;
  }
  if (v['duration'] !== undefined) {
    const d = duration(v['duration'], report, ['duration']);
    if (d !== undefined) out.durationMs = d;
  }
  if (v['budgets'] !== undefined) out.budgets = parseBudgets(v['budgets'], report);
  if (v['faults'] !== undefined) out.faults = parseFaults(v['faults'], report);
  return out;
});

/** How a budget's limit reads in reports: `p99 ≤ 1 s`, `failed < 1%`, `dora ≥ 2000/s`. */
export function describeArrival(a: Arrival | undefined): string {
  if (a === undefined) return 'as fast as the concurrency allows';
  if (a.kind === 'rate') return `${a.perSecond}/s`;
  return `ramp ${a.from}/s → ${a.to}/s over ${a.overMs / 1000} s`;
}
