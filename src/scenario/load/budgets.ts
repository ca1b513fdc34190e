/**
 * Budgets of a load run (`load.budgets`) held against its statistics: latency percentiles per
 * kind, the share of clients that failed or timed out, rates. Pure; `merge` uses it on the whole.
 */
import { PERCENTILES, STAT_KINDS, type LoadBudgets, type RateFloor, type ShareLimit } from '../load-schema.js';
import type { BudgetResult, LoadClients, LoadReport } from './report.js';
import type { LoadStats } from './stats.js';

/** `1500` → `1.5 s`, `12.3` → `12.3 ms`. */
export function ms(x: number): string {
  return x >= 1000 ? `${Number((x / 1000).toFixed(3))} s` : `${Number(x.toFixed(3))} ms`;
}

function bytesRate(b: number): string {
  return `${Number((b / 1e6).toFixed(2))} MB/s`;
}

function shareText(l: ShareLimit): string {
  return `${l.op === '<' ? '<' : '≤'} ${l.value}${l.unit === '%' ? '%' : ' clients'}`;
}

function withinShare(l: ShareLimit, n: number, of: number): { ok: boolean; actual: string } {
  const pct = of === 0 ? 0 : (100 * n) / of;
  const v = l.unit === '%' ? pct : n;
  const ok = l.op === '<' ? v < l.value : v <= l.value;
  return { ok, actual: `${Number(pct.toFixed(3))}% (${n} of ${of})` };
}

function floorText(f: RateFloor, scale: number): string {
  const v = f.value * scale;
  return `${f.op === '>' ? '>' : '≥'} ${f.unit === 'bytes-per-second' ? bytesRate(v) : `${Number(v.toFixed(3))}/s`}`;
}

/**
 * `rateScale`: a shard (1 of n) holds 1/n of the storm, so its rate floors are 1/n of the whole
 * storm's; percentiles and shares are the same on every slice.
 */
export function evaluateBudgets(b: LoadBudgets, stats: LoadStats, clients: LoadClients, durationSeconds: number, rateScale = 1): BudgetResult[] {
  const out: BudgetResult[] = [];
  for (const kind of STAT_KINDS) {
    const limits = b.latency[kind];
    if (limits === undefined) continue;
    const s = stats.kinds.get(kind);
    for (const p of PERCENTILES) {
      const limit = limits[p];
      if (limit === undefined) continue;
      const got = s?.percentileMs(p) ?? null;
      out.push({ what: `${kind} ${p}`, limit: `≤ ${ms(limit)}`, actual: got === null ? 'no samples' : ms(got), ok: got !== null && got <= limit });
    }
  }
  const ended = clients.ok + clients.failed + clients.timedOut;
  if (b.failed !== undefined) {
    const r = withinShare(b.failed, clients.failed + clients.timedOut, ended);
    out.push({ what: 'failed', limit: shareText(b.failed), actual: r.actual, ok: r.ok && ended > 0 });
  }
  if (b.timedOut !== undefined) {
    const r = withinShare(b.timedOut, clients.timedOut, ended);
    out.push({ what: 'timed-out', limit: shareText(b.timedOut), actual: r.actual, ok: r.ok && ended > 0 });
  }
  for (const kind of STAT_KINDS) {
    const f = b.rate[kind];
    if (f === undefined) continue;
    const s = stats.kinds.get(kind);
    const got = durationSeconds <= 0 || s === undefined ? 0 : (f.unit === 'bytes-per-second' ? s.bytes : s.ok) / durationSeconds;
    const floor = f.value * rateScale;
    out.push({
      what: `${kind} rate`, limit: floorText(f, rateScale),
      actual: f.unit === 'bytes-per-second' ? bytesRate(got) : `${Number(got.toFixed(1))}/s`,
      ok: f.op === '>' ? got > floor : got >= floor,
    });
  }
  return out;
}

/** A load scenario passes when clients started, none failed (or the `failed:` budget tolerates it), all started, every budget met. */
export function loadOk(l: LoadReport): boolean {
  const c = l.clients;
  return c.started > 0 && c.notStarted === 0 && (l.budgetSpec.failed !== undefined || c.failed + c.timedOut === 0) && l.budgets.every((b) => b.ok);
}
