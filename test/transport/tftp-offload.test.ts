// The relay transport's TFTP worker (src/scenario/transport/offload/: blocking sockets on the native
// UDP helper, in a worker thread) against a real tftpd-hpa in a lab: the same bytes and sha256 as
// the file the server serves, at blksizes that fit a frame and that arrive as IP fragments, the
// same results as the event-loop path, a server ERROR, a server that stops mid-transfer (the
// client retransmits a bounded number of times, then the step fails with a timeout), and a send
// this host's firewall refuses (counted; the same timeout).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, run, SERVER_ADDR, startTftpd, type Lab } from '../../src/lab/index.js';
import { ROOT } from '../helpers/fixtures.js';
import { privateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v in.tftpd && command -v nft']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs ip, in.tftpd, nft' : '';
const SCRIPT = join(ROOT, 'test/transport/tftp-offload-client.mjs');
const RELAY_FROM = '203.0.113.1';
let DIST = '';

interface StepOut {
  ok: boolean;
  error: string | null;
  duration: number;
  observed: { complete?: boolean; size?: number; sha256?: string; blksize?: number; tftpError?: number | null } | null;
  retransmits: number | null;
}
interface Out { steps: StepOut[]; wall: number; inWorker: number; sendErrors: number }

function runScenarioIn(ns: string, scenario: string, extra: Record<string, unknown> = {}): Promise<Out> {
  const cfg = { dist: DIST, relayFrom: RELAY_FROM, server: SERVER_ADDR, scenario, ...extra };
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, SCRIPT, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Non-zero: the client did not end by itself after closing the transport (or failed).
      if (code !== 0) { reject(new Error(`tftp-offload-client exited ${code}: ${err.slice(-2000)} ${out.slice(-500)}`)); return; }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Out);
      } catch {
        reject(new Error(`tftp-offload-client exited ${code}: ${err.slice(-2000)} ${out.slice(-500)}`));
      }
    });
  });
}

const scenario = (steps: string[]): string =>
  `name: offload\nbudget: 60s\nclients:\n  - name: pc\n    persona: uefi-x64\n    mac: 02:00:00:7d:00:01\n    steps:\n${steps.map((s) => `      - ${s}\n`).join('')}`;

