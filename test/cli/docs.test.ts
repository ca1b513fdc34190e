import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CATALOGUE, type FindingDef } from '../../src/findings/catalogue.js';
import { DEFAULT_THRESHOLDS } from '../../src/findings/types.js';
import { THRESHOLD_FLAGS } from '../../src/cli/options.js';

const DOC = fileURLToPath(new URL('../../docs/analyze.md', import.meta.url));
const START = '<!-- catalogue:start -->';
const END = '<!-- catalogue:end -->';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The catalogue as a Markdown table, in catalogue order. */
function catalogueTable(defs: Iterable<FindingDef>): string {
  const rows = ['| code | severity | group | meaning | what to check |', '|---|---|---|---|---|'];
  for (const d of defs) {
    const meaning = d.reference ? `${d.summary} (${d.reference})` : d.summary;
    rows.push(`| \`${d.code}\` | ${d.severity} | ${d.group} | ${cell(meaning)} | ${cell(d.hint)} |`);
  }
  return rows.join('\n');
}

describe('docs/analyze.md', () => {
  it('lists every catalogue code, as generated (UPDATE_DOCS=1 rewrites the table)', () => {
    let doc = readFileSync(DOC, 'utf8');
    const table = catalogueTable(CATALOGUE.values());
    const start = doc.indexOf(START);
    const end = doc.indexOf(END);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    if (process.env['UPDATE_DOCS'] === '1') {
      doc = `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`;
      writeFileSync(DOC, doc);
    }
    const section = doc.slice(start + START.length, doc.indexOf(END)).trim();
    expect(section).toBe(table);
    for (const code of CATALOGUE.keys()) expect(section).toContain(`| \`${code}\` |`);
  });

  it('documents every threshold flag with its default (here and in the README)', () => {
    const doc = readFileSync(DOC, 'utf8');
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    for (const t of THRESHOLD_FLAGS) {
      expect(doc).toMatch(new RegExp(`\\| \`--${t.flag} [SN]\` \\| ${DEFAULT_THRESHOLDS[t.key]} \\|`));
      expect(readme).toContain(`\`--${t.flag} ${DEFAULT_THRESHOLDS[t.key]}\``);
    }
  });
});
