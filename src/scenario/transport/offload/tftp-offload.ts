/**
 * TFTP transfers off the event loop: a small pool of worker threads (tftp-worker.ts), each running
 * one transfer at a time on the blocking UDP helper (udp-sync.ts). A lock-step block then costs
 * two system calls (sendto, recvfrom) instead of an event-loop wake-up per datagram.
 * Bounded: at most `size` workers; a transfer that finds none free (or no helper) gets null and
 * runs on the event loop as before, so a storm of TFTP clients never waits for a worker.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TftpClientConfig, TftpResult } from '../../clients/tftp.js';
import type { RawFlow } from './raw-link.js';
import type { TftpJob, TftpJobReply, TftpWorkerData } from './tftp-worker.js';
import { loadUdpSync } from './udp-sync.js';

/** Beside this module in dist/ (tsc), or in dist/bundle/ (scripts/bundle.mjs's entry of that name). */
const WORKER = new URL('./tftp-worker.js', import.meta.url);
/** How long past its deadline a worker may take to answer before it is terminated. */
const GRACE_MS = 5000;
/** setTimeout's longest delay: a later one overflows and fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Posted to a worker started ahead of its first transfer: it answers once warm (the message waits
 *  behind the warm-up), so Node's one-time costs of a port's first message each way (loading and
 *  compiling its message path: ~1.5 ms in the worker, more on a loaded host) are paid before the
 *  first transfer, not inside its step. Job ids are ≥ 0; replies to a ping match no job. */
const PING = { id: -1 } as const;

/** A transfer's worker failed before it sent anything (a raw job's capture would not open): the
 *  caller runs the transfer on the event loop instead. */
export const NOT_RUN = 'not-run';

/**
 * How a worker is started on `script`. It inherits the process's Node options: Node refuses V8 and
 * per-process flags given as `execArgv` (ERR_WORKER_INVALID_EXEC_ARGV: bin/pxecheck.js's own
 * --max-semi-space-size, a user's --max-old-space-size), and inherits them silently. One inherited
 * option fails a worker started on a file: `--input-type` (a process started as
 * `node --input-type=module -e …`: "--input-type can only be used with string input"); then the
 * worker is a one-line string that imports the script.
 */
export function workerEntry(script: URL, execArgv: readonly string[] = process.execArgv): { entry: URL | string; evaluated: boolean } {
  const inputType = execArgv.some((a) => a === '--input-type' || a.startsWith('--input-type='));
  return inputType ? { entry: `import(${JSON.stringify(script.href)})`, evaluated: true } : { entry: script, evaluated: false };
}

function startWorker(script: URL, warmUntil: Int32Array | null): Worker {
  const { entry, evaluated } = workerEntry(script);
  return new Worker(entry, { eval: evaluated, workerData: { warmUntil } satisfies TftpWorkerData });
}

/**
 * A worker started before any pool (`pxecheck run --relay-from`, first thing in main.ts through
 * early-worker.ts: before yargs, the scenarios and the relay transport are loaded), so its start-up
 * overlaps the rest of the set-up. The first pool's prewarm() adopts it; unadopted, it is unref'd and
 * holds nothing open, and run.ts drops it on its way out.
 */
let early: { worker: Worker; warmUntil: Int32Array; exited: boolean } | null = null;
/** A pool has prewarmed: a worker started now would be one too many. */
let prewarmed = false;

export function startTftpWorkerEarly(script: URL = WORKER): void {
  // Raw or relay is not known yet: the script is enough (a raw run's worker needs no UDP helper).
  if (early !== null || prewarmed || (script === WORKER && !TftpOffload.available('raw'))) return;
  const warmUntil = new Int32Array(new SharedArrayBuffer(4));
  let worker: Worker;
  try {
    worker = startWorker(script, warmUntil);
  } catch {
    return; // no early worker: the pool starts its own, or TFTP runs on the event loop
  }
  const e = { worker, warmUntil, exited: false };
  e.worker.postMessage(PING);
  e.worker.on('error', () => { e.exited = true; });
  e.worker.on('exit', () => { e.exited = true; });
  e.worker.unref();
  early = e;
}

/** The early worker is not needed after all (no TFTP step): it stops, and is not adopted. */
export function dropEarlyTftpWorker(): void {
  const e = early;
  early = null;
  if (e !== null && !e.exited) void e.worker.terminate();
}

interface Slot {
  worker: Worker;
  /** Set to 1 when a job is posted: a warming worker stops warming (see warm-up.ts). */
  warmUntil: Int32Array | null;
  job: { id: number; abort: Int32Array; done: (r: TftpResult | null | Error | typeof NOT_RUN) => void } | null;
}

export interface TftpOffloadOptions {
  /** Workers at most (default: the cores, 1–4). */
  size?: number;
  /** Kernel receive buffer of each transfer socket (bytes). */
  rcvbuf: number;
  /** Sends the kernel refused during a transfer (how many, the last one's message). */
  onSendError?: (count: number, message: string) => void;
  /** A raw flow's IP fragments the worker received and the datagrams it put together from them. */
  onFragments?: (received: number, reassembled: number) => void;
  /** A raw flow's reads in the worker: frames found while spinning, sleeps in poll. */
  onWaits?: (spun: number, slept: number) => void;
  /** The worker script (tests: a stand-in that dies or never answers). */
  script?: URL;
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

