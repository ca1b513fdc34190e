/**
 * `run --format text`: per scenario a header, per client a table with one row per step (step,
 * expectation, result, time vs budget) and the failures in full under it; totals last.
 */
import { seconds, type ClientResult, type RunResult, type StepResult } from '../scenario/run/result.js';
import { fittedTable, printable, type TextLayout } from './analyze-text.js';
import { wrapLine } from './layout.js';
import { PLAIN, type Palette } from './color.js';
import { loadLines } from './load-text.js';

const MAX_CELL = 48;

export function renderRunText(r: RunResult, pal: Palette = PLAIN, layout: TextLayout = {}): string[] {
  const width = layout.width ?? null;
  const out: string[] = [];
  for (const s of r.scenarios) {
    if (out.length > 0) out.push('');
    const state = s.ok ? 'PASS' : pal.fail('FAIL');
    out.push(...wrapLine(`${pal.bold(`Scenario ${printable(s.name)}`)} (${printable(s.file)}) — ${state} in ${seconds(s.duration)}`, width, 2));
    if (s.interrupted) out.push(pal.fail(`  ${s.interrupted}`));
    if (s.load !== undefined) {
      out.push(...loadLines(s.load, pal, width));
      if (s.clients.length > 0) out.push('', `  The first ${s.clients.length} failed clients in full:`);
    }
    for (const c of s.clients) out.push('', ...clientLines(c, pal, width));
  }
  out.push('', ...wrapLine(totalsLine(r, pal), width, 2));
  return out;
}

function clientLines(c: ClientResult, pal: Palette, width: number | null): string[] {
  const out = [`${pal.bold(`Client ${printable(c.name)}`)} ${c.mac} (${c.persona}) — ${c.ok ? 'PASS' : pal.fail('FAIL')}`];
  const rows: string[][] = [['#', 'step', 'expect', 'result', 'time / budget']];
  c.steps.forEach((s, i) => rows.push([String(i + 1), printable(s.name), printable(String(s.details['expect'] ?? '')), resultCell(s, pal), timeCell(s, pal)]));
  out.push(...fittedTable(rows, new Set([1, 2, 3]), width, MAX_CELL));
  c.steps.forEach((s, i) => {
    if (s.ok || s.details['skipped'] === true || s.error === null) return;
    out.push(`  ${pal.fail(`step ${i + 1} ${printable(s.name)}:`)}`);
    for (const line of s.error.split('\n')) out.push(...wrapLine(`    ${printable(line)}`, width, 6));
  });
  return out;
}

function resultCell(s: StepResult, pal: Palette): string {
  if (s.ok) return 'ok';
  if (s.details['skipped'] === true) return pal.dim('not run');
  return pal.fail('FAIL');
}

function timeCell(s: StepResult, pal: Palette): string {
  if (s.details['skipped'] === true) return '-';
  const took = seconds(s.duration);
  if (s.budget === null) return took;
  const cell = `${took} / ${seconds(s.budget)}`;
  return s.duration > s.budget ? pal.fail(cell) : cell;
}


/** `2 scenarios, 5 clients: 4 passed, 1 failed; 23 steps: 21 passed, 1 failed, 1 not run` */
export function totalsLine(r: RunResult, pal: Palette = PLAIN): string {
  const clients = r.scenarios.flatMap((s) => s.clients);
  const steps = clients.flatMap((c) => c.steps);
  const skipped = steps.filter((s) => s.details['skipped'] === true).length;
  const failedSteps = steps.filter((s) => !s.ok).length - skipped;
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  // Load runs list only a few failed clients: count theirs from the statistics.
  let all = 0;
  let failedClients = 0;
  for (const s of r.scenarios) {
    all += s.load === undefined ? s.clients.length : s.load.clients.started;
    failedClients += s.load === undefined ? s.clients.filter((c) => !c.ok).length : s.load.clients.failed + s.load.clients.timedOut;
  }
  const stepsPart = r.scenarios.some((s) => s.load !== undefined) ? ''
    : `; ${plural(steps.length, 'step')}: ${steps.length - failedSteps - skipped} passed, ${failedSteps} failed${skipped > 0 ? `, ${skipped} not run` : ''}`;
  const line = `${plural(r.scenarios.length, 'scenario')}, ${plural(all, 'client')}: ${all - failedClients} passed, ${failedClients} failed${stepsPart}`;
  return r.ok ? pal.bold(`PASS — ${line}`) : pal.fail(`FAIL — ${line}`);
}
