/**
 * `run --format text`: per scenario a header, per client a table with one row per step (step,
 * expectation, result, time vs budget) and the failures in full under it; totals last.
 */
import { getBorderCharacters, table, type TableUserConfig } from 'table';
import { seconds, type ClientResult, type RunResult, type StepResult } from '../scenario/run/result.js';
import { printable } from './analyze-text.js';
import { PLAIN, type Palette } from './color.js';

const MAX_CELL = 48;

export function renderRunText(r: RunResult, pal: Palette = PLAIN): string[] {
  const out: string[] = [];
  for (const s of r.scenarios) {
    if (out.length > 0) out.push('');
    const state = s.ok ? 'PASS' : pal.fail('FAIL');
    out.push(`${pal.bold(`Scenario ${printable(s.name)}`)} (${printable(s.file)}) — ${state} in ${seconds(s.duration)}`);
    if (s.interrupted) out.push(pal.fail(`  ${s.interrupted}`));
    for (const c of s.clients) out.push('', ...clientLines(c, pal));
  }
  out.push('', totalsLine(r, pal));
  return out;
}

function clientLines(c: ClientResult, pal: Palette): string[] {
  const out = [`${pal.bold(`Client ${printable(c.name)}`)} ${c.mac} (${c.persona}) — ${c.ok ? 'PASS' : pal.fail('FAIL')}`];
  const rows: string[][] = [['#', 'step', 'expect', 'result', 'time / budget']];
  c.steps.forEach((s, i) => rows.push([String(i + 1), printable(s.name), printable(String(s.details['expect'] ?? '')), resultCell(s, pal), timeCell(s, pal)]));
  const config: TableUserConfig = {
    border: getBorderCharacters('norc'),
    drawHorizontalLine: (i, n) => i === 0 || i === 1 || i === n,
    columns: {
      1: { width: width(rows, 1), wrapWord: true },
      2: { width: width(rows, 2), wrapWord: true },
      3: { width: width(rows, 3), wrapWord: true },
    },
  };
  out.push(...table(rows, config).replace(/\n$/, '').split('\n'));
  c.steps.forEach((s, i) => {
    if (s.ok || s.details['skipped'] === true || s.error === null) return;
    out.push(`  ${pal.fail(`step ${i + 1} ${printable(s.name)}:`)}`);
    for (const line of s.error.split('\n')) out.push(`    ${printable(line)}`);
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

function width(rows: string[][], col: number): number {
  // eslint-disable-next-line no-control-regex
  const visible = (x: string): number => x.replace(/\x1b\[[0-9;]*m/g, '').length;
  return Math.min(MAX_CELL, Math.max(4, ...rows.map((r) => visible(r[col] ?? ''))));
}

/** `2 scenarios, 5 clients: 4 passed, 1 failed; 23 steps: 21 passed, 1 failed, 1 not run` */
export function totalsLine(r: RunResult, pal: Palette = PLAIN): string {
  const clients = r.scenarios.flatMap((s) => s.clients);
  const steps = clients.flatMap((c) => c.steps);
  const skipped = steps.filter((s) => s.details['skipped'] === true).length;
  const failedSteps = steps.filter((s) => !s.ok).length - skipped;
  const failedClients = clients.filter((c) => !c.ok).length;
  const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
  const line = `${plural(r.scenarios.length, 'scenario')}, ${plural(clients.length, 'client')}: ${clients.length - failedClients} passed, ${failedClients} failed; ` +
    `${plural(steps.length, 'step')}: ${steps.length - failedSteps - skipped} passed, ${failedSteps} failed${skipped > 0 ? `, ${skipped} not run` : ''}`;
  return r.ok ? pal.bold(`PASS — ${line}`) : pal.fail(`FAIL — ${line}`);
}
