/**
 * Warms a fresh TFTP worker before its first transfer: a few lock-step transfers from a server
 * played here on 127.0.0.1, through the same driveBlocking + TftpClient + helper calls a real
 * transfer makes. V8 then compiles the per-block path (parse DATA, ACK, hash, the helper's calls)
 * while the scenario is still doing DHCP, not during the first blocks of a short transfer
 * (20 MB at blksize 8192 is only ~2,400 blocks: too few for the JIT to catch up in time).
 * Bounded in blocks and time, and stopped at once by `stop()` (a job was posted: the first transfer
 * never waits for the warm-up); any failure (no loopback in this namespace) just skips it.
 */
import { TftpClient } from '../../clients/tftp.js';
import { buildOack, TFTP_OPCODES } from '../../../wire/tftp.js';
import { driveBlocking } from './drive-blocking.js';
import type { UdpSyncBinding } from './udp-sync.js';

const LOOPBACK = '127.0.0.1';
/** blksize → blocks over loopback: the real helper's calls (and the hash: the 8192 round digests). */
const ROUNDS: [number, number][] = [[1468, 400], [8192, 100], [512, 200]];
/** blksize → blocks from a server played in memory (no system call: ~1–10 µs a block). The per-block
 *  path reaches V8's optimizing tier only after several thousand blocks (measured: ~10 µs a block
 *  cold, < 1 µs warm); 700 blocks left a 20 MB transfer at 8192 running mostly cold. */
const MEMORY_ROUNDS: [number, number][] = [[1468, 2500], [8192, 2500], [512, 1000]];
/** Every block of a complete warm-up. */
export const WARM_UP_BLOCKS = [...ROUNDS, ...MEMORY_ROUNDS].reduce((n, [, b]) => n + b, 0);
const MAX_SECONDS = 1;
const SERVER_TID = 40000;
const LOOPBACK_BYTES = new Uint8Array([127, 0, 0, 1]);

/** A TFTP server answering in-thread: each read of the client's socket first lets it answer what the client sent. */
function playedServer(udp: UdpSyncBinding, blksize: number, blocks: number): { binding: UdpSyncBinding; port: number; close(): void } {
  const s = udp.open(LOOPBACK, 0, 1 << 20);
  const inbuf = new Uint8Array(1024);
  const out = new Uint8Array(4 + blksize);
  out[1] = TFTP_OPCODES.DATA;
  const answer = (): void => {
    const n = udp.recv(s, inbuf, 0);
    if (n < 4) return;
    udp.peerFromLast(s);
    if (inbuf[1] === TFTP_OPCODES.RRQ) {
      const oack = buildOack([{ name: 'blksize', value: String(blksize) }]);
      out.set(oack);
      udp.send(s, out, oack.length);
      out[1] = TFTP_OPCODES.DATA;
      return;
    }
    const next = (((inbuf[2]! << 8) | inbuf[3]!) + 1) & 0xffff;
    if (inbuf[1] !== TFTP_OPCODES.ACK || next > blocks) return;
    out[0] = 0; out[1] = TFTP_OPCODES.DATA; out[2] = next >> 8; out[3] = next & 0xff;
    udp.send(s, out, next === blocks ? 4 : out.length); // the last block empty: the transfer ends
  };
  const binding: UdpSyncBinding = {
    open: (a, p, r) => udp.open(a, p, r),
    port: (h) => udp.port(h),
    peer: (h, a, p) => udp.peer(h, a, p),
    peerFromLast: (h) => udp.peerFromLast(h),
    send: (h, b, l) => udp.send(h, b, l),
    recv: (h, b, t) => { answer(); return udp.recv(h, b, t); },
    lastFrom: (h, o) => udp.lastFrom(h, o),
    close: (h) => udp.close(h),
  };
  return { binding, port: udp.port(s), close: () => udp.close(s) };
}

/** A binding whose "socket" is a lock-step TFTP server in memory: RRQ → OACK, ACK n → DATA n+1
 *  (the last one empty). Same calls as the helper's, so driveBlocking runs exactly its real path. */
function playedInMemory(blksize: number, blocks: number): UdpSyncBinding {
  const oack = buildOack([{ name: 'blksize', value: String(blksize) }]);
  const data = new Uint8Array(4 + blksize);
  data[1] = TFTP_OPCODES.DATA;
  /** What the next recv returns: -1 nothing, 0 the OACK, n DATA block n. */
  let next = -1;
  return {
    open: () => ({}),
    port: () => SERVER_TID,
    peer: () => undefined,
    peerFromLast: () => undefined,
    send: (_h, b) => {
      if (b[1] === TFTP_OPCODES.RRQ) next = 0;
      else if (b[1] === TFTP_OPCODES.ACK) { const acked = (b[2]! << 8) | b[3]!; next = acked < blocks ? acked + 1 : -1; }
    },
    recv: (_h, out) => {
      const n = next;
      next = -1;
      if (n < 0) return -1;
      if (n === 0) { out.set(oack); return oack.length; }
      data[2] = n >> 8; data[3] = n & 0xff;
      if (n < blocks) { out.set(data); return data.length; }
      out.set(data.subarray(0, 4)); // the last block empty: the transfer ends
      return 4;
    },
    lastFrom: (_h, out) => { out.set(LOOPBACK_BYTES); return SERVER_TID; },
    close: () => undefined,
  };
}

/** Blocks received in the warm-up (0: skipped or stopped before any). */
/** `maxSeconds` bounds the whole warm-up (a test on a loaded host may allow more). */
export function warmUp(udp: UdpSyncBinding, stop: () => boolean, maxSeconds = MAX_SECONDS): number {
  let warmed = 0;
  const t0 = performance.now();
  const now = (): number => (performance.now() - t0) / 1000;
  for (const [i, [blksize, blocks]] of ROUNDS.entries()) {
    if (now() > maxSeconds || stop()) return warmed;
    let server: ReturnType<typeof playedServer> | null = null;
    try {
      server = playedServer(udp, blksize, blocks);
      const m = new TftpClient({
        server: LOOPBACK, serverPort: server.port, clientAddr: LOOPBACK, clientPort: 1, file: 'warm-up',
        options: { blksize }, retransmitAfter: 0.2, maxRetransmits: 0, reuseAck: true, digest: i % 2 === 1,
      });
      const r = driveBlocking(m, server.binding, { local: LOOPBACK, clientAddr: LOOPBACK, server: LOOPBACK, now, deadline: maxSeconds, aborted: stop, rcvbuf: 1 << 20, onSendError: () => undefined });
      warmed += r?.ok === true ? r.blocks : 0;
    } catch {
      break; // no loopback here: the rounds in memory still warm the code
    } finally {
      server?.close();
    }
  }
  for (const [blksize, blocks] of MEMORY_ROUNDS) {
    if (now() > maxSeconds || stop()) return warmed;
    const m = new TftpClient({
      server: LOOPBACK, clientAddr: LOOPBACK, clientPort: 1, file: 'warm-up',
      options: { blksize }, retransmitAfter: 0.2, maxRetransmits: 0, reuseAck: true, digest: false,
    });
    const r = driveBlocking(m, playedInMemory(blksize, blocks), { local: LOOPBACK, clientAddr: LOOPBACK, server: LOOPBACK, now, deadline: maxSeconds, aborted: stop, rcvbuf: 0, onSendError: () => undefined });
    warmed += r?.ok === true ? r.blocks : 0;
  }
  return warmed;
}
