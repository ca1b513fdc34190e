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
/** blksize → blocks: enough calls for V8's first optimizing tier, few enough to be done (~30 ms of
 *  CPU) before a scenario's DHCP usually is; a warm-up cut short leaves compile jobs competing. */
const ROUNDS: [number, number][] = [[1468, 400], [8192, 100], [512, 200]];
const MAX_SECONDS = 1;

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

/** Blocks received in the warm-up (0: skipped or stopped before any). */
export function warmUp(udp: UdpSyncBinding, stop: () => boolean): number {
  let warmed = 0;
  const t0 = performance.now();
  const now = (): number => (performance.now() - t0) / 1000;
  for (const [i, [blksize, blocks]] of ROUNDS.entries()) {
    if (now() > MAX_SECONDS || stop()) return warmed;
    let server: ReturnType<typeof playedServer> | null = null;
    try {
      server = playedServer(udp, blksize, blocks);
      const m = new TftpClient({
        server: LOOPBACK, serverPort: server.port, clientAddr: LOOPBACK, clientPort: 1, file: 'warm-up',
        options: { blksize }, retransmitAfter: 0.2, maxRetransmits: 0, reuseAck: true, digest: i % 2 === 1,
      });
      const r = driveBlocking(m, server.binding, { local: LOOPBACK, clientAddr: LOOPBACK, server: LOOPBACK, now, deadline: MAX_SECONDS, aborted: stop, rcvbuf: 1 << 20, onSendError: () => undefined });
      warmed += r?.ok === true ? r.blocks : 0;
    } catch {
      return warmed; // no loopback here: the first transfer warms the code instead
    } finally {
      server?.close();
    }
  }
  return warmed;
}
