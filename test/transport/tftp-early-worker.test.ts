// The TFTP worker `run --relay-from` starts early (offload/early-worker.ts): a drop must win over a
// start still loading, and no way out of main or runRun may leave an unadopted worker warming.
// In memory, with stand-in workers: a pool whose own script dies at once answers a transfer with
// null only through an adopted early worker (ANSWERS), and with an Error when there is none.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { TftpClientConfig } from '../../src/scenario/clients/tftp.js';
import type { TftpOffload } from '../../src/scenario/transport/offload/tftp-offload.js';

const DIES = new URL('data:text/javascript,process.exit(1)');
const ANSWERS = new URL(`data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.on('message', (j) => parentPort.postMessage({ id: j.id, result: null, sendErrors: 0, sendError: '' }));")}`);
const CFG: TftpClientConfig = { server: '127.0.0.1', clientAddr: '127.0.0.1', clientPort: 40000, file: 'x', tsizeProbe: false, keepData: false, options: {} };
const dir = mkdtempSync(join(tmpdir(), 'pxecheck-early-tftp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let pool: TftpOffload | undefined;
afterEach(async () => { await pool?.close(); pool = undefined; });

/** The modules afresh: a pool that prewarmed in an earlier test would make every early start a no-op. */
async function fresh() {
  vi.resetModules();
  return {
    early: await import('../../src/scenario/transport/offload/early-worker.js'),
    offload: await import('../../src/scenario/transport/offload/tftp-offload.js'),
    run: await import('../../src/cli/run.js'),
    main: await import('../../src/cli/main.js'),
  };
}

/** What a first transfer gets from a new pool: null from an adopted early worker, an Error from its own dying one. */
async function firstTransfer(offload: typeof import('../../src/scenario/transport/offload/tftp-offload.js')): Promise<unknown> {
  // Every callback chained on the early worker's promise has run.
  await new Promise((r) => setTimeout(r, 0));
  pool = new offload.TftpOffload({ size: 1, rcvbuf: 0, script: DIES });
  pool.prewarm();
  return pool.tryRun(CFG, '127.0.0.1', 0, 1, undefined);
}

const quiet = { stdout: () => undefined, stderr: () => undefined, stdoutIsTTY: false, stderrIsTTY: false, env: {} };

describe('the early TFTP worker of run --relay-from', () => {
  it('is adopted by the first pool when kept (the check below can tell)', async () => {
    const m = await fresh();
    await m.early.startEarlyTftpWorker(ANSWERS);
    expect(await firstTransfer(m.offload)).toBeNull();
  }, 30_000);

  it('is not left running when the drop is asked before the start has loaded', async () => {
    const m = await fresh();
    // As main.ts then run.ts (no TFTP step) do: neither awaited, the drop issued at once.
    const started = m.early.startEarlyTftpWorker(ANSWERS);
    const dropped = m.early.dropEarlyTftpWorker();
    await Promise.all([started, dropped]);
    expect(await firstTransfer(m.offload)).toBeInstanceOf(Error);
  }, 30_000);

  it('is dropped when runRun returns on a scenario error, before the transport', async () => {
    const m = await fresh();
    await m.early.startEarlyTftpWorker(ANSWERS);
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nclients: 7\n');
    const args = { scenarios: [file], transport: { kind: 'relay' as const, relayFrom: '198.18.0.1' }, server: '198.51.100.1', format: 'text' as const, output: undefined, pcap: undefined, rate: undefined };
    expect(await m.run.runRun(args, quiet)).toBe(2);
    expect(await firstTransfer(m.offload)).toBeInstanceOf(Error);
  }, 30_000);

  it('is dropped when main returns on a usage error, before runRun', async () => {
    const m = await fresh();
    await m.early.startEarlyTftpWorker(ANSWERS);
    // No scenario and no --server: the command's check refuses it (exit 2); run.ts never runs.
    expect(await m.main.main(['run', '--relay-from', '198.18.0.1'], { stderr: () => undefined })).toBe(2);
    expect(await firstTransfer(m.offload)).toBeInstanceOf(Error);
  }, 30_000);
});