  /** Workers started and not exited. */
  get workers(): number {
    return this.slots.size;
  }

  /** The worker script is there (not when running from src/ under a test runner) and, for the
   *  relay's jobs (`udp`), the blocking UDP helper is built; the raw transport's jobs need only the
   *  libpcap binding, which its capture has loaded already. */
  static available(jobs: 'udp' | 'raw' = 'udp'): boolean {
    return existsSync(WORKER) && (jobs === 'raw' || loadUdpSync() !== null);
  }

  /**
   * Runs the transfer in a free worker: its result (null: unfinished by `deadline`), or an Error
   * when the worker failed, NOT_RUN when it failed before sending anything. null instead of a
   * promise: no worker free, run it on the event loop.
   * `now` and `deadline` are seconds on the caller's clock. `raw`: the raw transport's flow, run on
   * a capture handle of the worker's own (raw-link.ts) instead of a UDP socket.
   */
  tryRun(cfg: TftpClientConfig, local: string, now: number, deadline: number, signal: AbortSignal | undefined, raw?: RawFlow): Promise<TftpResult | null | Error | typeof NOT_RUN> | null {
    if (this.closed) return null;
    const slot = this.freeSlot();
    if (slot === null) return null;
    const id = this.nextId++;
    const abort = new Int32Array(new SharedArrayBuffer(4));
    return new Promise((resolve) => {
      const stop = (): void => { Atomics.store(abort, 0, 1); };
      // One listener per running transfer (at most `size` of them).
      if (signal?.aborted) stop();
      signal?.addEventListener('abort', stop, { once: true });
      // The worker stops by itself at the deadline; this only catches one that hangs. It answers for
      // the worker: terminating one that has already exited emits no second 'exit'.
      const guard = setTimeout(() => {
        stop();
        this.slots.delete(slot);
        void slot.worker.terminate();
        slot.job?.done(new Error('TFTP worker did not answer'));
      }, Math.min(MAX_TIMER_MS, Math.max(0, (deadline - now) * 1000) + GRACE_MS));
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
      const postedAt = performance.timeOrigin + performance.now();
      slot.worker.postMessage({ id, cfg, local, now, postedAt, deadline, rcvbuf: this.opts.rcvbuf, abort, ...(raw === undefined ? {} : { raw }) } satisfies TftpJob);
    });
  }

  /**
   * Starts one worker now (idle, not holding the process open), so a first transfer does not wait
   * for it; it also runs its per-block code over loopback first (warm-up.ts), so V8 has compiled it.
   */
  prewarm(): void {
    if (this.closed || this.slots.size > 0) return;
    prewarmed = true;
    const adopt = early !== null && !early.exited ? early : null;
    early = null;
    // An adopted worker's 'exit' not yet emitted still reaches the listeners spawn() adds.
    const slot = adopt !== null ? this.spawn(adopt.warmUntil, adopt.worker) : this.spawn(new Int32Array(new SharedArrayBuffer(4)));
    if (slot === null) return;
    if (adopt === null) slot.worker.postMessage(PING);
    slot.worker.unref();
    this.idle.push(slot);
  }

  async close(): Promise<void> {
    this.closed = true;
    // A transfer still running is interrupted, as on the event loop: unfinished (null), not failed.
    for (const s of this.slots) {
      if (s.job === null) continue;
      Atomics.store(s.job.abort, 0, 1);
      s.job.done(null);
    }
    await Promise.all([...this.slots].map((s) => s.worker.terminate()));
    this.slots.clear();
    this.idle.length = 0;
  }

  /** An idle live worker, else a new one while under `size`, else null. */
  private freeSlot(): Slot | null {
    // died() takes a worker that died while idle out of `idle`; never post to a dead one anyway.
    let slot: Slot | undefined;
    do slot = this.idle.pop(); while (slot !== undefined && !this.slots.has(slot));
    return slot ?? (this.slots.size < this.size ? this.spawn() : null);
  }

  /** null: Node would not start a worker (the transfer runs on the event loop). */
  private spawn(warmUntil: Int32Array | null = null, started?: Worker): Slot | null {
    let worker: Worker;
    try {
      worker = started ?? startWorker(this.opts.script ?? WORKER, warmUntil);
    } catch {
      return null;
    }
    const slot: Slot = { worker, warmUntil, job: null };
    this.slots.add(slot);
    slot.worker.on('message', (reply: TftpJobReply) => {
      if (slot.job?.id !== reply.id) return;
      if ('error' in reply) { slot.job.done(reply.unsent === true ? NOT_RUN : new Error(`TFTP worker: ${reply.error}`)); return; }
      if (reply.sendErrors > 0) this.opts.onSendError?.(reply.sendErrors, reply.sendError);
      if (reply.fragments !== undefined) this.opts.onFragments?.(reply.fragments.received, reply.fragments.reassembled);
      if (reply.waits !== undefined) this.opts.onWaits?.(reply.waits.spun, reply.waits.slept);
      slot.job.done(reply.result);
    });
    const died = (err: Error): void => {
      this.slots.delete(slot);
      const i = this.idle.indexOf(slot);
      if (i >= 0) this.idle.splice(i, 1);
      slot.job?.done(err);
    };
    slot.worker.on('error', died);
    slot.worker.on('exit', (code) => died(new Error(`TFTP worker exited with code ${code}`)));
    return slot;
  }
}
