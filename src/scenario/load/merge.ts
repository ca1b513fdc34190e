/**
 * `pxecheck merge`: the JSON reports of several load runs (shards of one storm, on several hosts)
 * as one report. Histograms are decoded from HDR's encoding and added, so the merged percentiles are
 * exactly those one run over all clients would have recorded; counts add up; rates are over the
 * span from the earliest start to the latest end; the budgets are held against the whole. Faults
 * are carried with the runs that applied them (src/scenario/load/merge-faults.ts).
 */
import { STAT_KINDS, type Arrival } from '../load-schema.js';
import type { RunResult, ScenarioResult } from '../run/result.js';
import { evaluateBudgets, loadOk } from './budgets.js';
import { LOAD_REPORT_VERSION, type LoadClients, type LoadReport } from './report.js';
import { faultCoverageNote, mergeFaults, type RunFaults } from './merge-faults.js';
import { KEPT_FAILED_CLIENTS } from './runner.js';
import { KindStats, LoadStats } from './stats.js';
import { MergeError } from '../../errors.js';
export { MergeError } from '../../errors.js';

function sumArrival(xs: Array<Arrival | null>): Arrival | null {
  const first = xs[0];
  if (first === null || first === undefined || xs.some((x) => x === null || x.kind !== first.kind)) return first ?? null;
  if (first.kind === 'rate') return { kind: 'rate', perSecond: xs.reduce((t, x) => t + (x as { perSecond: number }).perSecond, 0) };
  const ramps = xs as Array<Extract<Arrival, { kind: 'ramp' }>>;
  return { kind: 'ramp', from: ramps.reduce((t, r) => t + r.from, 0), to: ramps.reduce((t, r) => t + r.to, 0), overMs: first.overMs };
}

/**
 * The whole storm from its slices; `notes` says what looks off (a shard missing or twice). `labels`
 * name the runs without `--shard` in the faults' `appliedBy` (default `report N`).
 */
export function mergeLoadReports(reports: readonly LoadReport[], notes: string[] = [], labels: readonly string[] = []): LoadReport {
  if (reports.length === 0) throw new MergeError('nothing to merge');
  const start = Math.min(...reports.map((r) => r.startedAtMs));
  const end = Math.max(...reports.map((r) => r.startedAtMs + r.durationMs));
  const seconds = (end - start) / 1000;
  const stats = new LoadStats();
  for (const k of STAT_KINDS) {
    for (const r of reports) {
      const kr = r.kinds[k];
      if (kr === undefined) continue;
      const s = stats.kinds.get(k);
      if (s === undefined) stats.kinds.set(k, KindStats.fromReport(kr));
      else s.addReport(kr);
    }
  }
  const clients: LoadClients = { started: 0, ok: 0, failed: 0, timedOut: 0, notStarted: 0, peakInFlight: 0, arrivalsPerSecond: 0 };
  for (const r of reports) {
    for (const key of ['started', 'ok', 'failed', 'timedOut', 'notStarted', 'peakInFlight'] as const) clients[key] += r.clients[key];
  }
  clients.arrivalsPerSecond = seconds > 0 ? Math.round((clients.started / seconds) * 1000) / 1000 : 0;
  const spec = reports[0]!.budgetSpec;
  if (reports.some((r) => JSON.stringify(r.budgetSpec) !== JSON.stringify(spec))) notes.push('the reports have different budgets: the first report\'s are used');
  checkShards(reports, notes);
  const failures = new Map<string, { kind: string; message: string; count: number }>();
  for (const r of reports) {
    for (const f of r.failures) {
      const key = `${f.kind}\u0000${f.message}`;
      const m = failures.get(key);
      if (m !== undefined) m.count += f.count;
      else failures.set(key, { ...f });
    }
  }
  const runs: RunFaults[] = reports.map((r, i) => ({
    label: r.shard !== undefined ? `shard ${r.shard.index}/${r.shard.count}` : labels[i] ?? `report ${i + 1}`,
    startedAtMs: r.startedAtMs, faults: r.faults ?? [],
  }));
  const coverage = faultCoverageNote(runs, reports.some((r) => r.shard !== undefined));
  if (coverage !== undefined) notes.push(coverage);
  const faults = mergeFaults(runs, start);
  const groups = mergeGroups(reports, seconds);
  const merged: LoadReport = {
    version: LOAD_REPORT_VERSION,
    startedAt: new Date(start).toISOString(),
    startedAtMs: start,
    durationMs: end - start,
    merged: reports.reduce((t, r) => t + (r.merged ?? 1), 0),
    settings: {
      arrival: sumArrival(reports.map((r) => r.settings.arrival)),
      concurrency: reports.reduce((t, r) => t + r.settings.concurrency, 0),
      count: reports.reduce((t, r) => t + r.settings.count, 0),
      durationMs: reports[0]!.settings.durationMs,
    },
    clients,
    kinds: stats.report(seconds),
    ...(groups === undefined ? {} : { groups }),
    budgets: evaluateBudgets(spec, stats, clients, seconds),
    budgetSpec: spec,
    failures: [...failures.values()].sort((a, b) => b.count - a.count).slice(0, 50),
  };
  if (faults.length > 0) merged.faults = faults;
  return merged;
}

