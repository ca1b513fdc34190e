/**
 * Warms a fresh TFTP worker before its first transfer: many short lock-step transfers over
 * loopback through exactly the code a real job runs (runTftpJob → driveBlocking → TftpClient, on
 * the real helper's binding, objects of the same shapes), so V8 has optimized that code — and keeps
 * it — when the scenario's transfer starts. A transfer's blocks are too few for the JIT to catch up
 * during it (20 MB at blksize 8192 is ~2,400 blocks).
 * The played server needs no thread and no hook: its OACK and every DATA block (the last one short)
 * are queued on the client's socket before the machine starts; the machine's RRQ and ACKs go to
 * the server's socket, which nobody reads. Rounds are small enough for the kernel's default
 * receive buffer (rmem_max ~208 KB without CAP_NET_ADMIN). Bounded in rounds and time, stopped at
 * once by the flag (a job was posted: the first transfer never waits for the warm-up); a failure
 * (no loopback in this namespace, a round that does not complete) ends it.
 */
import { buildOack, TFTP_OPCODES } from '../../../wire/tftp.js';
import { runTftpJob, type TftpJob } from './run-job.js';
import type { UdpSyncBinding } from './udp-sync.js';

const LOOPBACK = '127.0.0.1';
/** One round: [blksize, blocks, digest]. What a round's queued datagrams take in the client's
 *  receive buffer (~2.3 KB per 1468-byte block, ~16 KB per 8192-byte one) stays under 208 KB. */
const ROUND_KINDS: [number, number, boolean][] = [[1468, 60, false], [8192, 10, true], [512, 100, false], [8192, 10, false], [1468, 60, true]];
/** Rounds in all: ~2,300 blocks, each through every per-block call a real transfer makes. */
const ROUNDS = 50;
/** Every block of a complete warm-up. */
export const WARM_UP_BLOCKS = Array.from({ length: ROUNDS }, (_, i) => ROUND_KINDS[i % ROUND_KINDS.length]![1]).reduce((a, b) => a + b, 0);
const MAX_SECONDS = 1;
/** A round's own limit: its datagrams are all queued already, so a stall means one was dropped. */
const ROUND_SECONDS = 0.25;
/** Asked for the client's socket (granted with CAP_NET_ADMIN, else capped at rmem_max). */
const RCVBUF = 1 << 20;
/** The played client's port as the machine sees it (the real socket's port is the kernel's). */
const CLIENT_TID = 40000;

/** One played transfer: its blocks when it completed, else -1. */
function round(udp: UdpSyncBinding, stop: Int32Array, blksize: number, blocks: number, digest: boolean): number {
  const client = udp.open(LOOPBACK, 0, RCVBUF);
  let server: object | null = null;
  try {
    server = udp.open(LOOPBACK, 0, 0);
    udp.peer(server, LOOPBACK, udp.port(client));
    const oack = buildOack([{ name: 'blksize', value: String(blksize) }]);
    udp.send(server, oack, oack.length);
    const data = new Uint8Array(4 + blksize);
    data[1] = TFTP_OPCODES.DATA;
    for (let n = 1; n <= blocks; n++) {
      data[2] = n >> 8; data[3] = n & 0xff;
      udp.send(server, data, n === blocks ? 4 : data.length); // the last block empty: the transfer ends
    }
    const now = performance.now() / 1000;
    // As the pool posts it (tftp-offload.ts) and as tftpFetch builds the config (transfer-step.ts),
    // and structured-cloned as postMessage delivers it: its strings are then not internalized, as a
    // real job's are not (code optimized for literals' strings deopts on the first real compare).
    const job: TftpJob = structuredClone({
      id: -1,
      cfg: { server: LOOPBACK, serverPort: udp.port(server), clientAddr: LOOPBACK, clientPort: CLIENT_TID, file: 'warm-up', tsizeProbe: false, keepData: false, digest, options: { blksize } },
      local: LOOPBACK, now, postedAt: performance.timeOrigin + performance.now(), deadline: now + ROUND_SECONDS, rcvbuf: RCVBUF, abort: stop,
    } satisfies TftpJob);
    const reply = runTftpJob(job, udp, client);
    return 'result' in reply && reply.result?.ok === true ? reply.result.blocks : -1;
  } finally {
    udp.close(client); // closed already by the run (idempotent); not when a send above threw
    if (server !== null) udp.close(server);
  }
}

/** Blocks received in the warm-up (0: skipped or stopped before any). `stop[0] !== 0` stops it;
 *  `maxSeconds` bounds the whole warm-up (a test on a loaded host may allow more). */
export function warmUp(udp: UdpSyncBinding, stop: Int32Array, maxSeconds = MAX_SECONDS): number {
  let warmed = 0;
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    if ((performance.now() - t0) / 1000 > maxSeconds || Atomics.load(stop, 0) !== 0) break;
    const [blksize, blocks, digest] = ROUND_KINDS[i % ROUND_KINDS.length]!;
    let got: number;
    try {
      got = round(udp, stop, blksize, blocks, digest);
    } catch {
      break; // no loopback here
    }
    if (got < 0) break; // a datagram was dropped (or the flag stopped it): later rounds would stall too
    warmed += got;
  }
  return warmed;
}
