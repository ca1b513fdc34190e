/**
 * One TFTP transfer in the worker thread, for a posted job and for the warm-up alike. Every object
 * the per-block code reads (the machine's config, the driver's options, the closures) is built here,
 * from one literal each, so the warm-up's objects have the same hidden classes as a real job's: V8
 * then keeps the code it optimized during the warm-up. Built anywhere else (the warm-up's own
 * literals, the config as structured-cloned from the main thread), the first real block threw that
 * code away (`--trace-deopt`: "wrong map" in driveBlocking, dispatch, process, pollAt, send) and a
 * 20 MB transfer ran in V8's baseline tier while TurboFan recompiled on the other core.
 */
import { TftpClient, type TftpClientConfig, type TftpResult } from '../../clients/tftp.js';
import { UdpPort } from '../../../wire/ports.js';
import { driveBlocking } from './drive-blocking.js';
import type { RawFlow } from './raw-link.js';
import type { UdpSyncBinding } from './udp-sync.js';

export interface TftpJob {
  /** ≥ 0; a message with a negative id and nothing else is a ping (tftp-offload.ts), answered at once. */
  id: number;
  cfg: TftpClientConfig;
  /** The relay's address the sockets bind. */
  local: string;
  /** The main thread's clock when it posted the job, and the deadline on that clock (seconds). */
  now: number;
  /** When it was posted, as performance.timeOrigin + performance.now() (ms): the worker's clock
   *  counts from then, not from when it read the job, so `deadline` is honoured. */
  postedAt: number;
  deadline: number;
  rcvbuf: number;
  /** [0] set to 1 by the main thread: stop at the next wait slice. */
  abort: Int32Array;
  /** A raw-transport flow (raw-link.ts): the worker reads and writes its frames on a blocking
   *  capture instead of a UDP socket. Absent for the relay's jobs. */
  raw?: RawFlow;
}

/** `sendErrors`: sends the kernel refused during the transfer (the last one's message in `sendError`). */
export type TftpJobReply = {
  id: number; result: TftpResult | null; sendErrors: number; sendError: string;
  /** A raw flow's IP fragments received in the worker, and the datagrams put together from them. */
  fragments?: { received: number; reassembled: number };
  /** A raw flow's reads: frames found while spinning after a send, and sleeps in poll. */
  waits?: { spun: number; slept: number };
} | {
  id: number; error: string;
  /** The worker failed before it sent anything (its capture would not open): run it elsewhere. */
  unsent?: true;
};

/**
 * The machine's config in one shape whatever the job carried: every key, in one order, defaults
 * written out where TftpClient would apply them anyway (same behaviour), so a field never changes
 * representation between jobs (a number here, missing there) either.
 */
export function clientConfig(c: TftpClientConfig): TftpClientConfig {
  const o = c.options ?? {};
  return {
    server: c.server, serverPort: c.serverPort ?? UdpPort.TFTP, clientAddr: c.clientAddr, clientPort: c.clientPort,
    file: c.file, mode: c.mode ?? 'octet',
    options: { blksize: o.blksize, windowsize: o.windowsize, timeout: o.timeout, tsize: o.tsize, extra: o.extra },
    tsizeProbe: c.tsizeProbe === true, secondPort: c.secondPort ?? c.clientPort + 1,
    retransmitAfter: c.retransmitAfter, maxRetransmits: c.maxRetransmits ?? 5,
    keepData: c.keepData === true,
    // driveBlocking copies each datagram into its send buffer at once, keeps none and then calls
    // idle() (TftpClient throws on a driver that does not).
    reuseAck: true,
    digest: c.digest !== false, logAll: c.logAll === true,
  };
}

/**
 * Runs `job` on `socket` (open on job.local with job.rcvbuf; closed here, with any other the
 * machine opened). Its reply, to be posted as is.
 */
export function runTftpJob(job: TftpJob, udp: UdpSyncBinding, socket: object): TftpJobReply {
  // The main thread's clock, continued here from when the job was posted (workers have their own
  // performance.timeOrigin; the absolute times of both threads are on the same clock). Closures
  // read locals only: a job object's own shape never reaches the per-block code.
  const t0 = performance.timeOrigin - job.postedAt;
  const start = job.now;
  const abort = job.abort;
  const now = (): number => start + Math.max(0, t0 + performance.now()) / 1000;
  const sent = { errors: 0, last: '' };
  try {
    const result = driveBlocking(new TftpClient(clientConfig(job.cfg)), udp, {
      local: job.local, clientAddr: job.cfg.clientAddr, server: job.cfg.server, now, deadline: job.deadline,
      aborted: () => Atomics.load(abort, 0) !== 0, rcvbuf: job.rcvbuf, socket, keepPorts: job.raw !== undefined,
      onSendError: (message) => { sent.errors++; sent.last = message; },
    });
    return { id: job.id, result, sendErrors: sent.errors, sendError: sent.last };
  } catch (e) {
    return { id: job.id, error: (e as Error).message };
  }
}
