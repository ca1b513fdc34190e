/**
 * Worker thread of the TFTP offload (tftp-offload.ts): runs one TFTP client machine at a time on
 * the blocking UDP helper (the relay's jobs) or on a blocking libpcap handle filtered to the flow
 * (the raw transport's jobs, raw-link.ts), and posts its result back. The machine is the same
 * TftpClient the event-loop path drives; only the I/O differs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openBlockingCapture, type BlockingCapture } from '../../../capture/live.js';
import { RawUdpLink } from './raw-link.js';
import { runTftpJob, type TftpJob, type TftpJobReply } from './run-job.js';
import { loadUdpSync } from './udp-sync.js';
import { warmUp } from './warm-up.js';

export type { TftpJob, TftpJobReply } from './run-job.js';

/** What the pool passes at spawn: for a worker started ahead of its first transfer, the flag
 *  ([0] = 1) the pool sets when it posts a job, which ends the warm-up at once. */
export interface TftpWorkerData { warmUntil: Int32Array | null }

/** Kernel ring of the worker's capture, the main capture's: libpcap sizes a slot for the largest
 *  frame in immediate mode (64 KiB on veth and offloading NICs), so 32 MiB holds 512 frames, a
 *  window of 16 blocks of 8,192 bytes (~100 fragments) several times over while the worker is
 *  descheduled; 16 MiB held 256. openBlockingCapture never opens less. */
const RAW_RING_BYTES = 32 << 20;

/** The worker's capture, kept between flows on one interface (opening a ring costs milliseconds):
 *  each flow sets its own filter, and frames still queued for the last one fail it. */
let capture: { iface: string; cap: BlockingCapture } | null = null;

function captureFor(iface: string, filter: string): BlockingCapture {
  if (capture !== null && capture.iface === iface) {
    try {
      capture.cap.setFilter(filter);
      return capture.cap;
    } catch {
      capture.cap.close(); // the interface went away and came back, perhaps: open it again
      capture = null;
    }
  }
  capture?.cap.close();
  capture = null;
  const cap = openBlockingCapture(iface, filter, RAW_RING_BYTES);
  capture = { iface, cap };
  return cap;
}

function runRawJob(job: TftpJob): TftpJobReply {
  const flow = job.raw!;
  let cap: BlockingCapture;
  try {
    cap = captureFor(flow.iface, flow.filter);
  } catch (e) {
    return { id: job.id, error: (e as Error).message, unsent: true }; // libpcap refused: nothing sent yet
  }
  const link = new RawUdpLink(cap, flow);
  const before = cap.waits(); // the capture outlives flows: this flow's share
  const reply = runTftpJob(job, link, link.open(flow.clientIp, job.cfg.clientPort));
  if ('error' in reply) { capture?.cap.close(); capture = null; return reply; }
  const after = cap.waits();
  return {
    ...reply, fragments: { received: link.counters.fragments, reassembled: link.counters.reassembled },
    waits: { spun: after.spun - before.spun, slept: after.slept - before.slept },
  };
}

const port = parentPort;
if (port !== null) {
  const udp = loadUdpSync();
  // Before the first job is read: a job posted meanwhile waits in the port's queue.
  const warmUntil = (workerData as TftpWorkerData | undefined)?.warmUntil ?? null;
  if (udp !== null && warmUntil !== null) warmUp(udp, warmUntil);
  port.on('message', (job: TftpJob) => {
    if (job.id < 0) { port.postMessage({ id: job.id, result: null, sendErrors: 0, sendError: '' } satisfies TftpJobReply); return; }
    let reply: TftpJobReply;
    if (job.raw !== undefined) {
      try {
        reply = runRawJob(job);
      } catch (e) {
        reply = { id: job.id, error: (e as Error).message }; // the capture: libpcap refused
      }
    } else if (udp === null) {
      reply = { id: job.id, error: 'the native UDP helper is not built' };
    } else {
      try {
        reply = runTftpJob(job, udp, udp.open(job.local, 0, job.rcvbuf));
      } catch (e) {
        reply = { id: job.id, error: (e as Error).message }; // the socket: bind refused
      }
    }
    const data = 'result' in reply ? reply.result?.data : null;
    port.postMessage(reply, data ? [data.buffer as ArrayBuffer] : []);
  });
}
