#!/usr/bin/env node
// Check (not a test): sha256 of `analyze` output in every format and its exit code, for every capture
// under captures/ and the generated bench captures, so a speed change can show its output is
// byte-identical to another build's (issue 12: "the output of every format stays identical").
//   node bench/output-digest.mjs [--dist DIST] [--out FILE] [--compare FILE] [--no-bench] [--formats text,json,…]
// --dist: the build to run (default ./dist; e.g. /work/main/dist for the before-digest).
// --compare: a digest file written before; prints each (capture, format) that differs; exit 1 if any.
// The captures under captures/ run in this process through main() with -o (fast); the bench captures
// (bench/out/*.pcap, large) each in a fresh process through the build's cli, output to a file.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    dist: { type: 'string', default: join(root, 'dist') },
    out: { type: 'string' },
    compare: { type: 'string' },
    'no-bench': { type: 'boolean', default: false },
    formats: { type: 'string', default: 'text,json,junit,html,rows' },
  },
});
const dist = resolve(values.dist);
const formats = values.formats.split(',').filter(Boolean);
const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-digest-'));
const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (/\.(pcap|pcapng)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

const { main } = await import(pathToFileURL(join(dist, 'cli', 'main.js')).href);
const lines = [];
const quiet = { stderr: () => {} };
for (const file of walk(join(root, 'captures'))) {
  for (const f of formats) {
    const o = join(tmp, 'out');
    rmSync(o, { force: true });
    const code = await main(['analyze', file, '--format', f, '-o', o], quiet);
    lines.push(`${file.slice(root.length + 1)}\t${f}\t${code}\t${existsSync(o) ? sha(o) : '-'}`);
  }
}
if (!values['no-bench']) {
  const benchDir = join(root, 'bench', 'out');
  const big = existsSync(benchDir) ? readdirSync(benchDir).filter((n) => /^(clients-10k|mixed-1m)\.pcap$/.test(n)).sort() : [];
  for (const n of big) {
    for (const f of formats) {
      const o = join(tmp, 'out');
      rmSync(o, { force: true });
      const script = `import(${JSON.stringify(pathToFileURL(join(dist, 'cli', 'main.js')).href)}).then((m) => m.main(process.argv.slice(1), { stderr: () => {} })).then((c) => { process.exitCode = c; })`;
      const r = spawnSync(process.execPath, ['--max-semi-space-size=4', '--input-type=module', '-e', script, 'analyze', join(benchDir, n), '--format', f, '-o', o], { stdio: 'ignore', timeout: 900_000 });
      lines.push(`bench/out/${n}\t${f}\t${r.status}\t${existsSync(o) && statSync(o).size >= 0 ? sha(o) : '-'}`);
    }
  }
}
rmSync(tmp, { recursive: true, force: true });
const text = `${lines.join('\n')}\n`;
if (values.out) writeFileSync(values.out, text);
else process.stdout.write(text);
if (values.compare) {
  const before = new Map(readFileSync(values.compare, 'utf8').split('\n').filter(Boolean).map((l) => { const [c, f, ...rest] = l.split('\t'); return [`${c}\t${f}`, rest.join('\t')]; }));
  let diff = 0;
  for (const l of lines) {
    const [c, f, ...rest] = l.split('\t');
    const b = before.get(`${c}\t${f}`);
    if (b !== undefined && b !== rest.join('\t')) { diff++; process.stderr.write(`differs: ${c} ${f}: ${b} -> ${rest.join('\t')}\n`); }
    if (b === undefined) process.stderr.write(`new: ${c} ${f}\n`);
  }
  process.stderr.write(`${lines.length} outputs compared, ${diff} differ\n`);
  process.exitCode = diff === 0 ? 0 : 1;
}
