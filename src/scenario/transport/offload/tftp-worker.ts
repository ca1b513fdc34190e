/**
 * Worker thread of the TFTP offload (tftp-offload.ts): runs one TFTP client machine at a time on
 * the blocking UDP helper and posts its result back. The machine is the same TftpClient the
 * event-loop path drives; only the I/O differs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TftpClient, type TftpClientConfig, type TftpResult } from '../../clients/tftp.js';
import { driveBlocking } from './drive-blocking.js';
import { loadUdpSync } from './udp-sync.js';
import { warmUp } from './warm-up.js';

export interface TftpJob {
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
}

/** `sendErrors`: sends the kernel refused during the transfer (the last one's message in `sendError`). */
export type TftpJobReply = { id: number; result: TftpResult | null; sendErrors: number; sendError: string } | { id: number; error: string };

/** What the pool passes at spawn: for a worker started ahead of its first transfer, the flag
 *  ([0] = 1) the pool sets when it posts a job, which ends the warm-up at once. */
export interface TftpWorkerData { warmUntil: Int32Array | null }

const port = parentPort;
if (port !== null) {
  const udp = loadUdpSync();
  // Before the first job is read: a job posted meanwhile waits in the port's queue.
  const warmUntil = (workerData as TftpWorkerData | undefined)?.warmUntil ?? null;
  if (udp !== null && warmUntil !== null) warmUp(udp, () => Atomics.load(warmUntil, 0) !== 0);
  port.on('message', (job: TftpJob) => {
    if (udp === null) { port.postMessage({ id: job.id, error: 'the native UDP helper is not built' } satisfies TftpJobReply); return; }
    // The main thread's clock, continued here from when the job was posted (workers have their own
    // performance.timeOrigin; the absolute times of both threads are on the same clock).
    const t0 = performance.timeOrigin - job.postedAt;
    const now = (): number => job.now + Math.max(0, t0 + performance.now()) / 1000;
    const sent = { errors: 0, last: '' };
    try {
      // reuseAck: driveBlocking copies each datagram into its send buffer at once, keeps none and then
      // calls idle() (TftpClient throws on a driver that does not).
      const result = driveBlocking(new TftpClient({ ...job.cfg, reuseAck: true }), udp, {
        local: job.local, clientAddr: job.cfg.clientAddr, server: job.cfg.server, now, deadline: job.deadline,
        aborted: () => Atomics.load(job.abort, 0) !== 0, rcvbuf: job.rcvbuf,
        onSendError: (message) => { sent.errors++; sent.last = message; },
      });
      const transfer = result?.data ? [result.data.buffer as ArrayBuffer] : [];
      port.postMessage({ id: job.id, result, sendErrors: sent.errors, sendError: sent.last } satisfies TftpJobReply, transfer);
    } catch (e) {
      port.postMessage({ id: job.id, error: (e as Error).message } satisfies TftpJobReply);
    }
  });
}
