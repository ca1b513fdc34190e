/**
 * Faults during a load run (`load.faults`, `run --fault`): what breaks (a server restarts, packets
 * are dropped, a side is rate-limited), when (a time after the start, or a point of the arrivals)
 * and for how long. Parsed by hand like the rest of `load:` so every message says what was
 * expected; the scenario loader adds file:line:col. Pure: the lab executes them (src/lab/faults.ts).
 */
import { DURATION_HINT, tryParseDuration } from '../duration.js';

/** Which lab server a `restart` acts on: DHCP (Kea, dnsmasq, ISC dhcpd) or TFTP (tftpd-hpa, or dnsmasq's own). */
export const FAULT_SERVERS = ['dhcp', 'tftp'] as const;
export type FaultServer = (typeof FAULT_SERVERS)[number];
/** Whose packets: the boot server's replies, the clients' requests, or both. */
export const FAULT_SIDES = ['server', 'clients', 'both'] as const;
export type FaultSide = (typeof FAULT_SIDES)[number];
/** A drop may thin out one protocol only. */
export const FAULT_PROTOCOLS = ['dhcp', 'tftp', 'http'] as const;
export type FaultProtocol = (typeof FAULT_PROTOCOLS)[number];

export type FaultAction =
  /** Stop the server (SIGTERM: a clean stop; SIGKILL: a crash), keep it down `downMs`, start it again with the same command line. */
  | { kind: 'restart'; server: FaultServer; signal: 'SIGTERM' | 'SIGKILL'; downMs: number }
  /** Drop `percent` % of the matching frames (nftables `numgen random`) for `forMs`. */
  | { kind: 'drop'; percent: number; side: FaultSide; protocol?: FaultProtocol; forMs: number }
  /** A tbf qdisc: `rateKbit` sustained, frames wait in its queue at most `queueMs` (then dropped), for `forMs`. */
  | { kind: 'rate-limit'; rateKbit: number; side: Exclude<FaultSide, 'both'>; queueMs: number; forMs: number };

/** When a fault starts: ms after the run's start, or once that many clients (or that share of the plan) have arrived. */
export type FaultTrigger = { at: number } | { afterClients: number } | { afterPercent: number };

export interface FaultSpec {
  action: FaultAction;
  trigger: FaultTrigger;
  /** As written, for reports: `restart: dhcp at 5s`. */
  text: string;
}

/** Bounded: each fault keeps per-window statistics. */
export const MAX_FAULTS = 16;
/** A drop or rate limit lasts at most this long (every fault is bounded). */
export const MAX_FAULT_MS = 3_600_000;

type Report = (message: string, path?: PropertyKey[], atKey?: boolean) => void;

const ACTION_KEYS = ['restart', 'drop', 'rate-limit'] as const;
const KEYS: Record<(typeof ACTION_KEYS)[number], readonly string[]> = {
  restart: ['restart', 'at', 'after', 'down', 'signal'],
  drop: ['drop', 'at', 'after', 'for', 'side', 'only'],
  'rate-limit': ['rate-limit', 'at', 'after', 'for', 'side', 'queue'],
};

const describeValue = (v: unknown): string =>
  v === undefined ? 'nothing' : v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : Array.isArray(v) ? 'a list' : 'a map';

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function durationOf(v: unknown, report: Report, path: PropertyKey[], max = MAX_FAULT_MS): number | undefined {
  const ms = typeof v === 'string' ? tryParseDuration(v) : null;
  if (ms !== null && ms <= max) return ms;
  report(ms !== null
    ? `expected at most ${max / 1000} s, found ${describeValue(v)}`
    : typeof v === 'number' ? `expected ${DURATION_HINT}, found the bare number ${v}; add a unit: "${v}s"` : `expected ${DURATION_HINT}, found ${describeValue(v)}`, path);
  return undefined;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], what: string, report: Report, path: PropertyKey[]): T | undefined {
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  report(`expected ${what} (${allowed.join(', ')}), found ${describeValue(v)}`, path);
  return undefined;
}

