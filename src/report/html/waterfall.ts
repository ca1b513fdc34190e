/** The waterfall of one device's steps: a bar per step, placed and sized by its time. Pure. */
import type { ClientReport } from '../../analysis/types.js';
import type { BootStep } from '../../flow/types.js';
import { printable, stepDetail, stepWhat } from '../analyze-text.js';
import { humanDuration } from '../humanize.js';
import { clip, esc } from './escape.js';

const KIND: Record<BootStep['kind'], string> = { dhcp4: 'DHCP', proxydhcp: 'proxyDHCP', dhcp6: 'DHCPv6', ra: 'RA', tftp: 'TFTP', http: 'HTTP' };

export function renderWaterfall(c: ClientReport): string {
  if (c.steps.length === 0) return '';
  const t0 = Math.min(...c.steps.map((s) => s.start));
  const span = Math.max(1e-3, Math.max(...c.steps.map((s) => s.start + s.duration)) - t0);
  const attemptOf = new Map<BootStep, number>();
  if (c.attempts.length > 1) for (const a of c.attempts) for (const s of a.steps) attemptOf.set(s, a.index + 1);
  const rows = c.steps.map((s) => {
    const left = ((s.start - t0) / span) * 100;
    const width = Math.max(0.4, (s.duration / span) * 100);
    const n = attemptOf.get(s);
    const what = printable(stepWhat(s));
    const detail = printable(stepDetail(s));
    return `<div class="wf-row${s.ok ? '' : ' bad'}"><div class="wf-label" title="${esc(detail ? `${what}: ${detail}` : what)}">`
      + `${n === undefined ? '' : `<span class="muted">#${n}</span> `}<b>${KIND[s.kind]}</b> ${esc(clip(what, 48))}</div>`
      + `<div class="wf-track"><div class="wf-bar" style="left:${left.toFixed(2)}%;width:${Math.min(width, 100 - left).toFixed(2)}%"></div></div>`
      + `<div class="wf-dur">+${(s.start - t0).toFixed(3)} · ${esc(humanDuration(s.duration))}</div></div>`;
  });
  return `<div class="waterfall">${rows.join('')}</div>`;
}
