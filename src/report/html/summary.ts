/**
 * The summary page: devices by outcome, root causes ranked, the time-to-boot-program
 * distribution as an inline SVG histogram, and the servers seen in the steps. Pure.
 */
import type { Analysis, ClientReport } from '../../analysis/types.js';
import type { BootStep } from '../../flow/types.js';
import { printable } from '../analyze-text.js';
import { humanDuration } from '../humanize.js';
import { esc } from './escape.js';

export function renderSummary(a: Analysis): string {
  const s = a.summary;
  const tiles = [
    ['booted', s.booted, 'booted'], ['failed', s.failed, 'failed'], ['incomplete', s.incomplete, 'incomplete'],
    ['not-a-boot', s.otherClients, 'other DHCP clients'],
  ] as const;
  const t = (v: number | null): string => (v === null ? 'n/a' : humanDuration(v));
  return '<section class="summary">'
    + `<div class="tiles">${tiles.map(([o, n, l]) => `<div class="tile${n > 0 ? ` o-${o}` : ''}"><div class="n">${n}</div><div>${l}</div></div>`).join('')}`
    + `<div class="tile${s.errors > 0 ? ' sev-error' : ''}"><div class="n">${s.errors}</div><div>error${s.errors === 1 ? '' : 's'}</div></div>`
    + `<div class="tile${s.warnings > 0 ? ' sev-warning' : ''}"><div class="n">${s.warnings}</div><div>warning${s.warnings === 1 ? '' : 's'}</div></div></div>`
    + `<div class="cols"><div><h3>Root causes</h3>${rootCauses(a.clients)}</div>`
    + `<div><h3>Time to boot program</h3><p class="muted">median ${esc(t(s.medianTimeToBootProgram))}, p95 ${esc(t(s.p95TimeToBootProgram))}</p>${ttbpChart(a.clients)}</div></div>`
    + `<h3>Servers seen</h3>${serversTable(a.clients)}</section>`;
}

/** Failed boot devices per root cause, most frequent first. */
export function rankRootCauses(clients: readonly ClientReport[]): [string, number][] {
  const n = new Map<string, number>();
  for (const c of clients) if (c.outcome === 'failed') n.set(c.rootCause ?? '?', (n.get(c.rootCause ?? '?') ?? 0) + 1);
  return [...n].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
}

function rootCauses(clients: readonly ClientReport[]): string {
  const ranked = rankRootCauses(clients);
  if (ranked.length === 0) return '<p class="muted">No failed boots.</p>';
  return `<table class="grid"><tr><th>root cause</th><th>devices</th></tr>${ranked.map(([code, n]) => `<tr><td><code>${esc(code)}</code></td><td>${n}</td></tr>`).join('')}</table>`;
}

const BINS = 12;

/** Histogram bins of the boot clients' time to boot program (seconds). */
export function ttbpBins(clients: readonly ClientReport[]): { from: number; to: number; count: number }[] {
  const v = clients.filter((c) => c.role === 'boot' && c.timeToBootProgram !== null).map((c) => c.timeToBootProgram!);
  if (v.length === 0) return [];
  const max = Math.max(...v);
  const width = max <= 0 ? 1 : max / BINS;
  const bins = Array.from({ length: BINS }, (_, i) => ({ from: i * width, to: (i + 1) * width, count: 0 }));
  for (const x of v) bins[Math.min(BINS - 1, Math.floor(x / width))]!.count++;
  return bins;
}

function ttbpChart(clients: readonly ClientReport[]): string {
  const bins = ttbpBins(clients);
  if (bins.length === 0) return '<p class="muted">No device fetched a boot program.</p>';
  const W = 440, H = 150, B = 24, L = 50;
  const top = Math.max(...bins.map((b) => b.count));
  const bw = (W - L) / bins.length;
  const bars = bins.map((b, i) => {
    const h = (b.count / top) * (H - B - 14);
    const x = L + i * bw;
    return `<rect x="${(x + 1).toFixed(1)}" y="${(H - B - h).toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${b.from.toFixed(2)}–${b.to.toFixed(2)} s: ${b.count}</title></rect>`
      + (b.count > 0 ? `<text x="${(x + bw / 2).toFixed(1)}" y="${(H - B - h - 3).toFixed(1)}" text-anchor="middle">${b.count}</text>` : '');
  });
  const max = bins[bins.length - 1]!.to;
  return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="time to boot program histogram">${bars.join('')}`
    + `<line x1="${L}" y1="${H - B}" x2="${W}" y2="${H - B}"/><text x="${L}" y="${H - 8}">0 s</text>`
    + `<text x="${W}" y="${H - 8}" text-anchor="end">${esc(humanDuration(max))}</text>`
    + `<text x="${L - 4}" y="12" text-anchor="end">${top}</text></svg>`;
}

interface Server { address: string; roles: Set<string>; clients: Set<string> }

function serverRoles(s: BootStep): [string, string][] {
  switch (s.kind) {
    case 'dhcp4': return [...s.offers.map((o): [string, string] => [o.server, o.proxy ? 'proxyDHCP' : 'DHCP']), ...(s.server ? [[s.server, 'DHCP'] as [string, string]] : [])];
    case 'proxydhcp': return s.server ? [[s.server, 'proxyDHCP']] : [];
    case 'dhcp6': return s.server ? [[s.server, 'DHCPv6']] : [];
    case 'ra': return s.router ? [[s.router, 'router']] : [];
    case 'tftp': return [[s.server, 'TFTP']];
    case 'http': return [[s.server, 'HTTP']];
  }
}

export function serversSeen(clients: readonly ClientReport[]): Server[] {
  const by = new Map<string, Server>();
  for (const c of clients) {
    for (const s of c.steps) {
      for (const [address, role] of serverRoles(s)) {
        const e = by.get(address) ?? { address, roles: new Set<string>(), clients: new Set<string>() };
        e.roles.add(role);
        e.clients.add(c.mac);
        by.set(address, e);
      }
    }
  }
  return [...by.values()].sort((x, y) => y.clients.size - x.clients.size);
}

function serversTable(clients: readonly ClientReport[]): string {
  const list = serversSeen(clients);
  if (list.length === 0) return '<p class="muted">No server answered.</p>';
  return `<table class="grid"><tr><th>server</th><th>roles</th><th>devices</th></tr>${list.map((s) => `<tr><td>${esc(printable(s.address))}</td><td>${esc([...s.roles].join(', '))}</td><td>${s.clients.size}</td></tr>`).join('')}</table>`;
}
