/**
 * Drives an I/O-free UDP client machine (clients/types.ts) on the blocking UDP helper, in a
 * worker thread: per exchange two system calls (sendto, a recvfrom with a timeout; curl makes nine) and no
 * event-loop turn, promise or allocation of a receive buffer. The same machine as the event-loop
 * path (run/loop.ts `drive`), so timeouts, retransmissions and results are the same.
 * One socket per source port the machine uses (a UEFI tsize probe moves to a new port); what
 * arrives is read from the socket of the latest port, as the machine only listens there.
 */
import type { ClientMachine, Endpoint, UdpDatagram } from '../../clients/types.js';
import { ipv4FromString, ipv4ToString, ipv6FromString, ipv6ToString } from '../../../wire/bytes.js';
import type { UdpSyncBinding } from './udp-sync.js';

export interface BlockingDriveOptions {
  /** This host's address the sockets bind (the relay's address). */
  local: string;
  /** The client's own address: the destination the machine sees on what it receives. */
  clientAddr: string;
  /** The server the machine talks to: its address text is reused for every datagram from it. */
  server: string;
  now: () => number;
  /** Seconds on `now`'s clock: the machine is left unfinished then. */
  deadline: number;
  /** Checked between waits (an abort, a closing transport). */
  aborted: () => boolean;
  /** Kernel receive buffer of each socket (bytes). */
  rcvbuf: number;
  /** A send the kernel refused (ENETUNREACH, EPERM from a firewall, ENOBUFS): counted, not thrown,
   *  as the event-loop path does, so the machine's retransmission runs and says why it gave up. */
  onSendError: (message: string) => void;
  /** Biggest datagram expected (a 65,464-byte TFTP block + header fits 65,536). */
  maxDatagram?: number;
  /** A socket already open on `local` (rcvbuf as above) for the machine's first source port: the
   *  warm-up (warm-up.ts) queues a played server's answers on it before the machine starts. */
  socket?: object;
  /** Each socket is opened on the machine's own source port (the raw transport's flows: that port
   *  goes on the wire), not on one the kernel picks (the relay's sockets). */
  keepPorts?: boolean;
}

/** Longest single wait: how soon an abort is noticed. */
const WAIT_SLICE_MS = 50;
/** A sleep without a socket (worker threads may block). */
const IDLE = new Int32Array(new SharedArrayBuffer(4));

export function driveBlocking<R>(m: ClientMachine<R>, udp: UdpSyncBinding, o: BlockingDriveOptions): R | null {
  const v6 = o.server.includes(':');
  const serverBytes = v6 ? ipv6FromString(o.server) : ipv4FromString(o.server);
  const from = new Uint8Array(16);
  const rbuf = new Uint8Array(o.maxDatagram ?? 65536);
  const sbuf = new Uint8Array(65536);
  const sockets = new Map<number, object>();
  /** The socket of the latest source port: where the machine listens. */
  const current: { port: number; h: object | null } = { port: 0, h: null };
  /** The peer each socket sends to, so `peer` is called only when it changes. */
  const peers = new Map<object, Endpoint>();

  let opened: object | null = o.socket ?? null;
  const socketFor = (port: number): object => {
    let h = sockets.get(port);
    if (h === undefined) { h = opened ?? udp.open(o.local, o.keepPorts === true ? port : 0, o.rcvbuf); opened = null; sockets.set(port, h); }
    return h;
  };
  /** The endpoint object the last datagram went to: a machine that reuses it (TftpClient's server
   *  endpoint) skips both lookups on the per-block path. */
  let lastDst: Endpoint | null = null;
  const send = (d: UdpDatagram): void => {
    const same = d.dst === lastDst && d.src.port === current.port && current.h !== null;
    const h = same ? current.h! : socketFor(d.src.port);
    current.port = d.src.port;
    current.h = h;
    if (!same) {
      const peer = peers.get(h);
      if (peer === undefined || peer.addr !== d.dst.addr || peer.port !== d.dst.port) {
        udp.peer(h, d.dst.addr, d.dst.port);
        peers.set(h, { addr: d.dst.addr, port: d.dst.port });
      }
      lastDst = d.dst;
    }
    // Sent from one long-lived buffer: a machine's fresh small Uint8Array lives on V8's heap, and
    // handing it to native code makes V8 move it off-heap first (an allocation and a copy per ACK).
    sbuf.set(d.payload);
    try {
      udp.send(h, sbuf, d.payload.length);
    } catch (e) {
      o.onSendError((e as Error).message);
    }
  };
  const sameAsServer = (): boolean => {
    for (let i = 0; i < serverBytes.length; i++) if (from[i] !== serverBytes[i]) return false;
    return true;
  };

  /** The view of the receive buffer handed to the machine, remade only when the length changes
   *  (a download's blocks are all one size but the last: no view per block). */
  let view = rbuf.subarray(0, 0);
  let src: Endpoint = { addr: o.server, port: -1 };
  let dst: Endpoint = { addr: o.clientAddr, port: -1 };
  try {
    for (;;) {
      const now = o.now();
      for (const d of m.dispatch(now)) send(d);
      m.idle?.(); // before the next recv reuses the buffer the last payload is a view of
      const r = m.done();
      if (r !== null) return r;
      if (now >= o.deadline || o.aborted()) return null;
      const poll = m.pollAt();
      const until = Math.min(poll === null ? Infinity : poll, o.deadline);
      const waitMs = Math.min(WAIT_SLICE_MS, Math.max(0, Math.ceil((until - now) * 1000)));
      if (current.h === null) { Atomics.wait(IDLE, 0, 0, waitMs); continue; } // nothing sent yet: nothing to read
      const n = udp.recv(current.h, rbuf, waitMs);
      if (n < 0) continue;
      // The payload is a view valid during the call. The endpoints are reused while they stay the
      // same (the server's TID, our port): a machine that logs one keeps an object nobody changes.
      const port = udp.lastFrom(current.h, from);
      if (port !== src.port || !sameAsServer()) src = { addr: sameAsServer() ? o.server : v6 ? ipv6ToString(from) : ipv4ToString(from), port };
      if (dst.port !== current.port) dst = { addr: o.clientAddr, port: current.port };
      if (view.length !== n) view = rbuf.subarray(0, n);
      m.process({ src, dst, payload: view }, o.now());
    }
  } finally {
    for (const h of sockets.values()) udp.close(h);
    if (opened !== null) udp.close(opened); // never used: the machine sent nothing
  }
}
