/** `analyze --format html` wiring: one page per analysis, refused for several unmerged inputs. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAnalyze, type AnalyzeFn, type AnalyzeIo } from '../../src/cli/analyze.js';
import { checkAnalyzeArgs } from '../../src/cli/options.js';
import { UsageError } from '../../src/cli/exit-codes.js';
import { sampleAnalysis } from './fixtures.js';

let dir = '';
let a = '';
let b = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-html-cli-'));
  a = join(dir, 'a.pcap');
  b = join(dir, 'b.pcap');
  writeFileSync(a, 'stand-in');
  writeFileSync(b, 'stand-in');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const io: AnalyzeIo = { stderr: () => {}, stdoutIsTTY: false, stderrIsTTY: false, env: {} };
const engine: AnalyzeFn = async () => sampleAnalysis();

describe('analyze --format html', () => {
  it('writes one self-contained page and exits by the findings', async () => {
    const output = join(dir, 'r.html');
    const code = await runAnalyze(checkAnalyzeArgs({ file: [a], format: 'html', output }), engine, io);
    expect(code).toBe(1); // the sample has an error finding
    const html = readFileSync(output, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it('merges several inputs into one page with --merge, and refuses them without', async () => {
    const output = join(dir, 'm.html');
    await expect(runAnalyze(checkAnalyzeArgs({ file: [a, b], format: 'html', output }), engine, io)).rejects.toThrow(UsageError);
    await expect(runAnalyze(checkAnalyzeArgs({ file: [a, b], format: 'html', output }), engine, io)).rejects.toThrow(/--merge/);
    await runAnalyze(checkAnalyzeArgs({ file: [a, b], format: 'html', merge: true, output }), engine, io);
    expect(readFileSync(output, 'utf8').match(/<!DOCTYPE html>/g)).toHaveLength(1);
  });
});