/** `40%`, `500 clients`, `500` (clients). */
export function parseAfter(v: unknown): { afterClients: number } | { afterPercent: number } | null {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : null;
  if (text === null) return null;
  const m = /^(\d+(?:\.\d+)?)\s*(%|clients?)?$/.exec(text);
  if (m === null) return null;
  const n = Number(m[1]);
  if (m[2] === '%') return n > 0 && n < 100 ? { afterPercent: n } : null;
  return Number.isInteger(n) && n >= 1 ? { afterClients: n } : null;
}

/** `100kbit`, `2mbit`, `100kbit/s`, `1.5 Mbit/s` → kbit/s. */
export function parseKbit(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg])bit\s*(?:\/\s*s)?\s*$/i.exec(v);
  if (m === null) return null;
  const kbit = Number(m[1]) * ({ k: 1, m: 1e3, g: 1e6 } as Record<string, number>)[m[2]!.toLowerCase()]!;
  return kbit >= 8 ? kbit : null;
}

function parseTrigger(v: Record<string, unknown>, report: Report): FaultTrigger | undefined {
  if (v['at'] !== undefined && v['after'] !== undefined) {
    report('give either at: (a time after the start) or after: (a point of the arrivals), not both', ['after'], true);
    return undefined;
  }
  if (v['at'] !== undefined) {
    const at = durationOf(v['at'], report, ['at']);
    return at === undefined ? undefined : { at };
  }
  if (v['after'] !== undefined) {
    const a = parseAfter(v['after']);
    if (a === null) report(`expected a point of the arrivals like "40%" (of the clients to start) or "500 clients", found ${describeValue(v['after'])}`, ['after']);
    return a ?? undefined;
  }
  report('missing when: add at: 5s (after the start) or after: 40% / after: 500 clients (arrivals)', [], false);
  return undefined;
}

function parseAction(v: Record<string, unknown>, kind: (typeof ACTION_KEYS)[number], report: Report): FaultAction | undefined {
  if (kind === 'restart') {
    const server = oneOf(v['restart'], FAULT_SERVERS, 'the lab server to restart', report, ['restart']);
    const downMs = v['down'] === undefined ? 0 : durationOf(v['down'], report, ['down'], 600_000);
    const sig = v['signal'] === undefined ? 'term' : oneOf(v['signal'], ['term', 'kill'] as const, 'how it stops: term (a clean stop) or kill (a crash)', report, ['signal']);
    if (server === undefined || downMs === undefined || sig === undefined) return undefined;
    return { kind, server, signal: sig === 'kill' ? 'SIGKILL' : 'SIGTERM', downMs };
  }
  const forMs = v['for'] === undefined ? (report('missing for: how long it lasts (every fault is bounded), e.g. for: 10s', [], false), undefined) : durationOf(v['for'], report, ['for']);
  if (kind === 'drop') {
    const text = typeof v['drop'] === 'number' ? String(v['drop']) : typeof v['drop'] === 'string' ? v['drop'].trim() : '';
    const m = /^(\d{1,3})\s*%$/.exec(text);
    const percent = m === null ? NaN : Number(m[1]);
    if (!(percent >= 1 && percent <= 100)) report(`expected a whole percentage from 1% to 100%, like "20%", found ${describeValue(v['drop'])}`, ['drop']);
    const side = v['side'] === undefined ? 'both' : oneOf(v['side'], FAULT_SIDES, 'whose packets', report, ['side']);
    const protocol = v['only'] === undefined ? undefined : oneOf(v['only'], FAULT_PROTOCOLS, 'one protocol', report, ['only']);
    if (!(percent >= 1 && percent <= 100) || side === undefined || forMs === undefined || (v['only'] !== undefined && protocol === undefined)) return undefined;
    return { kind, percent, side, forMs, ...(protocol === undefined ? {} : { protocol }) };
  }
  const rateKbit = parseKbit(v['rate-limit']);
  if (rateKbit === null) report(`expected a rate like "100kbit" or "2mbit/s" (at least 8kbit), found ${describeValue(v['rate-limit'])}`, ['rate-limit']);
  const side = v['side'] === undefined ? 'server' : oneOf(v['side'], ['server', 'clients'] as const, 'whose packets queue (one side)', report, ['side']);
  const queueMs = v['queue'] === undefined ? 1000 : durationOf(v['queue'], report, ['queue'], 60_000);
  if (rateKbit === null || side === undefined || queueMs === undefined || forMs === undefined) return undefined;
  return { kind, rateKbit, side, queueMs, forMs };
}

