// The libpcap binding (native/pcap_live.c through src/capture/live.ts) on a real veth pair made by
// this test in the root namespace (no addresses, IPv6 off): frames injected on one end arrive on
// the other, nothing is printed, drops come from pcap_stats, and deleting the interface under a
// running `pxecheck capture` ends it by itself with a message (exit 2), not an abort.
// Source rule: only src/capture/live.ts loads the binding (and only offload/udp-sync.ts the UDP helper).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { openBlockingCapture, openLiveInterface, PCAP_ABI } from '../../src/capture/live.js';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

describe('the native binding is loaded in one place', () => {
  it('no source file but src/capture/live.ts names pcap_live.node or requires a native addon (the blocking UDP helper: only its loader)', () => {
    // native/udp_sync.c, loaded by the one module the TFTP worker uses.
    const allowed = new Set(['src/capture/live.ts', 'src/scenario/transport/offload/udp-sync.ts']);
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name)) {
          const text = readFileSync(p, 'utf8');
          if (/pcap_live\.node|\.node['"]|require\(['"]cap['"]\)/.test(text) && !allowed.has(relative(ROOT, p))) offenders.push(relative(ROOT, p));
          if (/pcap_live\.node/.test(text) && relative(ROOT, p) !== 'src/capture/live.ts') offenders.push(`${relative(ROOT, p)} (pcap_live)`);
        }
      }
    };
    walk(join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });
});

const isRoot = process.getuid?.() === 0;
const built = existsSync(join(ROOT, 'build/Release/pcap_live.node'));

describe.skipIf(!built)('the binding and the JavaScript speak one interface', () => {
  const binding = createRequire(import.meta.url)(join(ROOT, 'build/Release/pcap_live.node')) as Record<string, unknown>;

  it('the binding built here has the number src/capture/live.ts expects', () => {
    expect(binding.abi).toBe(PCAP_ABI);
  });

  it('JavaScript built before the batches (it calls `open`, one callback per frame) gets one line saying rebuild, nothing opened', () => {
    const open = binding.open as (...args: unknown[]) => unknown;
    let frames = 0;
    // The old call: lo needs no root to be refused, and a handler that counts what it is handed.
    expect(() => open('lo', '', 65535, 32 << 20, true, () => frames++, () => {})).toThrow(/^[^\n]*out of date[^\n]*rebuild[^\n]*$/);
    expect(frames).toBe(0);
  });
});
const skipReason = !isRoot ? 'needs root (veth, raw capture)' : !built ? 'binding not built (npm ci)' : '';
/** Interface names unique per test process (≤ 15 characters). */
const A = `pxlbA${process.pid % 100000}`;
const B = `pxlbB${process.pid % 100000}`;

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

function makePair(): void {
  if (existsSync(`/sys/class/net/${A}`)) spawnSync('ip', ['link', 'delete', A]);
  ip('link', 'add', A, 'type', 'veth', 'peer', 'name', B);
  for (const n of [A, B]) {
    spawnSync('sysctl', ['-qw', `net.ipv6.conf.${n}.disable_ipv6=1`]);
    ip('link', 'set', n, 'up');
  }
}

/** An Ethernet frame with EtherType 0x88b5 (IEEE local experimental) and a sequence number. */
function frame(seq: number): Uint8Array {
  const f = new Uint8Array(64);
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5], 0);
  new DataView(f.buffer).setUint32(14, seq);
  return f;
}

