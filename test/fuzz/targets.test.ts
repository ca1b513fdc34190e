/**
 * The fuzz targets in CI: a bounded coverage-guided run of every target (fixed seed, a fixed number
 * of runs, capped in seconds: the whole slice stays within a few minutes of CPU) must find no crash
 * and must reach code the seeds did not; every saved crash (fuzz/regressions/TARGET/*) and every
 * seed must run clean through the same targets. Long runs: node bench/fuzz.mjs (docs/fuzzing.md).
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS } from '../../fuzz/targets.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = 1500;
const SECONDS_PER_TARGET = 12;

interface TargetResult { target: string; runs: number; seedEdges: number; edges: number; crashes: { message: string; file: string; stack: string }[] }

function inputs(dir: string): { name: string; data: Uint8Array }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().map((f) => ({ name: f, data: new Uint8Array(readFileSync(join(dir, f))) }));
}

/** Runs one input; an exception the target does not list as an expected input error is returned. */
function crashOf(target: string, data: Uint8Array): string | null {
  const t = TARGETS[target]!;
  try {
    t.fuzz(data);
    return null;
  } catch (e) {
    return t.expected?.(e) ? null : String((e as Error).stack ?? e);
  }
}

describe('fuzz targets', () => {
  it('every regression input and every seed runs without a crash', () => {
    const crashes: string[] = [];
    let n = 0;
    for (const target of Object.keys(TARGETS)) {
      for (const dir of ['fuzz/regressions', 'fuzz/corpus']) {
        for (const { name, data } of inputs(join(ROOT, dir, target))) {
          n++;
          const c = crashOf(target, data);
          if (c) crashes.push(`${dir}/${target}/${name}: ${c.split('\n').slice(0, 3).join(' ')}`);
        }
      }
    }
    expect(n).toBeGreaterThan(100);
    expect(crashes).toEqual([]);
  }, 120_000);

  it(`a bounded coverage-guided run of each target (${RUNS} runs, seed 1) finds no crash and new coverage`, () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bench/fuzz.mjs'), '--json', '--runs', String(RUNS), '--seconds', String(SECONDS_PER_TARGET), '--seed', '1', '--hang', '60'], {
      cwd: ROOT, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20,
    });
    expect(r.stderr).not.toMatch(/HANG/);
    const out = JSON.parse(r.stdout) as { results: TargetResult[] };
    expect(out.results.map((x) => x.target).sort()).toEqual(Object.keys(TARGETS).sort());
    const crashes = out.results.flatMap((x) => x.crashes.map((c) => `${x.target}: ${c.message} (${c.file})\n${c.stack}`));
    expect(crashes).toEqual([]);
    expect(r.status).toBe(0);
    for (const x of out.results) {
      expect(x.runs, x.target).toBeGreaterThan(100);
      // Guided mutation reaches counters the seeds alone did not: the loop is working.
      expect(x.edges, x.target).toBeGreaterThan(x.seedEdges);
    }
  }, 600_000);
});
