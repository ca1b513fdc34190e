/**
 * Worker thread of the TFTP offload (tftp-offload.ts): runs one TFTP client machine at a time on
 * the blocking UDP helper and posts its result back. The machine is the same TftpClient the
 * event-loop path drives; only the I/O differs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTftpJob, type TftpJob, type TftpJobReply } from './run-job.js';
import { loadUdpSync } from './udp-sync.js';
import { warmUp } from './warm-up.js';

export type { TftpJob, TftpJobReply } from './run-job.js';

/** What the pool passes at spawn: for a worker started ahead of its first transfer, the flag
 *  ([0] = 1) the pool sets when it posts a job, which ends the warm-up at once. */
export interface TftpWorkerData { warmUntil: Int32Array | null }

const port = parentPort;
if (port !== null) {
  const udp = loadUdpSync();
  // Before the first job is read: a job posted meanwhile waits in the port's queue.
  const warmUntil = (workerData as TftpWorkerData | undefined)?.warmUntil ?? null;
  if (udp !== null && warmUntil !== null) warmUp(udp, warmUntil);
  port.on('message', (job: TftpJob) => {
    if (job.id < 0) { port.postMessage({ id: job.id, result: null, sendErrors: 0, sendError: '' } satisfies TftpJobReply); return; }
    if (udp === null) { port.postMessage({ id: job.id, error: 'the native UDP helper is not built' } satisfies TftpJobReply); return; }
    let reply: TftpJobReply;
    try {
      reply = runTftpJob(job, udp, udp.open(job.local, 0, job.rcvbuf));
    } catch (e) {
      reply = { id: job.id, error: (e as Error).message }; // the socket: bind refused
    }
    const data = 'result' in reply ? reply.result?.data : null;
    port.postMessage(reply, data ? [data.buffer as ArrayBuffer] : []);
  });
}