/** Per-group statistics of every report, merged like the whole (histograms losslessly). */
function mergeGroups(reports: readonly LoadReport[], seconds: number): LoadReport['groups'] {
  if (reports.every((r) => r.groups === undefined)) return undefined;
  const merged = new Map<string, { persona: string; started: number; ok: number; failed: number; timedOut: number; stats: LoadStats }>();
  for (const r of reports) {
    for (const [name, g] of Object.entries(r.groups ?? {})) {
      let m = merged.get(name);
      if (m === undefined) merged.set(name, (m = { persona: g.persona, started: 0, ok: 0, failed: 0, timedOut: 0, stats: new LoadStats() }));
      m.started += g.started;
      m.ok += g.ok;
      m.failed += g.failed;
      m.timedOut += g.timedOut;
      for (const k of STAT_KINDS) {
        const kr = g.kinds[k];
        if (kr !== undefined) m.stats.kind(k).addReport(kr);
      }
    }
  }
  return Object.fromEntries([...merged].map(([name, m]) => [name, {
    persona: m.persona, started: m.started, ok: m.ok, failed: m.failed, timedOut: m.timedOut, kinds: m.stats.report(seconds),
  }]));
}

function checkShards(reports: readonly LoadReport[], notes: string[]): void {
  const shards = reports.map((r) => r.shard);
  if (shards.every((s) => s === undefined)) return;
  const n = shards.find((s) => s !== undefined)!.count;
  const seen = new Map<number, number>();
  for (const s of shards) {
    if (s === undefined || s.count !== n) {
      notes.push(`the reports are not all shards of ${n}`);
      return;
    }
    seen.set(s.index, (seen.get(s.index) ?? 0) + 1);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !seen.has(i));
  const twice = [...seen].filter(([, c]) => c > 1).map(([i]) => i);
  if (missing.length > 0) notes.push(`shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${n}`).join(', ')} missing: the merged report covers part of the storm`);
  if (twice.length > 0) notes.push(`shard${twice.length === 1 ? '' : 's'} ${twice.map((i) => `${i}/${n}`).join(', ')} given more than once`);
}

/** Several `run --format json` documents → one, scenario by scenario (matched by name). */
export function mergeRunResults(inputs: ReadonlyArray<{ file: string; result: RunResult }>, notes: string[] = []): RunResult {
  const byName = new Map<string, Array<{ file: string; s: ScenarioResult }>>();
  for (const { file, result } of inputs) {
    for (const s of result.scenarios) {
      if (s.load === undefined) throw new MergeError(`${file}: scenario ${s.name} has no load statistics (only load-mode runs merge: a scenario with load:, or run with --shard/--count/--arrival-rate)`);
      if (s.load.version !== LOAD_REPORT_VERSION) throw new MergeError(`${file}: load report version ${String(s.load.version)}, this pxecheck reads ${LOAD_REPORT_VERSION}`);
      const list = byName.get(s.name) ?? [];
      list.push({ file, s });
      byName.set(s.name, list);
    }
  }
  const scenarios: ScenarioResult[] = [];
  for (const [name, list] of byName) {
    const scenarioNotes: string[] = [];
    const load = mergeLoadReports(list.map((x) => x.s.load!), scenarioNotes, list.map((x) => x.file));
    notes.push(...scenarioNotes.map((n) => `${name}: ${n}`));
    const interrupted = list.filter((x) => x.s.interrupted !== undefined).map((x) => `${x.file}: ${x.s.interrupted!}`);
    const merged: ScenarioResult = {
      name, file: list[0]!.s.file, ok: loadOk(load) && interrupted.length === 0 && (load.faults ?? []).every((f) => f.error === undefined), duration: load.durationMs,
      clients: list.flatMap((x) => x.s.clients).slice(0, KEPT_FAILED_CLIENTS), load,
    };
    if (interrupted.length > 0) merged.interrupted = interrupted.join('; ');
    scenarios.push(merged);
  }
  return { ok: scenarios.length > 0 && scenarios.every((s) => s.ok), scenarios };
}
