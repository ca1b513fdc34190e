// Relay mode closes each TFTP transfer's socket when the transfer ends: one client runs 12 tftp
// steps (half with the UEFI tsize probe, a second port each) through the scenario runner over the
// relay transport against a real tftpd-hpa on a loopback address of its own (root: port 69), and
// once the run is over, the transport still open, the process holds no more sockets than with it
// freshly open.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, tftpdArgs } from '../../src/lab/index.js';
import { SystemClock } from '../../src/scenario/clock.js';
import { runScenario } from '../../src/scenario/driver.js';
import { parseScenario } from '../../src/scenario/load.js';
import { createRelayTransport } from '../../src/scenario/transport/relay.js';
import { openSockets } from '../../src/scenario/transport/sockets.test-kit.js';

const isRoot = process.getuid?.() === 0;
const hasTftpd = run('sh', ['-c', 'command -v in.tftpd && command -v ss']).code === 0;
const skipReason = !isRoot ? 'needs root (tftpd-hpa on port 69)' : !hasTftpd ? 'needs in.tftpd and ss' : '';

/** A loopback address of this run's own (all of 127/8 is on lo), from the pid: parallel runs do not share one. */
const ADDR = `127.${100 + (process.pid >> 15)}.${(process.pid >> 7) & 255}.${1 + (process.pid & 127)}`;
const TRANSFERS = 12;

async function waitUntil(pred: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe.skipIf(skipReason !== '')(`relay mode: TFTP transfer sockets${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let root = '';
  let tftpd: ChildProcess | undefined;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'pxecheck-m-tftp-'));
    chmodSync(root, 0o755);
    writeFileSync(join(root, 'f.bin'), new Uint8Array(3000).fill(7)); // 6 blocks of 512
    tftpd = spawn('in.tftpd', tftpdArgs({ root, address: ADDR }), { stdio: 'ignore' });
    const listening = (): boolean => run('ss', ['-H', '-l', '-n', '-u', 'src', `${ADDR}:69`]).stdout.trim() !== '';
    await waitUntil(listening, 5_000);
    if (!listening()) throw new Error(`in.tftpd is not listening on ${ADDR}:69 after 5 s`);
  }, 10_000);
  afterAll(() => {
    tftpd?.kill('SIGTERM');
    rmSync(root, { recursive: true, force: true });
  });

  it(`${TRANSFERS} transfers of one client: every one completes, and no socket of theirs is left open`, async () => {
    const steps = Array.from({ length: TRANSFERS }, (_, i) => `      - tftp: { file: f.bin, server: ${ADDR}, within: 10s, probe: ${i % 2 === 0}, expect: { size: 3000 } }`);
    const scenario = parseScenario(['name: sockets', 'budget: 60s', 'clients:', '  - name: pc', '    persona: uefi-x64',
      '    mac: "02:00:00:4d:00:01"', '    steps:', ...steps, ''].join('\n'), 'sockets.yaml');
    const transport = await createRelayTransport({ relayFrom: ADDR, relayPort: 0, server: ADDR });
    try {
      const open = openSockets();
      const r = await runScenario(scenario, { transport, clock: new SystemClock(), target: { server: ADDR } });
      const results = r.clients[0]!.steps;
      expect(results.map((s) => s.error ?? 'ok')).toEqual(Array(TRANSFERS).fill('ok'));
      await waitUntil(() => openSockets() <= open, 2_000);
      // Each transfer held one socket (two with the probe) until the client went away.
      expect(openSockets()).toBeLessThanOrEqual(open);
    } finally {
      await transport.close();
    }
  }, 90_000);
});
