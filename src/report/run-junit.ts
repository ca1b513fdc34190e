/**
 * `run --format junit`: one testsuite per scenario, one testcase per client step (classname
 * `scenario/client`); a failed step is a <failure>, a step not run after an earlier failure <skipped>.
 */
import type { RunResult, ScenarioResult } from '../scenario/run/result.js';
import { seconds } from '../scenario/run/result.js';
import { xmlAttr, xmlText } from './junit.js';
import { loadJunitCases } from './load-junit.js';

export function renderRunJunit(r: RunResult): string {
  const suites = r.scenarios.map(suiteLines);
  const load = r.scenarios.map(loadJunitCases);
  const tests = r.scenarios.reduce((n, s) => n + s.clients.reduce((m, c) => m + c.steps.length, 0), 0) + load.reduce((n, l) => n + l.tests, 0);
  const failures = count(r, (ok, skipped) => !ok && !skipped) + load.reduce((n, l) => n + l.failures, 0);
  const time = r.scenarios.reduce((t, s) => t + s.duration, 0) / 1000;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="pxecheck run" tests="${tests}" failures="${failures}" errors="0" time="${time.toFixed(3)}">`,
    ...suites.flat(),
    '</testsuites>',
  ].join('\n');
}

function count(r: RunResult | { scenarios: ScenarioResult[] }, pred: (ok: boolean, skipped: boolean) => boolean): number {
  let n = 0;
  for (const s of r.scenarios) for (const c of s.clients) for (const st of c.steps) if (pred(st.ok, st.details['skipped'] === true)) n++;
  return n;
}

function suiteLines(s: ScenarioResult): string[] {
  const load = loadJunitCases(s);
  const tests = s.clients.reduce((m, c) => m + c.steps.length, 0) + load.tests;
  const failures = count({ scenarios: [s] }, (ok, skipped) => !ok && !skipped) + load.failures;
  const skipped = count({ scenarios: [s] }, (_ok, sk) => sk);
  const out = [
    `  <testsuite name="${xmlAttr(s.name)}" file="${xmlAttr(s.file)}" tests="${tests}" failures="${failures}" errors="0" skipped="${skipped}" time="${(s.duration / 1000).toFixed(3)}">`,
  ];
  out.push(...load.lines);
  for (const c of s.clients) {
    c.steps.forEach((st, i) => {
      const name = `${i + 1}. ${st.name}`;
      out.push(`    <testcase classname="${xmlAttr(`${s.name}/${c.name}`)}" name="${xmlAttr(name)}" time="${(st.duration / 1000).toFixed(3)}">`);
      if (st.details['skipped'] === true) out.push(`      <skipped message="${xmlAttr(st.error ?? 'not run')}"/>`);
      else if (!st.ok) {
        const first = (st.error ?? 'failed').split('\n')[0]!;
        out.push(`      <failure message="${xmlAttr(first)}" type="${xmlAttr(st.kind)}">${xmlText(st.error ?? '')}</failure>`);
      }
      const budget = st.budget === null ? '' : ` (budget ${seconds(st.budget)})`;
      out.push(`      <system-out>${xmlText(`${c.mac} ${c.persona}: ${st.kind} took ${seconds(st.duration)}${budget}; expect ${String(st.details['expect'] ?? '')}`)}</system-out>`);
      out.push('    </testcase>');
    });
  }
  out.push('  </testsuite>');
  return out;
}
