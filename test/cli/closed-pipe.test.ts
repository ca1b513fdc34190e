/**
 * `pxecheck decode BIG | head` and `pxecheck analyze A B C | head`: once the reader of stdout has
 * gone (EPIPE), the CLI stops reading and exits 0 without a word on stderr, as tshark and tcpdump do.
 * The bin of a private build runs on a generated capture of 20,000 DHCP clients; each command runs
 * once to the end (stdout drained) and once with stdout closed at its first bytes, in this test. decode
 * reads the capture from stdin, so what it stops reading is counted in bytes (the early run takes a
 * small part of the file, the full run all of it); analyze of three files must take well under the
 * whole run (a ratio with a wide margin, not a time).
 */
import { spawn } from 'node:child_process';
import { linkSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dhcpFlood, writeCapture } from '../../src/gen/index.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const RUN_TIMEOUT_MS = 120_000;

interface Timed { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stderr: string; readonly bytes: number; readonly ms: number }
interface Fed extends Timed { /** Bytes of the capture the CLI took from its stdin before it exited. */ readonly fed: number }

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

/**
 * The CLI with `args` reading the capture `file` from stdin, written in 64 KiB pieces as fast as it
 * takes them; `closeEarly` as in timed(). Counts how much of the file it took before it exited.
 */
function fedFromStdin(args: readonly string[], file: string, closeEarly: boolean): Promise<Fed> {
  const data = readFileSync(file);
  const t0 = performance.now();
  const child = spawn(process.execPath, [build.bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let bytes = 0;
  let fed = 0;
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (b: Buffer) => {
    bytes += b.length;
    if (closeEarly) child.stdout.destroy();
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdin.on('error', () => undefined); // EPIPE once the CLI has gone: expected when it stops early
  const feed = (): void => {
    while (!exited && fed < data.length) {
      const piece = data.subarray(fed, Math.min(fed + 65_536, data.length));
      fed += piece.length;
      if (!child.stdin.write(piece)) return void child.stdin.once('drain', feed);
    }
    if (fed >= data.length) child.stdin.end();
  };
  feed();
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      resolve({ code, signal, stderr, bytes, ms: performance.now() - t0, fed: fed - child.stdin.writableLength });
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
  it('decode stops reading at EPIPE: exit 0, nothing on stderr, most of its input left unread', async () => {
    const size = statSync(flood).size;
    for (const format of ['text', 'jsonl']) {
      const full = await fedFromStdin(['decode', '-f', format, '-'], flood, false);
      expect(full.code, full.stderr).toBe(0);
      expect(full.fed).toBe(size);
      const early = await fedFromStdin(['decode', '-f', format, '-'], flood, true);
      expectQuietExit(early);
      expect(early.stderr).toBe('');
      expect(early.bytes).toBeLessThan(full.bytes / 10);
      // Bytes, not time: what sat in the pipe and the reader's buffers when it stopped, not the whole capture.
      expect(early.fed, `${format}: took ${early.fed} of ${size} bytes`).toBeLessThan(size / 4);
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
