/**
 * `pxecheck decode BIG | head` and `pxecheck analyze A B C | head`: once the reader of stdout has
 * gone (EPIPE), the CLI stops reading and exits 0 without a word on stderr, as tshark and tcpdump do.
 * The bin of a private build runs on a generated capture of 20,000 DHCP clients; each command runs
 * once to the end (stdout drained) and once with stdout closed at its first bytes, in this test, and
 * the early one must take well under the full one (a ratio with a wide margin, not a time).
 */
import { spawn } from 'node:child_process';
import { linkSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dhcpFlood, writeCapture } from '../../src/gen/index.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const RUN_TIMEOUT_MS = 120_000;

interface Timed { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stderr: string; readonly bytes: number; readonly ms: number }

let build: PrivateBuild;
let dir = '';
let flood = '';

/** The CLI with `args`; `closeEarly`: stdout's read end is closed at the first bytes, like `| head -c 1`. */
function timed(args: readonly string[], closeEarly: boolean): Promise<Timed> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [build.bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let bytes = 0;
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => {
    bytes += b.length;
    if (closeEarly) child.stdout.destroy();
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, bytes, ms: performance.now() - t0 });
    });
  });
}

function expectQuietExit(r: Timed): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/EPIPE|internal error/);
  expect(r.bytes).toBeGreaterThan(0);
}

beforeAll(() => {
  build = privateBuild();
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-pipe-'));
  flood = join(dir, 'flood.pcap');
  writeCapture(flood, { format: 'pcap' }, (emit) => dhcpFlood({ clients: 20_000, rate: 200 }, emit));
}, 300_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('stdout closed early', () => {
  it('decode stops reading at EPIPE: exit 0, nothing on stderr, well before a full decode', async () => {
    for (const format of ['text', 'jsonl']) {
      const full = await timed(['decode', '-f', format, flood], false);
      expect(full.code, full.stderr).toBe(0);
      const early = await timed(['decode', '-f', format, flood], true);
      expectQuietExit(early);
      expect(early.stderr).toBe('');
      expect(early.bytes).toBeLessThan(full.bytes / 10);
      expect(early.ms, `${format}: early ${early.ms.toFixed(0)} ms, full ${full.ms.toFixed(0)} ms`).toBeLessThan(full.ms / 2);
    }
  }, 4 * RUN_TIMEOUT_MS);

  it('analyze of several captures starts no further input after EPIPE: exit 0 (not the findings\' 1), quiet, well before the whole run', async () => {
    // The same capture under three names, one after the other (--jobs 1): the first report meets the closed pipe.
    const files = ['a', 'b', 'c'].map((n) => join(dir, `${n}.pcap`));
    for (const f of files) linkSync(flood, f);
    const args = ['analyze', '--jobs', '1', ...files];
    const full = await timed(args, false);
    expect(full.code, full.stderr).toBe(1); // every flood client lacks a boot file: error findings
    const early = await timed(args, true);
    expectQuietExit(early);
    expect(early.ms, `early ${early.ms.toFixed(0)} ms, full ${full.ms.toFixed(0)} ms`).toBeLessThan(full.ms * 0.75);
  }, 3 * RUN_TIMEOUT_MS);
});
