/**
 * What each fault of a load run did (text and JUnit): when it began and ended, what was done, then
 * per window (before / during / after it) the exchanges per kind with p50, p99 and max, and the
 * retransmissions; then the clients in flight during it: how many recovered, which failed.
 */
import { ms } from '../scenario/load/budgets.js';
import { FAULT_WINDOWS, type FaultReport } from '../scenario/load/faults.js';
import { printable } from './analyze-text.js';
import { PLAIN, type Palette } from './color.js';
import { wrapLine } from './layout.js';
import { xmlAttr, xmlText } from './junit.js';

const n = (x: number): string => x.toLocaleString('en-US');

function when(f: FaultReport): string {
  const by = f.appliedBy === undefined ? '' : ` (applied by ${f.appliedBy.join(', ')})`;
  if (f.startedS === null) return `never began${by}`;
  return `${f.startedS} s → ${f.endedS === null ? '?' : `${f.endedS} s`}${by}`;
}

export function faultLines(faults: readonly FaultReport[], pal: Palette = PLAIN, width: number | null = null): string[] {
  if (faults.length === 0) return [];
  const out: string[] = [`  Faults: ${faults.length}${faults.some((f) => f.error !== undefined) ? pal.fail(` (${faults.filter((f) => f.error !== undefined).length} went wrong)`) : ''}`];
  for (const f of faults) {
    out.push(...wrapLine(`    ${f.error === undefined ? '' : `${pal.fail('ERROR')} `}${printable(f.fault)}: ${when(f)}`, width, 8));
    for (const note of [f.effect, f.undone, f.error]) if (note !== undefined) out.push(...wrapLine(`        ${printable(note)}`, width, 10));
    for (const w of FAULT_WINDOWS) {
      const win = f.windows[w];
      const kinds = Object.entries(win.kinds).map(([k, r]) => {
        const bad = r.failed + r.timedOut;
        const lat = r.latencyMs === null ? '' : ` p50 ${ms(r.latencyMs.p50)} p99 ${ms(r.latencyMs.p99)} max ${ms(r.latencyMs.max)}`;
        return `${k} ${n(r.ok)} ok${bad > 0 ? pal.fail(` ${n(bad)} failed`) : ''}${lat}`;
      });
      out.push(...wrapLine(`      ${w.padEnd(6)} ${kinds.length === 0 ? 'no exchanges' : kinds.join('; ')}${win.retransmits > 0 ? `; ${n(win.retransmits)} retransmissions` : ''}`, width, 13));
    }
    const c = f.clients;
    const bad = c.failed + c.timedOut;
    out.push(...wrapLine(`      clients in flight during it: ${n(c.affected)}, ${n(c.ok)} passed (${n(c.recovered)} recovered after retransmitting), ` +
      `${bad > 0 ? pal.fail(`${n(bad)} failed`) : '0 failed'}`, width, 8));
    if (c.groups !== undefined) {
      const groups = Object.entries(c.groups).map(([g, x]) => {
        const gbad = x.failed + x.timedOut;
        return `${printable(g)}: ${n(x.affected)} in flight, ${n(x.ok)} passed (${n(x.recovered)} recovered), ${gbad > 0 ? pal.fail(`${n(gbad)} failed`) : '0 failed'}`;
      });
      out.push(...wrapLine(`        by group: ${groups.join('; ')}`, width, 10));
    }
    for (const fc of c.failedClients) out.push(...wrapLine(`        failed ${fc.mac} ${fc.kind}: ${printable(fc.message)}`, width, 10));
    if (c.recoveredClients.length > 0) out.push(...wrapLine(`        recovered ${c.recoveredClients.join(', ')}${c.recovered > c.recoveredClients.length ? ', …' : ''}`, width, 10));
  }
  return out;
}

/** One JUnit testcase per fault (failed when it could not be injected or undone, or never began); the windows as properties. */
export function faultJunitCases(cls: string, faults: readonly FaultReport[]): { lines: string[]; tests: number; failures: number } {
  const lines: string[] = [];
  let failures = 0;
  for (const f of faults) {
    lines.push(`    <testcase classname="${cls}" name="${xmlAttr(`fault ${f.fault}`)}" time="${f.startedS !== null && f.endedS !== null ? (f.endedS - f.startedS).toFixed(3) : '0'}">`);
    lines.push('      <properties>');
    const prop = (k: string, v: string | number): void => void lines.push(`        <property name="${xmlAttr(k)}" value="${xmlAttr(String(v))}"/>`);
    if (f.startedS !== null) prop('startedS', f.startedS);
    if (f.endedS !== null) prop('endedS', f.endedS);
    if (f.appliedBy !== undefined) prop('appliedBy', f.appliedBy.join(', '));
    for (const w of FAULT_WINDOWS) {
      prop(`${w}.retransmits`, f.windows[w].retransmits);
      for (const [k, r] of Object.entries(f.windows[w].kinds)) {
        prop(`${w}.${k}.ok`, r.ok);
        prop(`${w}.${k}.failed`, r.failed + r.timedOut);
        if (r.latencyMs !== null) prop(`${w}.${k}.p99Ms`, r.latencyMs.p99);
      }
    }
    for (const k of ['affected', 'ok', 'failed', 'timedOut', 'recovered'] as const) prop(`clients.${k}`, f.clients[k]);
    for (const [g, x] of Object.entries(f.clients.groups ?? {})) {
      for (const k of ['affected', 'ok', 'failed', 'timedOut', 'recovered'] as const) prop(`clients.${g}.${k}`, x[k]);
    }
    lines.push('      </properties>');
    if (f.error !== undefined) {
      failures++;
      lines.push(`      <failure message="${xmlAttr(f.error)}" type="fault"/>`);
    }
    lines.push(`      <system-out>${xmlText(faultLines([f]).join('\n'))}</system-out>`, '    </testcase>');
  }
  return { lines, tests: faults.length, failures };
}
