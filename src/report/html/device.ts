/**
 * One device as the HTML report embeds it: plain fields for the filters and search, the escaped
 * verdict line, and its detail (attempts, ladder, waterfall, findings) as an HTML fragment the
 * page script puts into the DOM only when the device is on the visible page. Pure.
 */
import type { ClientReport } from '../../analysis/types.js';
import type { Finding } from '../../findings/types.js';
import { printable } from '../analyze-text.js';
import { PLAIN } from '../color.js';
import { humanDuration } from '../humanize.js';
import { attemptEntryLabel, blindSpotText, stageLabel, verdictLine } from '../verdict.js';
import { esc } from './escape.js';
import { renderFindings } from './findings.js';
import { renderLadder } from './ladder.js';
import { renderWaterfall } from './waterfall.js';

export interface DeviceEntry {
  /** MAC, lower case. */
  m: string;
  /** Outcome. */
  o: ClientReport['outcome'];
  /** Vendor: architecture name, else vendor class ('' when neither). */
  v: string;
  /** Lower-case text the search box looks in (verdict, findings). */
  s: string;
  /** Verdict line, escaped HTML. */
  h: string;
  /** Detail, escaped HTML. */
  d: string;
}

export function deviceVendor(c: ClientReport): string {
  return printable(c.archName ?? c.vendorClass ?? '');
}

export function deviceEntry(c: ClientReport, all: readonly Finding[]): DeviceEntry {
  const mine = all.filter((f) => f.client === c.mac);
  const verdict = verdictLine(c, all, PLAIN);
  return {
    m: c.mac.toLowerCase(),
    o: c.outcome,
    v: deviceVendor(c),
    s: [verdict, c.vendorClass ?? '', ...mine.map((f) => `${f.code} ${f.message}`)].join(' ').toLowerCase(),
    h: esc(verdict),
    d: renderDevice(c, mine, all),
  };
}

export function renderDevice(c: ClientReport, mine: readonly Finding[], all: readonly Finding[]): string {
  const facts = [
    c.arch === null ? 'arch ?' : `arch ${c.arch}${c.archName ? ` (${c.archName})` : ''}`,
    ...(c.vendorClass ? [`vendor class ${printable(c.vendorClass)}`] : []),
    c.role === 'boot' ? 'boot client' : `not a boot client (${c.roleReason})`,
  ];
  const attempts = c.attempts.map((a) => {
    const what = a.outcome === 'failed' ? `failed in ${stageLabel(a.stage)}: ${a.rootCause ?? '?'}${a.pxeError ? ` (${a.pxeError})` : ''}`
      : a.outcome === 'booted' ? `booted${a.bootProgram ? ` ${printable(a.bootProgram)}` : ''}${a.timeToBootProgram !== null ? `, boot program after ${humanDuration(a.timeToBootProgram)}` : ''}`
      : a.outcome === 'incomplete' ? `incomplete after ${stageLabel(a.stage)}${a.blindSpot ? ` (not judged: ${blindSpotText(a.blindSpot)})` : ''}` : 'not a boot';
    return `<li class="o-${a.outcome}">attempt ${a.index + 1} (${esc(attemptEntryLabel(a))}, ${a.steps.length} step${a.steps.length === 1 ? '' : 's'}): ${esc(what)}</li>`;
  });
  const findings = renderFindings(mine, all);
  return `<div class="facts">${esc(facts.join(' · '))}</div>`
    + (attempts.length > 0 ? `<ol class="attempts">${attempts.join('')}</ol>` : '')
    + `<h4>Ladder</h4><div class="scroll">${renderLadder(c)}</div>`
    + `<h4>Waterfall</h4>${renderWaterfall(c)}`
    + (findings ? `<h4>Findings</h4>${findings}` : '');
}
