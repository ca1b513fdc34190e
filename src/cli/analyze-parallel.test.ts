/**
 * runAnalyze over several inputs with a pool (here one that answers out of order, in this thread):
 * the same output as one thread, an unreadable input and a lost worker are one line each and the
 * run goes on, an internal error still ends it. The real worker threads: test/cli/analyze-fleet.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis } from '../analysis/types.js';
import { CaptureFormatError } from '../capture/types.js';
import { ROOT } from '../../test/helpers/paths.js';
import { analyzeToReply, type ParallelAnalyze } from './analyze-pool.js';
import { runAnalyze, type AnalyzeFn } from './analyze.js';
import { checkAnalyzeArgs } from './options.js';

let dir = '';
const real = new Map<string, Analysis>();
const SOURCES = ['captures/lab/uefi-pxe-dnsmasq.pcapng', 'captures/lab/broken-missing-tftp-file.pcapng', 'captures/field/phone-cisco-tftp.pcap'];

/** Inputs are empty files standing for real captures (analysed once, up front). */
const engine: AnalyzeFn = async (input) => {
  const name = input as string;
  if (name.endsWith('bad.pcap')) throw new CaptureFormatError(`${name} is not a pcap or pcapng file`);
  if (name.endsWith('boom.pcap')) throw new Error('engine bug');
  const a = real.get(name);
  if (!a) throw new Error(`no fixture for ${name}`);
  return a;
};

/** A pool that answers in reverse order of asking (after a few turns of the event loop). */
function reversePool(lost: ReadonlySet<string> = new Set()): ParallelAnalyze {
  return {
    cores: 3,
    open: () => {
      let turn = 10;
      return {
        run: async (file, settings) => {
          const wait = turn--;
          for (let i = 0; i < wait * 3; i++) await new Promise((r) => setImmediate(r));
          if (lost.has(file)) throw new Error('analyze worker exited with code 1');
          return analyzeToReply((f, o) => engine(f, o), { id: 0, file, ...settings });
        },
        close: async () => undefined,
      };
    },
  };
}

async function run(files: string[], format: string, parallel?: ParallelAnalyze): Promise<{ code: number | string; out: string; err: string }> {
  const output = join(dir, `out-${Math.random().toString(36).slice(2)}.txt`);
  let err = '';
  const io = { stderr: (s: string) => { err += s; }, stdoutIsTTY: false, stderrIsTTY: false, env: {} };
  let code: number | string;
  try {
    code = await runAnalyze(checkAnalyzeArgs({ file: files, format, output }), engine, io, parallel);
  } catch (e) {
    code = (e as Error).message;
  }
  let out = '';
  try { out = readFileSync(output, 'utf8'); } catch { /* never opened */ }
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-par-'));
  for (const [i, src] of SOURCES.entries()) {
    const name = join(dir, `c${i}.pcap`);
    writeFileSync(name, '');
    real.set(name, await analyzeCapture(join(ROOT, src), { name }));
  }
  for (const n of ['bad.pcap', 'boom.pcap']) writeFileSync(join(dir, n), '');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const c = (i: number) => join(dir, `c${i}.pcap`);

describe('runAnalyze with a pool', () => {
  for (const format of ['text', 'json', 'rows']) {
    it(`${format}: prints what one thread prints, the unreadable input in its place`, async () => {
      const files = [c(0), c(1), join(dir, 'bad.pcap'), c(2)];
      const one = await run(files, format);
      const pooled = await run(files, format, reversePool());
      expect(pooled).toEqual(one);
      expect(one.code).toBe(2);
      expect(one.err).toBe(`pxecheck: ${join(dir, 'bad.pcap')} is not a pcap or pcapng file\n`);
      expect(one.out).toContain(c(2));
    });
  }

  it('a lost worker loses its capture only: one line, exit 2, the others reported', async () => {
    const r = await run([c(0), c(1), c(2)], 'json', reversePool(new Set([c(1)])));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`pxecheck: ${c(1)}: analyze worker exited with code 1\n`);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as { file?: string; fleet?: { captures: number; unreadable: number } });
    expect(lines.map((l) => l.file ?? 'fleet')).toEqual([c(0), c(2), 'fleet']);
    expect(lines[2]!.fleet).toMatchObject({ captures: 2, unreadable: 1 });
  });

  it('an internal error still ends the run', async () => {
    const r = await run([c(0), join(dir, 'boom.pcap'), c(2)], 'json', reversePool());
    expect(r.code).toBe('engine bug');
  });
});
