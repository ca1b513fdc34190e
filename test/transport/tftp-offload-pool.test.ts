// The TFTP worker pool's life cycle (offload/tftp-offload.ts) with stand-in workers: one that dies
// at start (a prewarmed worker that fails) and one that never answers. What a step sees must always
// settle: an Error, or null (unfinished) when the transport closes; never a promise that hangs.
import { afterEach, describe, expect, it } from 'vitest';
import type { TftpClientConfig } from '../../src/scenario/clients/tftp.js';
import { dropEarlyTftpWorker, NOT_RUN, startTftpWorkerEarly, TftpOffload } from '../../src/scenario/transport/offload/tftp-offload.js';

const DIES = new URL('data:text/javascript,process.exit(1)');
const SILENT = new URL(`data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.on('message', () => {});")}`);
const ANSWERS = new URL(`data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.on('message', (j) => parentPort.postMessage({ id: j.id, result: null, sendErrors: 0, sendError: '' }));")}`);
/** Answers a job with whether a ping (a negative id) came first; answers a ping as the real worker does. */
const PINGED = new URL(`data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; let pinged = false; parentPort.on('message', (j) => { if (j.id < 0) pinged = true; parentPort.postMessage({ id: j.id, result: j.id < 0 ? null : { pinged }, sendErrors: 0, sendError: '' }); });")}`);
const CFG: TftpClientConfig = { server: '127.0.0.1', clientAddr: '127.0.0.1', clientPort: 40000, file: 'x', tsizeProbe: false, keepData: false, options: {} };

let pool: TftpOffload | undefined;
afterEach(async () => { await pool?.close(); pool = undefined; });

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(cond()).toBe(true);
}

describe('TFTP worker pool', () => {
  // First: once a pool has prewarmed, a worker started early would be one too many and is not started.
  it('adopts the worker `pxecheck run` started before the transport existed, not one it dropped', async () => {
    // main.ts starts one for any `run --relay-from`; run.ts drops it when no step fetches over TFTP.
    startTftpWorkerEarly(SILENT);
    dropEarlyTftpWorker();
    startTftpWorkerEarly(ANSWERS);
    // Its own script dies at once: an answer can only come from the adopted worker.
    pool = new TftpOffload({ size: 1, rcvbuf: 0, script: DIES });
    pool.prewarm();
    // A short deadline: an adopted SILENT worker would fail this within seconds (the hang guard).
    const run = pool.tryRun(CFG, '127.0.0.1', 0, 1, undefined);
    expect(await run).toBeNull();
    expect(pool.workers).toBe(1);
  }, 30_000);

  it('does not hand a transfer to a worker that died while idle', async () => {
    pool = new TftpOffload({ size: 1, rcvbuf: 0, script: DIES });
    pool.prewarm();
    await until(() => pool!.workers === 0);
    const run = pool.tryRun(CFG, '127.0.0.1', 0, 1, undefined);
    expect(run).not.toBeNull();
    // A fresh worker, which dies too: the step gets an Error instead of waiting forever.
    expect(await run).toBeInstanceOf(Error);
  }, 30_000);

  it('resolves a transfer still running with null (unfinished) when closed, as the event-loop path does', async () => {
    pool = new TftpOffload({ size: 1, rcvbuf: 0, script: SILENT });
    const run = pool.tryRun(CFG, '127.0.0.1', 0, 60, undefined);
    await pool.close();
    expect(await run).toBeNull();
  }, 30_000);

  it('keeps the worker of a transfer whose deadline is past what setTimeout can hold', async () => {
    pool = new TftpOffload({ size: 1, rcvbuf: 0, script: SILENT });
    // 30 days: an uncapped guard timer would overflow, fire at once and kill the worker.
    const run = pool.tryRun(CFG, '127.0.0.1', 0, 30 * 86_400, undefined);
    await new Promise((r) => setTimeout(r, 200));
    expect(pool.workers).toBe(1);
    await pool.close();
    expect(await run).toBeNull();
  }, 30_000);

  it('pings a prewarmed worker before its first job (the reply to the ping settles nothing), not one spawned for a job', async () => {
    pool = new TftpOffload({ size: 2, rcvbuf: 0, script: PINGED });
    pool.prewarm();
    const first = await pool.tryRun(CFG, '127.0.0.1', 0, 60, undefined);
    expect(first).toEqual({ pinged: true });
    // The prewarmed worker is busy with nothing now; hold it so the next job spawns the second.
    const held = pool.tryRun(CFG, '127.0.0.1', 0, 60, undefined);
    const second = await pool.tryRun(CFG, '127.0.0.1', 0, 60, undefined);
    expect(second).toEqual({ pinged: false });
    await held;
  });
});

// A raw job whose worker cannot open its capture has sent nothing: the step runs on the event loop
// (transfer-step.ts) instead of failing with "TFTP worker: …". Any other worker error still fails it.
describe('TFTP worker pool: a job the worker could not start', () => {
  const replies = (reply: string): URL => new URL(`data:text/javascript,${encodeURIComponent(`import { parentPort } from 'node:worker_threads'; parentPort.on('message', (j) => parentPort.postMessage(j.id < 0 ? { id: j.id, result: null, sendErrors: 0, sendError: '' } : { id: j.id, ${reply} }));`)}`);

  it("settles as NOT_RUN when the worker failed before sending, as an Error otherwise", async () => {
    pool = new TftpOffload({ size: 1, rcvbuf: 0, script: replies("error: 'eth9: No such device exists', unsent: true") });
    expect(await pool.tryRun(CFG, '127.0.0.1', 0, 5, undefined)).toBe(NOT_RUN);
    await pool.close();
    pool = new TftpOffload({ size: 1, rcvbuf: 0, script: replies("error: 'send failed'") });
    const r = await pool.tryRun(CFG, '127.0.0.1', 0, 5, undefined);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toMatch(/TFTP worker: send failed/);
  }, 30_000);
});
