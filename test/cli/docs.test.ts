import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOGUE, type FindingDef } from '../../src/findings/catalogue.js';
import { DEFAULT_THRESHOLDS } from '../../src/findings/types.js';
import { THRESHOLD_FLAGS } from '../../src/cli/options.js';
import { main } from '../../src/cli/main.js';

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

// ---------------------------------------------------------------------------------------------
// Every command line and flag form README.md and docs/*.md show goes through the real parser.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC_FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const COMMAND_NAMES = ['decode', 'analyze', 'run', 'capture', 'lab', 'completion', 'merge'];

/** Placeholders the docs write in capitals → a value of the right kind. */
const PLACEHOLDERS: Record<string, string> = {
  FILE: 'x.pcap', 'FILE.pcapng': 'x.pcapng', YOUR_FILE: 'server.conf', SCENARIO: 'scenarios/uefi-ipxe.yaml', 'SCENARIO...': 'scenarios/uefi-ipxe.yaml',
  ADDR: '198.51.100.1', IFACE: 'eth0', N: '3', S: '2', SERVER: 'dnsmasq', NAME: 'docs', BPF: 'udp', MAC: '52:54:00:12:34:56', T: '1',
};
/** What a command needs before its flags, for a flag form shown on its own. */
const POSITIONAL: Record<string, string[]> = { decode: ['x.pcap'], analyze: ['x.pcap'], run: ['scenarios/uefi-ipxe.yaml'], capture: [], lab: ['up'], completion: [], export: ['x.pcap'], merge: ['a.json'] };

const fill = (tok: string): string => PLACEHOLDERS[tok] ?? tok;

/** `check`: a command line to run as shown (code blocks); `parse`: a form shown in prose; `mention`: a bare `--flag`. */
interface DocLine { where: string; argv: string[]; mode: 'check' | 'parse' | 'mention' }

/** `pxecheck analyze FILE --no-reply 6` → argv after `pxecheck`; null when the text is no command line. */
function commandArgv(text: string): { argv: string[]; concrete: boolean } | null {
  const m = /(?:^|\s|\(|`)(?:node bin\/pxecheck\.js|npx pxecheck|pxecheck)\s+([a-z].*)$/.exec(text.trim());
  if (!m || !COMMAND_NAMES.includes(m[1]!.split(/\s/)[0]!)) return null;
  // A shell line ends at &&, ;, a pipe or a comment; a synopsis has [ ] ( ) | … or a value list.
  const body = m[1]!.split(/\s(?:&&|;|\||#)\s/)[0]!.trim();
  const concrete = !/[[\]()…]|\.\.\.|\w\|\w/.test(body);
  return { argv: body.split(/\s+/), concrete };
}

/** Flag forms of a synopsis: `--format text|json` → [`--format`, `text`], `[--proxy]` → [`--proxy`]. */
function flagForms(synopsis: string): string[][] {
  const toks = synopsis.replace(/[[\]()]/g, ' ').split(/\s+/).filter((t) => t !== '' && t !== '|');
  const forms: string[][] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (!/^--?[a-zA-Z]/.test(t)) continue;
    const next = toks[i + 1];
    const value = next !== undefined && !next.startsWith('-') && !/^[a-z]+\.{3}$/.test(next) ? next.replace(/…$/, '') : undefined;
    const flag = t.replace(/[…,.]+$/, '');
    forms.push(value === undefined ? [flag] : [flag, fill(value.split('|')[0]!.split(',')[0]!)]);
  }
  return forms;
}

function docLines(): DocLine[] {
  const out: DocLine[] = [];
  for (const file of DOC_FILES) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    let inBlock = false;
    let section: string | null = null;
    text.split('\n').forEach((line, i) => {
      const where = `${file}:${i + 1}`;
      if (line.startsWith('```')) { inBlock = !inBlock; return; }
      const spans = inBlock ? [line] : [...line.matchAll(/`([^`]+)`/g)].map((s) => s[1]!);
      if (!inBlock && /^#{1,4} /.test(line)) section = /pxecheck ([a-z]+)/.exec(line)?.[1] ?? (line.startsWith('## ') ? null : section);
      for (const span of spans) {
        const cmd = commandArgv(span);
        if (cmd) {
          const argv = cmd.argv.map(fill);
          const name = argv[0]!;
          // Prose names a command with some of its flags (`pxecheck decode --format none`): add its operands.
          const withOperands = argv[1] === undefined || argv[1].startsWith('-') ? [name, ...POSITIONAL[name]!, ...argv.slice(1)] : argv;
          if (cmd.concrete) out.push({ where, argv: inBlock ? argv : withOperands, mode: inBlock ? 'check' : 'parse' });
          else for (const f of flagForms(cmd.argv.slice(1).join(' '))) out.push({ where, argv: [name, ...POSITIONAL[name]!, ...f], mode: 'parse' });
        } else if (!inBlock && section !== null && /^--[a-z][a-z0-9-]*( |$)/.test(span)) {
          // A flag form in the prose of a command's section: `--no-reply 4`, `--lab-ra managed|…`; alone, a mention.
          for (const f of flagForms(span)) out.push({ where, argv: [section, ...POSITIONAL[section]!, ...f], mode: f.length === 1 && !span.includes(' ') ? 'mention' : 'parse' });
        }
      }
    });
  }
  return out;
}

describe('documented command lines', () => {
  const lines = docLines();

  it('finds the command lines and flag forms of README and docs', () => {
    expect(lines.length).toBeGreaterThan(40);
    expect(lines.some((l) => l.mode === 'check' && l.argv.join(' ') === 'run scenarios/uefi-ipxe.yaml')).toBe(true);
    expect(lines.some((l) => l.argv.join(' ') === 'analyze x.pcap --no-reply 4')).toBe(true);
    for (const c of ['decode', 'analyze', 'run', 'capture', 'lab']) expect(lines.some((l) => l.argv[0] === c), c).toBe(true);
  });

  it('every one parses: known flags, values where needed; full command lines also pass the checks', async () => {
    const failures: string[] = [];
    for (const l of lines) {
      const err: string[] = [];
      const io = { stderr: (s: string) => { err.push(s); } };
      let code = await main(l.argv, io, {}, l.mode === 'check' ? 'check' : 'parse');
      // A bare mention of a flag that takes a value: it exists when it parses with one.
      if (code !== 0 && l.mode === 'mention') {
        err.length = 0;
        code = await main([...l.argv, 'VALUE'], io, {}, 'parse');
      }
      if (code !== 0) failures.push(`${l.where}: pxecheck ${l.argv.join(' ')}: ${err.join('').split('\n')[0]}`);
    }
    expect(failures).toEqual([]);
  }, 120_000); // hundreds of command lines parsed in turn: 17 s alone, twice that on two loaded cores

  it('the dry run does reject what the real parser rejects', async () => {
    const quiet = { stderr: () => undefined };
    expect(await main(['analyze', 'x.pcap', '--no-such-flag'], quiet, {}, 'parse')).toBe(2);
    expect(await main(['analyze', 'x.pcap', '-f'], quiet, {}, 'parse')).toBe(2);
    expect(await main(['analyze', 'x.pcap', '--no-reply', '6'], quiet, {}, 'check')).toBe(0);
    expect(await main(['analyze', 'x.pcap', '--no-reply', 'soon'], quiet, {}, 'check')).toBe(2);
  });
});
