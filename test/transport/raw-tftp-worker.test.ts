// The raw transport's TFTP worker (src/scenario/transport/offload/raw-link.ts: a worker thread on a
// blocking libpcap handle filtered to the flow) against a real tftpd-hpa in a lab: the bytes and
// sha256 the server serves at blksize 512, 8192 (the server's IP fragments reassembled in the
// worker, never seen by the main capture) and with a tsize probe (a second port); a lost DATA block
// is recovered (the file whole, one drop counted); without a worker (tftpWorkers 0, or frames
// recorded as `--pcap` does) the event-loop path still does the same transfers.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, run, SERVER_ADDR, startDnsmasq, startTftpd, type Lab } from '../../src/lab/index.js';
import { ROOT } from '../helpers/fixtures.js';
import { privateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v in.tftpd && command -v dnsmasq && command -v nft']).code === 0;
const built = existsSync(join(ROOT, 'build/Release/pcap_live.node')) && existsSync(join(ROOT, 'build/Release/udp_sync.node'));
const skipReason = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs ip, in.tftpd, dnsmasq, nft' : !built ? 'native bindings not built' : '';
const SCRIPT = join(ROOT, 'test/transport/raw-tftp-worker-client.mjs');
let DIST = '';

interface StepOut {
  ok: boolean;
  error: string | null;
  duration: number;
  observed: { complete?: boolean; size?: number; sha256?: string; blksize?: number } | null;
  retransmits: number | null;
}
interface Out { steps: StepOut[]; counters: Record<string, number>; framesSeen: number }

function runScenarioIn(ns: string, iface: string, scenario: string, extra: Record<string, unknown> = {}): Promise<Out> {
  const cfg = { dist: DIST, iface, server: SERVER_ADDR, scenario, ...extra };
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, SCRIPT, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) { reject(new Error(`raw-tftp-worker-client exited ${code}: ${err.slice(-2000)} ${out.slice(-500)}`)); return; }
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Out);
      } catch {
        reject(new Error(`raw-tftp-worker-client exited ${code}: ${err.slice(-2000)} ${out.slice(-500)}`));
      }
    });
  });
}

const scenario = (steps: string[]): string =>
  `name: raw-worker\nbudget: 60s\nclients:\n  - name: pc\n    persona: uefi-x64\n    mac: 02:00:00:7e:00:01\n    steps:\n      - dhcp: { within: 15s, offer-window: 0s }\n${steps.map((s) => `      - ${s}\n`).join('')}`;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A lab with dnsmasq (DHCP only) and tftpd-hpa serving `files`; the raw client interface's name. */
async function tftpLab(name: string, files: Record<string, Buffer>): Promise<{ lab: Lab; iface: string }> {
  const lab = await createLab({ name });
  const root = join(lab.workDir, 'tftproot');
  mkdirSync(root, { recursive: true });
  for (const [f, data] of Object.entries(files)) writeFileSync(join(root, f), data);
  await startDnsmasq(lab, {});
  await startTftpd(lab, { root });
  return { lab, iface: lab.addClientInterface('raw0') };
}

