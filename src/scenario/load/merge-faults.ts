/**
 * The faults of merged load reports (`pxecheck merge`). Each fault keeps the runs that applied it
 * (`appliedBy`) and its times move onto the merged clock (seconds after the earliest start). Faults of
 * different runs are one fault when they line up: the same fault as written, both began and ended,
 * their starts and their ends each within ALIGN_MS on the wall clock, and every window carries its
 * histogram. Then their before/during/after windows are added exactly (HDR histograms decoded and
 * added, as the kinds are) and their clients counted together. Faults that do not line up stay one
 * per run: windows at different times measure different things, and adding them would hide that.
 */
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { STAT_KINDS } from '../load-schema.js';
import { FAULT_WINDOWS, KEPT_FAULT_CLIENTS, type FaultReport, type WindowKindReport, type WindowReport } from './faults.js';
import { KindStats } from './stats.js';

/** Starts (and ends) of one fault on several runs at most this far apart are the same moment. */
export const ALIGN_MS = 500;

/** One run's faults, with where its clock started (epoch ms) and how to name it (`shard 1/4`, `a.json`). */
export interface RunFaults {
  readonly label: string;
  readonly startedAtMs: number;
  readonly faults: readonly FaultReport[];
}

interface Placed {
  readonly label: string;
  readonly f: FaultReport;
  /** Wall-clock begin and end, epoch ms (null: never began / ended). */
  readonly begin: number | null;
  readonly end: number | null;
}

/** The merged faults in order of their first run's order, on the clock that starts at `start` (epoch ms). */
export function mergeFaults(runs: readonly RunFaults[], start: number): FaultReport[] {
  const groups: Placed[][] = [];
  for (const run of runs) {
    const taken = new Set<Placed[]>();
    for (const f of run.faults) {
      const p: Placed = {
        label: run.label, f,
        begin: f.startedS === null ? null : run.startedAtMs + f.startedS * 1000,
        end: f.endedS === null ? null : run.startedAtMs + f.endedS * 1000,
      };
      // A run's own faults never merge with each other (each group takes one fault per run).
      const g = groups.find((x) => !taken.has(x) && linesUp(x[0]!, p));
      if (g !== undefined) {
        g.push(p);
        taken.add(g);
      } else {
        const fresh = [p];
        groups.push(fresh);
        taken.add(fresh);
      }
    }
  }
  return groups.map((g) => combine(g, start));
}

function linesUp(a: Placed, b: Placed): boolean {
  return a.f.fault === b.f.fault && a.begin !== null && b.begin !== null && a.end !== null && b.end !== null &&
    Math.abs(a.begin - b.begin) <= ALIGN_MS && Math.abs(a.end - b.end) <= ALIGN_MS && exact(a.f) && exact(b.f);
}

/** Every window's latencies can be added exactly: each kind with samples carries its histogram. */
function exact(f: FaultReport): boolean {
  return FAULT_WINDOWS.every((w) => Object.values(f.windows[w].kinds).every((k) => k.latencyMs === null || (k.histogram !== undefined && k.maxUs !== undefined)));
}

const seconds = (ms: number | null, start: number): number | null => (ms === null ? null : Math.round(ms - start) / 1000);

function combine(g: readonly Placed[], start: number): FaultReport {
  const first = g[0]!.f;
  const begins = g.map((p) => p.begin).filter((x) => x !== null);
  const ends = g.map((p) => p.end);
  const out: FaultReport = {
    fault: first.fault,
    action: first.action,
    startedS: begins.length === 0 ? null : seconds(Math.min(...begins), start),
    endedS: ends.some((e) => e === null) ? null : seconds(Math.max(...(ends as number[])), start),
    appliedBy: g.flatMap((p) => p.f.appliedBy ?? [p.label]),
    windows: g.length === 1 ? first.windows : addWindows(g.map((p) => p.f)),
    clients: g.length === 1 ? first.clients : addClients(g.map((p) => p.f)),
  };
  for (const key of ['effect', 'undone', 'error'] as const) {
    const notes = g.filter((p) => p.f[key] !== undefined).map((p) => (g.length === 1 ? p.f[key]! : `${p.label}: ${p.f[key]!}`));
    if (notes.length > 0) out[key] = notes.join('; ');
  }
  return out;
}

function addWindows(fs: readonly FaultReport[]): FaultReport['windows'] {
  const out = {} as FaultReport['windows'];
  for (const w of FAULT_WINDOWS) {
    const kinds: WindowReport['kinds'] = {};
    for (const k of STAT_KINDS) {
      const parts = fs.map((f) => f.windows[w].kinds[k]).filter((x) => x !== undefined);
      if (parts.length > 0) kinds[k] = addKind(parts);
    }
    out[w] = { retransmits: fs.reduce((t, f) => t + f.windows[w].retransmits, 0), kinds };
  }
  return out;
}

function addKind(parts: readonly WindowKindReport[]): WindowKindReport {
  const s = new KindStats();
  for (const p of parts) {
    s.ok += p.ok;
    s.failed += p.failed;
    s.timedOut += p.timedOut;
    s.maxUs = Math.max(s.maxUs, p.maxUs ?? 0);
    if (p.histogram !== undefined && p.histogram !== '') s.histogram.add(decodeFromCompressedBase64(p.histogram));
  }
  const r = s.report(0);
  return { ok: r.ok, failed: r.failed, timedOut: r.timedOut, latencyMs: r.latencyMs, histogram: r.histogram, maxUs: r.maxUs };
}

function addClients(fs: readonly FaultReport[]): FaultReport['clients'] {
  const c: FaultReport['clients'] = { affected: 0, ok: 0, failed: 0, timedOut: 0, recovered: 0, failedClients: [], recoveredClients: [] };
  for (const f of fs) {
    for (const k of ['affected', 'ok', 'failed', 'timedOut', 'recovered'] as const) c[k] += f.clients[k];
    for (const [g, x] of Object.entries(f.clients.groups ?? {})) {
      const into = ((c.groups ??= {})[g] ??= { affected: 0, ok: 0, failed: 0, timedOut: 0, recovered: 0 });
      for (const k of ['affected', 'ok', 'failed', 'timedOut', 'recovered'] as const) into[k] += x[k];
    }
    c.failedClients.push(...f.clients.failedClients);
    c.recoveredClients.push(...f.clients.recoveredClients);
  }
  c.failedClients.length = Math.min(c.failedClients.length, KEPT_FAULT_CLIENTS);
  c.recoveredClients.length = Math.min(c.recoveredClients.length, KEPT_FAULT_CLIENTS);
  return c;
}

/**
 * What a merge's faults leave out: shards of one storm whose faults only some shards applied (with
 * `--shard`, only shard 1 injects, so the servers all shards use are not restarted N times).
 */
export function faultCoverageNote(runs: readonly RunFaults[], sharded: boolean): string | undefined {
  const injecting = runs.filter((r) => r.faults.length > 0);
  if (injecting.length === 0 || injecting.length === runs.length) return undefined;
  return `faults were applied by ${injecting.map((r) => r.label).join(', ')} only: their windows and clients count ${injecting.length === 1 ? 'that run\'s' : 'those runs\''} clients` +
    (sharded ? ' (the other shards\' clients met the same faults on the shared servers, unmeasured)' : '');
}
