/**
 * The text report of a load run: plan and clients, one percentile row per exchange kind
 * (counts, p50/p90/p99/p99.9/max, rates, servers), the budgets, then the most frequent failures.
 */
import { describeArrival, STAT_KINDS } from '../scenario/load-schema.js';
import { ms } from '../scenario/load/budgets.js';
import type { LoadReport } from '../scenario/load/report.js';
import { fittedTable, printable } from './analyze-text.js';
import { PLAIN, type Palette } from './color.js';
import { wrapLine } from './layout.js';
import { faultLines } from './load-faults.js';

const n = (x: number): string => x.toLocaleString('en-US');

function mbps(bytesPerSecond: number): string {
  if (bytesPerSecond === 0) return '';
  return bytesPerSecond < 100_000 ? `${(bytesPerSecond / 1e3).toFixed(1)} kB/s` : `${(bytesPerSecond / 1e6).toFixed(2)} MB/s`;
}

export function loadLines(l: LoadReport, pal: Palette = PLAIN, width: number | null = null): string[] {
  const out: string[] = [];
  const s = l.settings;
  const shard = l.shard === undefined ? '' : `, shard ${l.shard.index}/${l.shard.count}`;
  const merged = l.merged === undefined ? '' : `, ${l.merged} reports merged`;
  out.push(...wrapLine(`  Load: ${n(s.count)} clients, arrivals ${describeArrival(s.arrival ?? undefined)}, at most ${n(s.concurrency)} in flight` +
    `${s.durationMs === null ? '' : `, arrivals for ${s.durationMs / 1000} s`}${shard}${merged}`, width, 4));
  const c = l.clients;
  out.push(...wrapLine(`  Clients: ${n(c.started)} started (${c.arrivalsPerSecond}/s), ${n(c.ok)} passed, ${c.failed > 0 ? pal.fail(`${n(c.failed)} failed`) : '0 failed'}, ` +
    `${c.timedOut > 0 ? pal.fail(`${n(c.timedOut)} timed out`) : '0 timed out'}${c.notStarted > 0 ? pal.fail(`, ${n(c.notStarted)} not started`) : ''}; peak ${n(c.peakInFlight)} in flight; ${ms(l.durationMs)}`, width, 4));
  const rows: string[][] = [['kind', 'ok', 'failed', 'timed out', 'p50', 'p90', 'p99', 'p99.9', 'max', 'rate', 'servers']];
  for (const k of STAT_KINDS) {
    const r = l.kinds[k];
    if (r === undefined) continue;
    const lat = r.latencyMs;
    const cell = (v: number | undefined): string => (v === undefined ? '-' : ms(v));
    const rate = [k === 'boot' || k === 'chain' ? '' : `${r.perSecond}/s`, mbps(r.bytesPerSecond)].filter((x) => x !== '').join(' ');
    const servers = Object.entries(r.servers).sort((a, b) => b[1] - a[1]).map(([sv, cnt]) => `${sv} ×${n(cnt)}`).join(', ');
    rows.push([k, n(r.ok), r.failed > 0 ? pal.fail(n(r.failed)) : '0', r.timedOut > 0 ? pal.fail(n(r.timedOut)) : '0',
      cell(lat?.p50), cell(lat?.p90), cell(lat?.p99), cell(lat?.['p99.9']), cell(lat?.max), rate, printable(servers)]);
  }
  if (rows.length > 1) out.push(...fittedTable(rows, new Set([10]), width, 40));
  const groups = Object.entries(l.groups ?? {});
  if (groups.length > 1) {
    // The mix side by side ("500 UEFI PCs and 2,000 phones"): how each group fared, step by step.
    const g: string[][] = [['group', 'persona', 'started', 'passed', 'failed', 'timed out', 'chain p50', 'chain p99', 'p99 per step']];
    for (const [name, r] of groups) {
      const chain = r.kinds.chain?.latencyMs;
      const steps = STAT_KINDS.filter((k) => k !== 'chain' && k !== 'boot' && r.kinds[k]?.latencyMs !== undefined && r.kinds[k]?.latencyMs !== null)
        .map((k) => `${k} ${ms(r.kinds[k]!.latencyMs!.p99)}`).join(', ');
      g.push([printable(name), r.persona, n(r.started), n(r.ok), r.failed > 0 ? pal.fail(n(r.failed)) : '0', r.timedOut > 0 ? pal.fail(n(r.timedOut)) : '0',
        chain ? ms(chain.p50) : '-', chain ? ms(chain.p99) : '-', steps]);
    }
    out.push(...fittedTable(g, new Set([8]), width, 40));
  }
  if (l.budgets.length > 0) {
    const missed = l.budgets.filter((b) => !b.ok).length;
    out.push(`  Budgets: ${missed === 0 ? 'all met' : pal.fail(`${missed} of ${l.budgets.length} missed`)}`);
    for (const b of l.budgets) {
      out.push(`    ${b.ok ? 'ok  ' : pal.fail('MISS')} ${b.what} ${b.limit}: ${b.actual}`);
    }
  }
  out.push(...faultLines(l.faults ?? [], pal, width));
  if (l.failures.length > 0) {
    out.push('  Failures (addresses and numbers blanked):');
    for (const f of l.failures.slice(0, 10)) out.push(...wrapLine(`    ${n(f.count)} × ${f.kind}: ${printable(f.message)}`, width, 8));
    if (l.failures.length > 10) out.push(`    … ${l.failures.length - 10} more kinds of failure in the JSON report`);
  }
  return out;
}
