// The raw transport narrows its main capture while a TFTP worker owns a flow (setFilter, two swaps
// per transfer). Other clients' frames must not be lost by a swap: libpcap's pcap_setfilter attached
// a reject-all program and drained the socket first, losing what arrived meanwhile, uncounted.
// Steady broadcast on a veth in a namespace of the test's own, a swap every 2 ms: every frame sent is
// received or counted by the kernel as dropped. And a worker's blocking capture (its own ring) holds
// a burst that arrives while the worker is descheduled.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';
import { privateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const built = existsSync(join(ROOT, 'build/Release/pcap_live.node'));
const skipReason = !isRoot ? 'needs root (network namespaces)' : !built ? 'native binding not built' : '';
const SCRIPT = join(ROOT, 'test/capture/filter-swap-client.mjs');
const NS = `pxfsw${process.pid % 100000}`;
let DIST = '';

const ip = (...args: string[]): void => {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
};

function inNs(args: string[]): ReturnType<typeof spawn> {
  return spawn('ip', ['netns', 'exec', NS, process.execPath, SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Lines a child prints, one promise per wanted line; rejects when it exits first or after timeoutMs. */
function lineOf(child: ReturnType<typeof spawn>, match: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${match}: ${err.slice(-1000)}`)), timeoutMs);
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n').find((l) => match.test(l));
      if (line !== undefined) { clearTimeout(timer); resolve(line); }
    });
    child.on('close', (code) => { clearTimeout(timer); reject(new Error(`exited ${code} before ${match}: ${err.slice(-1000)}`)); });
  });
}

describe.skipIf(skipReason !== '')(`main capture filter swaps${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(() => { DIST = privateBuild().dist; }, 300_000);

  beforeAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    ip('netns', 'add', NS);
    ip('-n', NS, 'link', 'add', 'fswa', 'type', 'veth', 'peer', 'name', 'fswb');
    ip('-n', NS, 'link', 'set', 'fswa', 'up');
    ip('-n', NS, 'link', 'set', 'fswb', 'up');
  });
  afterAll(() => { spawnSync('ip', ['netns', 'del', NS]); });

  it('lose no frame of other traffic: received + kernel drops = sent, swap every 2 ms', async () => {
    const count = 40_000;
    const recv = inNs(['recv', JSON.stringify({ dist: DIST, iface: 'fswa', swapMs: 2 })]);
    try {
      await lineOf(recv, /^ready$/, 30_000);
      // 10k frames/s for ~4 s: ~2,000 swaps while frames arrive.
      const send = inNs(['send', JSON.stringify({ dist: DIST, iface: 'fswb', count, usPerFrame: 100 })]);
      const sent = JSON.parse(await lineOf(send, /^\{/, 60_000)) as { sent: number };
      expect(sent.sent).toBe(count);
      const done = lineOf(recv, /^\{/, 30_000);
      recv.stdin!.write(`${sent.sent}\n`);
      const r = JSON.parse(await done) as { got: number; swaps: number; kernelDropped: number | null };
      expect(r.swaps, JSON.stringify(r)).toBeGreaterThan(100);
      // Each frame is received once, or the kernel says it dropped it (ring full on a loaded host).
      expect(r.got + (r.kernelDropped ?? 0), JSON.stringify(r)).toBeGreaterThanOrEqual(count);
      expect(r.got, JSON.stringify(r)).toBeLessThanOrEqual(count);
    } finally {
      recv.kill('SIGKILL');
    }
  }, 180_000);

  // The raw TFTP worker's capture asked for 16 MiB: one 64 KiB slot per frame on veth, 256 frames,
  // fewer than a descheduled worker may be sent at blksize 8192 × windowsize. It gets the live
  // capture's 32 MiB at least (512 slots).
  it("a worker's blocking capture holds 400 frames that arrive before it reads", async () => {
    const burst = inNs(['burst', JSON.stringify({ dist: DIST, iface: 'fswa', peer: 'fswb', count: 400, bufferSize: 16 << 20 })]);
    const r = JSON.parse(await lineOf(burst, /^\{/, 60_000)) as { got: number };
    expect(r.got).toBe(400);
  }, 120_000);
});
