/**
 * JUnit testcases of a load run (classname `scenario/load`): one per budget, one for the clients
 * (failed when a client failed and no `failed:` budget tolerates it); the statistics as properties
 * and the percentile table as system-out, so CI pages show them.
 */
import type { ScenarioResult } from '../scenario/run/result.js';
import { xmlAttr, xmlText } from './junit.js';
import { loadLines } from './load-text.js';
import { faultJunitCases } from './load-faults.js';

export function loadJunitCases(s: ScenarioResult): { lines: string[]; tests: number; failures: number } {
  const l = s.load;
  if (l === undefined) return { lines: [], tests: 0, failures: 0 };
  const cls = xmlAttr(`${s.name}/load`);
  const lines: string[] = [];
  let failures = 0;
  const c = l.clients;
  const bad = c.failed + c.timedOut;
  const tolerated = l.budgetSpec.failed !== undefined;
  lines.push(`    <testcase classname="${cls}" name="clients" time="${(l.durationMs / 1000).toFixed(3)}">`);
  lines.push('      <properties>');
  for (const [k, r] of Object.entries(l.kinds)) {
    lines.push(`        <property name="${xmlAttr(`${k}.ok`)}" value="${r.ok}"/>`, `        <property name="${xmlAttr(`${k}.failed`)}" value="${r.failed}"/>`,
      `        <property name="${xmlAttr(`${k}.timedOut`)}" value="${r.timedOut}"/>`, `        <property name="${xmlAttr(`${k}.perSecond`)}" value="${r.perSecond}"/>`);
    if (r.latencyMs !== null) {
      for (const [p, v] of Object.entries(r.latencyMs)) lines.push(`        <property name="${xmlAttr(`${k}.${p}Ms`)}" value="${v}"/>`);
    }
  }
  lines.push('      </properties>');
  if ((bad > 0 && !tolerated) || c.notStarted > 0 || c.started === 0) {
    failures++;
    const why = c.started === 0 ? 'no client started' : c.notStarted > 0 ? `${c.notStarted} clients not started` : `${bad} of ${c.started} clients failed`;
    lines.push(`      <failure message="${xmlAttr(why)}" type="load">${xmlText(l.failures.slice(0, 10).map((f) => `${f.count} × ${f.kind}: ${f.message}`).join('\n'))}</failure>`);
  }
  lines.push(`      <system-out>${xmlText(loadLines(l).join('\n'))}</system-out>`, '    </testcase>');
  for (const b of l.budgets) {
    lines.push(`    <testcase classname="${cls}" name="${xmlAttr(`budget ${b.what} ${b.limit}`)}" time="0">`);
    if (!b.ok) {
      failures++;
      lines.push(`      <failure message="${xmlAttr(`${b.what}: ${b.actual}, budget ${b.limit}`)}" type="budget"/>`);
    }
    lines.push(`      <system-out>${xmlText(`${b.what}: ${b.actual} (budget ${b.limit})`)}</system-out>`, '    </testcase>');
  }
  const f = faultJunitCases(cls, l.faults ?? []);
  lines.push(...f.lines);
  return { lines, tests: 1 + l.budgets.length + f.tests, failures: failures + f.failures };
}