describe.skipIf(skipReason !== '')(`raw TFTP in a worker thread${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(() => {
    DIST = privateBuild().dist;
    if (!existsSync(join(DIST, 'scenario/transport/offload/raw-link.js'))) throw new Error('private build of src/ failed');
  }, 300_000);

  it('gets the bytes tftpd-hpa serves in the worker (512; 8192 as IP fragments, reassembled there; a tsize probe); without a worker the event loop does the same', async () => {
    let lab: Lab | undefined;
    try {
      const big = randomBytes(2_000_000 + 123);
      const made = await tftpLab('rtwk', { 'big.img': big });
      lab = made.lab;
      const sum = `expect: { sha256: "${sha256(big)}" }`;
      const steps = [
        `{ tftp: { file: big.img, server: ${SERVER_ADDR}, within: 30s, ${sum} } }`,
        `{ tftp: { file: big.img, server: ${SERVER_ADDR}, within: 30s, blksize: 8192, ${sum} } }`,
        `{ tftp: { file: big.img, server: ${SERVER_ADDR}, within: 30s, blksize: 1468, probe: true, ${sum} } }`,
      ];
      const worker = await runScenarioIn(lab.ns.cli, made.iface, scenario(steps));
      const none = await runScenarioIn(lab.ns.cli, made.iface, scenario(steps), { tftpWorkers: 0 });
      const recorded = await runScenarioIn(lab.ns.cli, made.iface, scenario(steps), { recordFrames: true });
      for (const out of [worker, none, recorded]) {
        expect(out.steps[0]!.ok, JSON.stringify(out)).toBe(true); // the DORA
        for (const s of out.steps.slice(1)) {
          expect(s, JSON.stringify(out)).toMatchObject({ ok: true, observed: { complete: true, size: big.length, sha256: sha256(big) } });
        }
        expect(out.steps[2]!.observed!.blksize).toBe(8192);
      }
      expect(worker.counters['tftpInWorker']).toBe(3);
      // 8192-byte blocks arrive in 6 fragments each: put together in the worker, and the main
      // capture (filtered around the worker's flow) never saw one.
      const blocks8192 = Math.floor(big.length / 8192); // the last, short block is one frame
      expect(worker.counters['workerReassembled']).toBeGreaterThanOrEqual(blocks8192);
      expect(worker.counters['workerFragments']).toBeGreaterThanOrEqual(2 * blocks8192);
      expect(worker.counters['fragments']).toBe(0);
      for (const out of [none, recorded]) {
        expect(out.counters['tftpInWorker']).toBe(0);
        expect(out.counters['reassembled']).toBeGreaterThanOrEqual(blocks8192);
      }
      // Recording kept every transfer on the event loop: the frame handler saw at least each DATA
      // block of the 512-byte transfer (the DORA alone is a handful of frames).
      expect(recorded.framesSeen).toBeGreaterThanOrEqual(Math.ceil(big.length / 512));
    } finally {
      await lab?.destroy();
    }
  }, 240_000);

  it('a DATA block the network loses is recovered in the worker: the file is whole', async () => {
    let lab: Lab | undefined;
    try {
      const big = randomBytes(300_000);
      const made = await tftpLab('rtwl', { 'big.img': big });
      lab = made.lab;
      // Whole and one drop counted is the recovery; who retransmitted first (tftpd-hpa's own 1 s timer
      // or the client's 1 s, the least the timeout option allows) is a race on a loaded host.
      // The server's first DATA block 3 (opcode 3, block 3 at the start of the UDP payload) is lost
      // on the switch (the lab's bridge: dropped where the server sends it, tftpd-hpa would get
      // EPERM and stop); its client port goes into a set then, and the retransmission passes.
      lab.execOk(lab.ns.cli, 'nft', ['-f', '-'], {
        input: 'table bridge rtwl {\n set seen { type inet_service; flags dynamic; }\n chain pass {\n  type filter hook forward priority 0; policy accept;\n'
          + '  udp sport != 69 @th,64,32 0x00030003 udp dport @seen counter accept\n  udp sport != 69 @th,64,32 0x00030003 add @seen { udp dport } counter drop\n }\n}\n',
      });
      const out = await runScenarioIn(lab.ns.cli, made.iface, scenario([
        `{ tftp: { file: big.img, server: ${SERVER_ADDR}, within: 30s, timeout: 1s, expect: { sha256: "${sha256(big)}" } } }`,
      ]));
      const rules = lab.execOk(lab.ns.cli, 'nft', ['list', 'table', 'bridge', 'rtwl']).stdout;
      expect(rules).toMatch(/counter packets 1 bytes \d+ drop/); // one DATA was lost
      expect(out.steps[1], JSON.stringify(out)).toMatchObject({ ok: true, observed: { complete: true, size: big.length, sha256: sha256(big) } });
      expect(out.counters['tftpInWorker']).toBe(1);
    } finally {
      await lab?.destroy();
    }
  }, 180_000);
});
