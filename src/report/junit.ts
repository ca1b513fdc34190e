/**
 * `analyze --format junit`: one testsuite for the capture, one testcase per client chain (failed
 * when it has error findings), the timeline in system-out; capture-wide findings in `capture`.
 */
import type { Analysis, ClientReport } from '../analysis/types.js';
import type { Finding } from '../findings/types.js';
import { findingLines, findingTree, framesSuffix, timelineLines } from './analyze-text.js';
import { verdictLine } from './verdict.js';
import { PLAIN } from './color.js';
import { findingIndex, type FindingIndex } from './finding-index.js';

/**
 * Characters XML 1.0 cannot carry at all (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/FFFF)
 * become U+FFFD: a file name or server message with a NUL must not break the whole report.
 */
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Any character xmlText changes (escaped or replaced); without one the text is returned as is. */
// eslint-disable-next-line no-control-regex
const NEEDS_XML_TEXT_ESCAPE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF&<>]/;

/** Escapes text content. */
export function xmlText(s: string): string {
  if (!NEEDS_XML_TEXT_ESCAPE.test(s)) return s; // most text: one scan instead of four replaces
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value (double-quoted); whitespace kept as references so parsers do not fold it. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}

export interface Case {
  name: string;
  errors: Finding[];
  out: string[];
  time: number;
}

export function renderJunit(a: Analysis): string {
  const idx = findingIndex(a.findings);
  const cases: Case[] = a.clients.map((c) => clientCase(c, idx));
  const wide = wideCase(a.findings.filter((f) => f.client === null));
  if (wide) cases.push(wide);
  const failures = cases.filter((c) => c.errors.length > 0).length;
  const total = cases.reduce((t, c) => t + c.time, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    suiteOpen(a.file, cases.length, failures, total),
  ];
  for (const c of cases) lines.push(...caseLines(a.file, c));
  lines.push('</testsuite>');
  return lines.join('\n');
}

export function suiteOpen(file: string, tests: number, failures: number, total: number): string {
  return `<testsuite name="${xmlAttr(`pxecheck analyze ${file}`)}" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${total.toFixed(3)}">`;
}

/** The testcase of the capture-wide findings, null when there are none. */
export function wideCase(wide: readonly Finding[]): Case | null {
  if (wide.length === 0) return null;
  return {
    name: 'capture',
    errors: wide.filter((f) => f.severity === 'error'),
    out: wide.flatMap((f) => findingLines(f, PLAIN)),
    time: 0,
  };
}

export function caseLines(file: string, c: Case): string[] {
  const lines = [`  <testcase classname="${xmlAttr(file)}" name="${xmlAttr(c.name)}" time="${c.time.toFixed(3)}">`];
  if (c.errors.length > 0) {
    const first = c.errors[0]!;
    const body = c.errors.map((f) => `[${f.code}] ${f.message}${framesSuffix(f.frames)}\nhint: ${f.hint}`).join('\n\n');
    lines.push(`    <failure message="${xmlAttr(first.message)}" type="${xmlAttr(first.code)}">${xmlText(body)}</failure>`);
  }
  if (c.out.length > 0) lines.push(`    <system-out>${xmlText(c.out.join('\n'))}</system-out>`);
  lines.push('  </testcase>');
  return lines;
}

export function clientCase(chain: ClientReport, findings: readonly Finding[] | FindingIndex): Case {
  const idx = findingIndex(findings);
  const mine = idx.ofClient(chain.mac);
  const out = [verdictLine(chain, idx, PLAIN), ...timelineLines(chain, PLAIN)];
  if (mine.length > 0) out.push('Findings:', ...findingTree(mine, idx, PLAIN));
  let first = chain.steps.length ? Infinity : 0;
  let last = chain.steps.length ? -Infinity : 0;
  for (const s of chain.steps) {
    if (s.start < first) first = s.start;
    if (s.start + s.duration > last) last = s.start + s.duration;
  }
  // The root cause first: it is what the failure message shows.
  const errors = mine.filter((f) => f.severity === 'error').sort((x, y) => rank(x) - rank(y));
  return { name: `client ${chain.mac}`, errors, out, time: last - first };
}

function rank(f: Finding): number {
  return f.causedBy === null ? 0 : 1;
}
