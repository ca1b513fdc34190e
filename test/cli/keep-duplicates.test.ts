/**
 * `--keep-duplicates` through the built CLI: a capture recorded twice by a mirror port analyzes
 * with its copies dropped by default, and with every frame (the copies as TFTP retransmissions)
 * under the flag — in this thread (one input) and on worker threads (several inputs), where the
 * setting travels in the worker request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';
import { recordTwice } from '../../src/decode/duplicate-frames.test-kit.js';
import type { AnalyzeJson } from '../../src/report/analyze-schema.js';

let build: PrivateBuild;
let dir = '';
let doubled = '';

beforeAll(() => {
  build = privateBuild();
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-keep-dup-'));
  doubled = join(dir, 'span.pcapng');
  writeFileSync(doubled, recordTwice(readFileSync(join(ROOT, 'captures/field/os-then-two-boots.pcapng')), 20e-6).bytes);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The finding codes of each report (JSON Lines for several inputs, the fleet line left out). */
function analyzeCodes(args: string[]): string[][] {
  const r = spawnSync(process.execPath, [build.bin, 'analyze', '-f', 'json', ...args], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  // One input: one (indented) document; several: one line each, then the fleet line.
  const docs = args.includes('--jobs') ? r.stdout.trim().split('\n') : [r.stdout];
  return docs.map((l) => JSON.parse(l) as AnalyzeJson & { fleet?: unknown })
    .filter((j) => j.fleet === undefined).map((j) => j.findings.map((f) => f.code));
}

// Two CLI runs per test, a second or three each alone: the timeouts leave room for a loaded CI.
describe('analyze --keep-duplicates', () => {
  it('one input: the copies are dropped by default and analyzed with the flag', () => {
    const [dropped] = analyzeCodes([doubled]);
    const [kept] = analyzeCodes([doubled, '--keep-duplicates']);
    expect(dropped).toContain('capture.duplicate-frames');
    expect(dropped).not.toContain('tftp.retransmit');
    expect(kept).toContain('tftp.retransmit');
    expect(kept).not.toContain('capture.duplicate-frames');
  }, 240_000);

  it('several inputs on worker threads: the flag reaches every worker', () => {
    const dropped = analyzeCodes([doubled, doubled, '--jobs', '2']);
    const kept = analyzeCodes([doubled, doubled, '--jobs', '2', '--keep-duplicates']);
    expect(dropped).toHaveLength(2);
    expect(kept).toHaveLength(2);
    for (const codes of dropped) expect(codes).not.toContain('tftp.retransmit');
    for (const codes of kept) expect(codes).toContain('tftp.retransmit');
  }, 240_000);
});
