/**
 * The fleet summary at the end of `analyze` over several captures, as text: totals, then one
 * table per grouping (capture, site, server, platform) with boot success and time to boot program.
 */
import type { Fleet, FleetGroup } from '../analysis/fleet.js';
import { humanDuration } from './humanize.js';
import type { Palette } from './color.js';

const HEAD = ['clients', 'booted', 'failed', 'incompl.', 'success', 'p50 TTBP', 'p95 TTBP', 'top root causes'];

export function renderFleetText(f: Fleet, pal?: Palette): string[] {
  const bold = pal?.bold ?? ((s: string) => s);
  const t = f.total;
  const out = [
    bold(`Fleet: ${f.captures} capture${f.captures === 1 ? '' : 's'}${f.unreadable > 0 ? ` (+${f.unreadable} unreadable)` : ''}, ${f.packets} packets`),
    `  boot clients ${t.clients}: booted ${t.booted} (${rate(t)}), failed ${t.failed}, incomplete ${t.incomplete}; other DHCP clients ${f.otherClients}`,
    `  time to boot program: median ${time(t.medianTimeToBootProgram)}, p95 ${time(t.p95TimeToBootProgram)}`,
    `  top root causes: ${causes(t)}`,
  ];
  const section = <T extends FleetGroup>(title: string, what: string, list: readonly T[], name: (g: T) => string): void => {
    if (list.length === 0) return;
    out.push('', bold(title), ...table([[what, ...HEAD], ...list.map((g) => [name(g), ...cells(g)])]));
  };
  section('Per capture', 'capture', f.files, (g) => g.file);
  if (f.sites.length > 1) section('Per site', 'site', f.sites, (g) => g.site ?? '(no folder)');
  section('Per server', 'server', f.servers, (g) => g.server);
  section('Per platform', 'arch / vendor', f.platforms, (g) => `${g.archName ?? '?'} / ${g.vendor ?? '?'}`);
  return out;
}

function cells(g: FleetGroup): string[] {
  return [String(g.clients), String(g.booted), String(g.failed), String(g.incomplete), rate(g), time(g.medianTimeToBootProgram), time(g.p95TimeToBootProgram), causes(g)];
}

function rate(g: FleetGroup): string {
  return g.bootSuccessRate === null ? '-' : `${(g.bootSuccessRate * 100).toFixed(1)}%`;
}

function time(t: number | null): string {
  return t === null ? '-' : humanDuration(t);
}

function causes(g: FleetGroup): string {
  return g.topRootCauses.length === 0 ? '-' : g.topRootCauses.map((c) => `${c.code} ×${c.devices}`).join(', ');
}

/** Columns padded to their widest cell: the name left, figures right; the last column unpadded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  return rows.map((r) => '  ' + r.map((c, i) => {
    if (i === r.length - 1) return c;
    const pad = ' '.repeat(widths[i]! - [...c].length);
    return i === 0 ? c + pad : pad + c;
  }).join('  ').trimEnd());
}