/** A lab with tftpd-hpa serving `files`, reached from RELAY_FROM on the client side. */
async function tftpLab(name: string, files: Record<string, Buffer>): Promise<Lab> {
  const lab = await createLab({ name });
  lab.addRelaySegment(RELAY_FROM);
  const root = join(lab.workDir, 'tftproot');
  mkdirSync(root, { recursive: true });
  for (const [f, data] of Object.entries(files)) writeFileSync(join(root, f), data);
  await startTftpd(lab, { root });
  return lab;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe.skipIf(skipReason !== '')(`relay TFTP in a worker thread${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(() => {
    DIST = privateBuild().dist;
    if (!existsSync(join(DIST, 'scenario/transport/offload/tftp-worker.js'))) throw new Error('private build of src/ failed');
  }, 300_000);

  it.skipIf(!existsSync(join(ROOT, 'build/Release/udp_sync.node')))('gets the bytes tftpd-hpa serves (blksize 512, 1468, 8192 as IP fragments, tsize probe), as the event-loop path does; a server ERROR is reported', async () => {
    let lab: Lab | undefined;
    try {
      // Not a multiple of any blksize used, so the last block is short; plus an empty file.
      const big = randomBytes(3_000_000 + 123);
      lab = await tftpLab('tofld', { 'big.img': big, 'empty.bin': Buffer.alloc(0) });
      // The SHA-256 is computed when a step checks it (the 1468 step does not: no hash, none reported).
      const sum = `expect: { sha256: "${sha256(big)}" }`;
      const steps = [
        `{ tftp: { file: big.img, server: 198.51.100.1, within: 30s, ${sum} } }`,
        '{ tftp: { file: big.img, server: 198.51.100.1, within: 30s, blksize: 1468 } }',
        `{ tftp: { file: big.img, server: 198.51.100.1, within: 30s, blksize: 8192, windowsize: 4, ${sum} } }`,
        `{ tftp: { file: big.img, server: 198.51.100.1, within: 30s, blksize: 1468, probe: true, ${sum} } }`,
        `{ tftp: { file: empty.bin, server: 198.51.100.1, within: 10s, expect: { sha256: "${sha256(Buffer.alloc(0))}" } } }`,
        '{ tftp: { file: missing.bin, server: 198.51.100.1, within: 10s } }',
      ];
      const worker = await runScenarioIn(lab.ns.cli, scenario(steps));
      const loop = await runScenarioIn(lab.ns.cli, scenario(steps), { tftpWorkers: 0 });
      expect(worker.inWorker).toBe(steps.length);
      expect(loop.inWorker).toBe(0);
      for (const out of [worker, loop]) {
        const [s512, s1468, s8192, probe, empty, missing] = out.steps;
        for (const s of [s512, s8192, probe]) {
          expect(s, JSON.stringify(out)).toMatchObject({ ok: true, observed: { complete: true, size: big.length, sha256: sha256(big) } });
        }
        expect(s1468, JSON.stringify(out)).toMatchObject({ ok: true, observed: { complete: true, size: big.length } });
        expect(s1468!.observed!.sha256).toBeUndefined();
        expect(s8192!.observed!.blksize).toBe(8192);
        expect(empty, JSON.stringify(out)).toMatchObject({ ok: true, observed: { complete: true, size: 0, sha256: sha256(Buffer.alloc(0)) } });
        expect(missing, JSON.stringify(out)).toMatchObject({ ok: false, observed: { complete: false, tftpError: 1 } });
      }
    } finally {
      await lab?.destroy();
    }
  }, 180_000);

  it.skipIf(!existsSync(join(ROOT, 'build/Release/udp_sync.node')))('a server that stops mid-transfer: bounded retransmissions, then the step fails with a timeout', async () => {
    let lab: Lab | undefined;
    try {
      const big = randomBytes(4_000_000);
      lab = await tftpLab('tofls', { 'big.img': big });
      // The server's transfer stops after 1 MB: every later datagram from its transfer port is dropped.
      lab.execOk(lab.ns.srv, 'nft', ['-f', '-'], {
        input: 'table inet tofls {\n chain out {\n  type filter hook output priority 0; policy accept;\n  udp sport != 69 quota over 1 mbytes drop\n }\n}\n',
      });
      // timeout 1s (RFC 2349): the client resends its last ACK after 1 s, 5 times, then gives up.
      const out = await runScenarioIn(lab.ns.cli, scenario(['{ tftp: { file: big.img, server: 198.51.100.1, within: 40s, timeout: 1s, expect: { complete: false } } }']));
      const s = out.steps[0]!;
      expect(out.inWorker).toBe(1);
      expect(s.observed?.complete, JSON.stringify(out)).toBe(false);
      expect(s.observed?.size).toBeGreaterThan(0);
      expect(s.observed?.size).toBeLessThan(big.length);
      expect(s.retransmits).toBe(5);
      // Given up by the client itself (about 6 s), well before the step's 40 s.
      expect(s.duration).toBeLessThan(30);
      // The same without `expect: { complete: false }`: a failed step whose reason names the timeout.
      const failed = await runScenarioIn(lab.ns.cli, scenario(['{ tftp: { file: big.img, server: 198.51.100.1, within: 40s, timeout: 1s } }']));
      expect(failed.steps[0]!.ok).toBe(false);
      expect(JSON.stringify(failed.steps[0])).toMatch(/timeout/);
      // A send the kernel refuses (here EPERM: this host's firewall drops every RRQ) fails the step
      // as on the event loop: counted, retransmitted, then the same timeout; not a thrown sendto.
      lab.execOk(lab.ns.cli, 'nft', ['-f', '-'], {
        input: 'table inet toflc {\n chain out {\n  type filter hook output priority 0; policy accept;\n  udp dport 69 drop\n }\n}\n',
      });
      const refused = await runScenarioIn(lab.ns.cli, scenario(['{ tftp: { file: big.img, server: 198.51.100.1, within: 40s, timeout: 1s } }']));
      expect(refused.inWorker).toBe(1);
      expect(refused.steps[0]!.ok).toBe(false);
      expect(JSON.stringify(refused.steps[0]), JSON.stringify(refused)).toMatch(/timeout: nothing from .* after 5 retransmission/);
      expect(refused.sendErrors).toBeGreaterThan(0);
    } finally {
      await lab?.destroy();
    }
  }, 180_000);
});
