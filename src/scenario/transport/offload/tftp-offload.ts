/**
 * TFTP transfers off the event loop: a small pool of worker threads (tftp-worker.ts), each running
 * one transfer at a time on the blocking UDP helper (udp-sync.ts). A lock-step block then costs
 * what it costs curl (sendto, poll, recvfrom) instead of an event-loop wake-up per datagram.
 * Bounded: at most `size` workers; a transfer that finds none free (or no helper) gets null and
 * runs on the event loop as before, so a storm of TFTP clients never waits for a worker.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TftpClientConfig, TftpResult } from '../../clients/tftp.js';
import type { TftpJob, TftpJobReply, TftpWorkerData } from './tftp-worker.js';
import { loadUdpSync } from './udp-sync.js';

/** Beside this module in dist/ (tsc), or in dist/bundle/ (scripts/bundle.mjs's entry of that name). */
const WORKER = new URL('./tftp-worker.js', import.meta.url);
/** How long past its deadline a worker may take to answer before it is terminated. */
const GRACE_MS = 5000;

interface Slot {
  worker: Worker;
  /** Set to 1 when a job is posted: a warming worker stops warming (see warm-up.ts). */
  warmUntil: Int32Array | null;
  job: { id: number; abort: Int32Array; done: (r: TftpResult | null | Error) => void } | null;
}

export interface TftpOffloadOptions {
  /** Workers at most (default: the cores, 1–4). */
  size?: number;
  /** Kernel receive buffer of each transfer socket (bytes). */
  rcvbuf: number;
}

export class TftpOffload {
  private readonly idle: Slot[] = [];
  private readonly slots = new Set<Slot>();
  private readonly size: number;
  private nextId = 0;
  private closed = false;

  constructor(private readonly opts: TftpOffloadOptions) {
    this.size = opts.size ?? Math.max(1, Math.min(4, availableParallelism()));
  }

  /** The helper is built and the worker script is there (not when running from src/ under a test runner). */
  static available(): boolean {
    return existsSync(WORKER) && loadUdpSync() !== null;
  }

  /**
   * Runs the transfer in a free worker: its result (null: unfinished by `deadline`), or an Error
   * when the worker failed. null instead of a promise: no worker free, run it on the event loop.
   * `now` and `deadline` are seconds on the caller's clock.
   */
  tryRun(cfg: TftpClientConfig, local: string, now: number, deadline: number, signal: AbortSignal | undefined): Promise<TftpResult | null | Error> | null {
    if (this.closed) return null;
    const slot = this.idle.pop() ?? (this.slots.size < this.size ? this.spawn() : null);
    if (slot === null) return null;
    const id = this.nextId++;
    const abort = new Int32Array(new SharedArrayBuffer(4));
    return new Promise((resolve) => {
      const stop = (): void => { Atomics.store(abort, 0, 1); };
      // One listener per running transfer (at most `size` of them).
      if (signal?.aborted) stop();
      signal?.addEventListener('abort', stop, { once: true });
      // The worker stops by itself at the deadline; this only catches one that hangs.
      const guard = setTimeout(() => { stop(); void slot.worker.terminate(); }, Math.max(0, (deadline - now) * 1000) + GRACE_MS);
      slot.job = {
        id, abort,
        done: (r) => {
          clearTimeout(guard);
          signal?.removeEventListener('abort', stop);
          slot.job = null;
          if (this.slots.has(slot) && !this.closed) { slot.worker.unref(); this.idle.push(slot); }
          resolve(r);
        },
      };
      slot.worker.ref();
      if (slot.warmUntil !== null) Atomics.store(slot.warmUntil, 0, 1);
      slot.worker.postMessage({ id, cfg, local, now, deadline, rcvbuf: this.opts.rcvbuf, abort } satisfies TftpJob);
    });
  }

  /**
   * Starts one worker now (idle, not holding the process open), so a first transfer does not wait
   * for it; it also runs its per-block code over loopback first (warm-up.ts), so V8 has compiled it.
   */
  prewarm(): void {
    if (this.closed || this.slots.size > 0) return;
    const slot = this.spawn(new Int32Array(new SharedArrayBuffer(4)));
    slot.worker.unref();
    this.idle.push(slot);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.slots) if (s.job) Atomics.store(s.job.abort, 0, 1);
    await Promise.all([...this.slots].map((s) => s.worker.terminate()));
    this.slots.clear();
    this.idle.length = 0;
  }

  private spawn(warmUntil: Int32Array | null = null): Slot {
    const slot: Slot = { worker: new Worker(WORKER, { workerData: { warmUntil } satisfies TftpWorkerData }), warmUntil, job: null };
    this.slots.add(slot);
    slot.worker.on('message', (reply: TftpJobReply) => {
      if (slot.job?.id !== reply.id) return;
      slot.job.done('error' in reply ? new Error(`TFTP worker: ${reply.error}`) : reply.result);
    });
    const died = (err: Error): void => {
      if (!this.slots.delete(slot)) return;
      slot.job?.done(err);
    };
    slot.worker.on('error', died);
    slot.worker.on('exit', (code) => died(new Error(`TFTP worker exited with code ${code}`)));
    return slot;
  }
}
