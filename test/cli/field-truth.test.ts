/**
 * A bounded slice of bench/field-truth.mjs: three small real captures, every variant (started late,
 * cut short, booted twice, mirror-doubled, snap-length cut, one direction only, 802.1Q, Linux cooked),
 * analysed by a private build (json and text), then `check`: no crash, no exit 2, the same exit code
 * in every format, and the properties that need no baseline (mirror/vlan/sll change nothing, twice
 * doubles the attempts and adds no error). The whole harness is `node bench/field-truth.mjs`.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { privateBuild } from '../helpers/private-build.js';

/** Small captures with a boot that fails, a proxyDHCP boot and a phone: ~20–60 frames each. */
const ONLY = '(lab/broken-missing-tftp-file|lab/proxydhcp-only|field/phone-cisco-tftp)\\.';

/** The test's budget; the three harness runs share it (each is killed when it would overrun). */
const TEST_MS = 300_000;
/** Left for vitest to report a harness run killed at the deadline. */
const REPORT_MS = 10_000;

function harness(args: string[], deadline: number): { code: number | null; stdout: string; stderr: string } {
  const timeout = Math.max(1_000, deadline - Date.now());
  const r = spawnSync(process.execPath, ['bench/field-truth.mjs', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir = '';
let checkout = '';
beforeAll(() => {
  checkout = privateBuild().dir; // may wait up to 300 s for the build lock
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-field-truth-'));
}, 300_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('field truth (bench/field-truth.mjs on three captures)', () => {
  it('builds every variant, and the analyses keep the properties check looks for', () => {
    const deadline = Date.now() + TEST_MS - REPORT_MS;
    const built = harness(['build', dir, '--only', ONLY], deadline);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
      captures: { id: string; variants: Record<string, number> }[];
    };
    expect(manifest.captures.map((c) => c.id).sort()).toEqual(['field__phone-cisco-tftp', 'lab__broken-missing-tftp-file', 'lab__proxydhcp-only']);
    for (const c of manifest.captures) {
      expect(Object.keys(c.variants).sort()).toEqual(['late', 'mirror', 'oneway', 'orig', 'short', 'sll', 'snap200', 'snap96', 'twice', 'vlan']);
      const n = c.variants.orig!;
      expect(c.variants.mirror).toBe(2 * n);
      expect(c.variants.twice).toBe(2 * n);
      expect(c.variants.late! + Math.floor(n / 3)).toBe(n);
      expect(c.variants.oneway!).toBeLessThan(n);
    }

    // json and text: the verdicts, and the exit codes of two writers to compare (junit adds ~30 s under load).
    const ran = harness(['run', checkout, dir, '--label', 'this', '--jobs', '2', '--timeout', '120', '--formats', 'json,text'], deadline);
    expect(ran.code, ran.stderr).toBe(0);

    const checked = harness(['check', join(dir, 'runs', 'this')], deadline);
    expect(checked.stdout).toContain('violations (0)');
    expect(checked.code, checked.stdout).toBe(0);
  }, TEST_MS);
});