const waitFor = async (cond: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describe.skipIf(skipReason !== '')(`libpcap binding on a veth pair${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let build: PrivateBuild | undefined;
  let tmp = '';
  beforeAll(() => {
    makePair();
    tmp = mkdtempSync(join(tmpdir(), 'pxlb-'));
    build = privateBuild();
  }, 300_000);
  afterAll(() => {
    if (existsSync(`/sys/class/net/${A}`)) spawnSync('ip', ['link', 'delete', A]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('frames injected on one end arrive on the other, in order, with pcap_stats counters', async () => {
    const rx = openLiveInterface(B, { filter: 'ether proto 0x88b5' });
    const tx = openLiveInterface(A, { filter: 'ether proto 0x88b5' });
    const got: number[] = [];
    rx.onPacket((f) => got.push(new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(14)));
    try {
      expect(rx.linkType).toBe(1);
      for (let i = 0; i < 200; i++) tx.send(frame(i));
      await waitFor(() => got.length >= 200, 10_000);
      expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
      const st = rx.stats();
      expect(st.received).toBe(200);
      expect(st.dropped).toBe(0);
      expect(tx.stats().sent).toBe(200);
    } finally {
      rx.close();
      tx.close();
    }
    expect(() => tx.send(frame(0))).toThrow(/closed/);
  });

  it('a frame longer than the snap length arrives cut, with its length on the wire', async () => {
    const rx = openLiveInterface(B, { filter: 'ether proto 0x88b5', snapLength: 40 });
    const tx = openLiveInterface(A, { filter: 'ether proto 0x88b5' });
    const got: [number, number][] = [];
    rx.onPacket((f, _t, wireLength) => got.push([f.length, wireLength]));
    try {
      tx.send(frame(1));
      await waitFor(() => got.length >= 1, 10_000);
      expect(got).toEqual([[40, 64]]);
      expect(rx.stats().truncated).toBe(1);
    } finally {
      rx.close();
      tx.close();
    }
  });

  it('batches: views into one reused buffer (intact during the call), copies for onPacket that survive later batches, and more than the buffer holds in one wake-up', async () => {
    // Jumbo frames: 96 of 60000 bytes (5.8 MB) overflow the binding's 4 MiB batch buffer, so a
    // wake-up's batch is handed over in several calls, each overwriting the last one's frames.
    ip('link', 'set', A, 'mtu', '65000');
    ip('link', 'set', B, 'mtu', '65000');
    const rx = openLiveInterface(B, { filter: 'ether proto 0x88b5' });
    const tx = openLiveInterface(A, { filter: 'ether proto 0x88b5' });
    const size = (i: number): number => (i % 5 === 4 ? 64 + i : 60_000);
    const big = (i: number): Uint8Array => {
      const f = new Uint8Array(size(i)).fill(i & 0xff, 14);
      f.set(frame(i).subarray(0, 18));
      return f;
    };
    const intact = (f: Uint8Array, i: number): boolean => f.length === size(i) && f[f.length - 1] === (i & 0xff) && f[18] === (i & 0xff);
    const seqOf = (f: Uint8Array): number => new DataView(f.buffer, f.byteOffset, f.byteLength).getUint32(14);
    const kept: Uint8Array[] = [];
    const viewSeqs: number[] = [];
    const bad: number[] = [];
    const buffers = new Set<ArrayBufferLike>();
    rx.onPacket((f) => kept.push(f));
    rx.onPacketView!((f) => {
      const i = seqOf(f);
      viewSeqs.push(i);
      buffers.add(f.buffer);
      if (!intact(f, i)) bad.push(i);
    });
    try {
      const n = 120;
      tx.sendBatch!(Array.from({ length: n }, (_, i) => big(i)));
      await waitFor(() => kept.length >= n, 10_000);
      expect(viewSeqs).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(bad).toEqual([]);
      // Every view is into the one buffer (no copy per frame) ...
      expect(buffers.size).toBe(1);
      // ... and the frames onPacket kept are copies, whole after all the batches that followed.
      expect(kept.map(seqOf)).toEqual(viewSeqs);
      expect(kept.filter((f, i) => !intact(f, i))).toEqual([]);
      expect(rx.stats().received).toBe(n);
    } finally {
      rx.close();
      tx.close();
      ip('link', 'set', A, 'mtu', '1500');
      ip('link', 'set', B, 'mtu', '1500');
    }
  });

  it('a handler that throws costs no frame: the batch is finished, then the first error is thrown', async () => {
    if (!build) throw new Error('private build missing');
    // In a child: the error goes on to process 'uncaughtException', which vitest would report.
    const script = `
      const [live, rxName, txName, n] = process.argv.slice(1);
      const { openLiveInterface } = await import(live);
      const errors = [];
      process.on('uncaughtException', (e) => errors.push(e.message));
      const rx = openLiveInterface(rxName, { filter: 'ether proto 0x88b5' });
      const tx = openLiveInterface(txName, { filter: 'ether proto 0x88b5' });
      const seen = [];
      const kept = [];
      rx.onPacketView((f) => { if (f[17] % 4 === 1) throw new Error('handler failed at ' + f[17]); });
      rx.onPacketView((f) => seen.push(f[17]));
      rx.onPacket((f) => kept.push(f[17]));
      const frames = [];
      for (let i = 0; i < Number(n); i++) {
        const f = new Uint8Array(64);
        f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5, 0, 0, 0, i]);
        frames.push(f);
      }
      tx.sendBatch(frames);
      const end = Date.now() + 10000;
      while (kept.length < Number(n) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      rx.close();
      tx.close();
      console.log(JSON.stringify({ seen, kept, errors }));
    `;
    const n = 40;
    const live = pathToFileURL(join(build.dist, 'capture/live.js')).href;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, live, B, A, String(n)], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { seen: number[]; kept: number[]; errors: string[] };
    const all = Array.from({ length: n }, (_, i) => i);
    expect(got.seen).toEqual(all);
    expect(got.kept).toEqual(all);
    // One error per batch (however the kernel split the frames), the first one's first.
    expect(got.errors.length).toBeGreaterThanOrEqual(1);
    expect(got.errors[0]).toBe('handler failed at 1');
  }, 60_000);

  it('a blocking read that spins takes a frame sent during its spin without sleeping in poll; one that finds nothing returns -1 at its timeout, having spun only its bound', async () => {
    const rx = openBlockingCapture(B, 'ether proto 0x88b5', 32 << 20);
    // The sender: a thread of its own (the read blocks this one), on its own handle of A, sending
    // one frame each time the flag is raised, a little after (the reader is spinning by then).
    const flag = new Int32Array(new SharedArrayBuffer(8));
    const sender = new Worker(`
      const { workerData: w } = require('node:worker_threads');
      const b = require(w.binding);
      const h = b.openBlocking(w.iface, 'ether proto 0x88b5', 65535, 1 << 20);
      const f = new Uint8Array(w.frame);
      for (let i = 0; i < 10; i++) {
        if (Atomics.wait(w.flag, 0, 0, 30000) === 'timed-out' || w.flag[1] === 1) break;
        Atomics.store(w.flag, 0, 0);
        Atomics.wait(w.flag, 1, 0, 2); // ~2 ms: the reader has started spinning
        new DataView(f.buffer).setUint32(14, i);
        b.inject(h, f, f.length);
      }
      b.closeBlocking(h);`, { eval: true, workerData: { binding: join(ROOT, 'build/Release/pcap_live.node'), iface: A, frame: frame(0), flag } });
    const buf = new Uint8Array(2048);
    try {
      await new Promise((r) => setTimeout(r, 200)); // the sender's handle is open
      // A descheduled sender can miss a spin on a loaded machine: a few tries, one must be caught spinning.
      let caught = false;
      for (let attempt = 0; attempt < 5 && !caught; attempt++) {
        while (rx.next(buf, 0) >= 0) { /* drained: what comes next is sent during the read */ }
        const before = rx.waits();
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
        const n = rx.next(buf, 5000, 300_000);
        expect(n).toBe(64);
        expect(new DataView(buf.buffer).getUint32(14)).toBe(attempt);
        const after = rx.waits();
        caught = after.spun === before.spun + 1 && after.slept === before.slept;
      }
      expect(caught).toBe(true);
      // Nothing comes: -1 once the timeout passed; the spin (2 ms) is a sliver of it, the rest asleep.
      while (rx.next(buf, 0) >= 0) { /* drained */ }
      const slept = rx.waits().slept;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      expect(rx.next(buf, 400, 2000)).toBe(-1);
      const cpu = process.cpuUsage(cpu0);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(395);
      expect((cpu.user + cpu.system) / 1000).toBeLessThan(200); // spinning the whole 400 ms would cost ~400
      expect(rx.waits().slept).toBeGreaterThan(slept);
      // A spin longer than the timeout ends with it.
      const t1 = performance.now();
      expect(rx.next(buf, 30, 60_000_000)).toBe(-1);
      expect(performance.now() - t1).toBeLessThan(5000);
    } finally {
      flag[1] = 1;
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await sender.terminate();
      rx.close();
    }
  });

  it('a bad filter is a clear error, not a crash', () => {
    expect(() => openLiveInterface(A, { filter: 'udp port banana' })).toThrow(/bad filter/);
  });

  it('capture: deleting the interface ends the process by itself, with a message and exit 2, no warning', async () => {
    if (!build) throw new Error('private build missing');
    makePair();
    const file = join(tmp, 'gone.pcapng');
    const child = spawn(process.execPath, build.cliArgs(['capture', '-i', A, '-w', file, '--duration', '60']), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
    await waitFor(() => /listening on/.test(err), 30_000);
    const tx = openLiveInterface(B);
    for (let i = 0; i < 5; i++) tx.send(frame(i));
    tx.close();
    ip('link', 'delete', B); // deletes both ends
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const { code, signal } = await exited;
    clearTimeout(timer);
    expect(signal, err).toBeNull();
    expect(code, err).toBe(2);
    expect(err).toMatch(new RegExp(`stopped: ${A}: .*disappeared`));
    expect(err + out).not.toMatch(/Warning:|This may not actually work|Aborted|Assertion/);
    expect(out).toMatch(/Capture ended \(an interface went away\)/);
    expect(out).toMatch(new RegExp(`${A}: \\d+ received, dropped: \\d+ by the kernel`));
    expect(statSync(file).size).toBeGreaterThan(0);
  }, 90_000);
});