function triggerText(t: FaultTrigger): string {
  return 'at' in t ? `at ${t.at / 1000} s` : 'afterClients' in t ? `after ${t.afterClients} clients` : `after ${t.afterPercent}% of the clients`;
}

/** How a fault reads in reports: `restart dhcp (SIGTERM, down 1 s) at 5 s`. */
export function describeFault(a: FaultAction, t?: FaultTrigger): string {
  const when = t === undefined ? '' : ` ${triggerText(t)}`;
  switch (a.kind) {
    case 'restart': return `restart ${a.server} (${a.signal === 'SIGKILL' ? 'killed' : 'stopped'}, down ${a.downMs / 1000} s)${when}`;
    case 'drop': return `drop ${a.percent}% of ${a.protocol === undefined ? '' : `${a.protocol} `}packets from ${a.side === 'both' ? 'both sides' : a.side === 'server' ? 'the server' : 'the clients'} for ${a.forMs / 1000} s${when}`;
    case 'rate-limit': return `rate-limit the ${a.side === 'server' ? 'server' : 'clients'} side to ${a.rateKbit} kbit/s (queue ≤ ${a.queueMs / 1000} s) for ${a.forMs / 1000} s${when}`;
  }
}

/** One fault map; `report` paths are relative to it. */
export function parseFault(v: unknown, report: Report): FaultSpec | undefined {
  if (!isMap(v)) {
    report(`expected a fault like { restart: dhcp, at: 5s } or { drop: 20%, after: 40%, for: 10s }, found ${describeValue(v)}`);
    return undefined;
  }
  const kinds = ACTION_KEYS.filter((k) => v[k] !== undefined);
  if (kinds.length !== 1) {
    report(kinds.length === 0 ? `expected one of ${ACTION_KEYS.join(', ')}: what breaks` : `one fault per entry: ${kinds.join(' and ')} are two; make them two list entries`, [], false);
    return undefined;
  }
  const kind = kinds[0]!;
  for (const k of Object.keys(v)) {
    if (!KEYS[kind].includes(k)) report(`unknown key "${k}" for a ${kind} fault (allowed: ${KEYS[kind].join(', ')})`, [k], true);
  }
  const action = parseAction(v, kind, report);
  const trigger = parseTrigger(v, report);
  if (action === undefined || trigger === undefined) return undefined;
  return { action, trigger, text: describeFault(action, trigger) };
}

/** The `faults:` list of `load:`. */
export function parseFaults(v: unknown, report: Report): FaultSpec[] {
  if (!Array.isArray(v)) {
    report(`expected a list of faults like [ { restart: dhcp, at: 5s } ], found ${describeValue(v)}`, ['faults']);
    return [];
  }
  if (v.length > MAX_FAULTS) report(`at most ${MAX_FAULTS} faults per scenario, found ${v.length}`, ['faults']);
  const out: FaultSpec[] = [];
  v.slice(0, MAX_FAULTS).forEach((f, i) => {
    const spec = parseFault(f, (message, path = [], atKey) => report(message, ['faults', i, ...path], atKey));
    if (spec !== undefined) out.push(spec);
  });
  return out;
}
