/**
 * Follows TFTP transfers across their port change (RFC 1350 §4): the request goes to UDP 69, the
 * server answers from a fresh port (its TID) to the client's port, and the rest of the transfer
 * runs between those two ports. Pure logic: time is passed in, nothing is read from a clock.
 *
 * Sessions are indexed by the client endpoint only (addr, port): one Map lookup per direction.
 * IPv4 endpoints use a numeric key (addr * 65536 + port, < 2^48) so no string is built per packet.
 */

/** Server TIDs are picked from outside the well-known ports (RFC 1350 §4 in practice). */
const FIRST_EPHEMERAL_TID = 1024;

export interface TftpSession {
  /** 1-based, in order of creation. */
  id: number;
  clientAddr: string;
  clientPort: number;
  /** Destination of the request. */
  serverAddr: string;
  /** Where the server answered from once learnt (may differ from `serverAddr`: multi-homed). */
  replyAddr: string | null;
  /** The server's TID once learnt from its first packet. */
  serverPort: number | null;
  /** The server answered from another address than the one the request went to. */
  replyAddrDiffers: boolean;
  /** Frame of the (first) request and of every request including retransmissions. */
  requestFrame: number;
  requestFrames: number[];
  /** From the request when the caller passed it. */
  file: string | undefined;
  kind: 'RRQ' | 'WRQ' | undefined;
  firstTime: number;
  lastTime: number;
  /** Packets matched to the session after the request(s). */
  packets: number;
  /** Packets to the client endpoint from another server TID once one was learnt (not matched). */
  strayPackets: number;
  /** Settled: the client has sent to the learnt TID (it took that answer, so the transfer runs
   *  there) or an ERROR ended the transfer. A request repeated before then is a retransmission. */
  clientSpoke: boolean;
  /** Before the client spoke: the first other TID that answered (a retransmitted request), which
   *  the client may take instead when it never got the first answer. */
  altPort: number | null;
  altAddr: string | null;
}

export interface TftpTrackerOptions {
  /** Seconds without a packet before `expire` drops a session (default 30). */
  idleTimeout?: number;
  /** Most sessions kept; the oldest is evicted beyond it (default 65536). */
  maxSessions?: number;
}

type EndpointKey = number | string;

/** The addresses and ports of the datagram being matched, as the frame dissector holds them
 *  (`src4`/`dst4`: IPv4 addresses as 32-bit numbers, -1 over IPv6). */
export interface TftpDatagram {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly src4: number;
  readonly dst4: number;
}

/** Slots of the IPv4 look-up cache (a power of two). */
const CACHE_SLOTS = 256;

/** Numeric key for a dotted-quad IPv4 address and port, string key otherwise. */
function endpointKey(addr: string, port: number): EndpointKey {
  let v = 0;
  let part = 0;
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < addr.length; i++) {
    const c = addr.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return addr + '#' + port;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else {
      return addr + '#' + port;
    }
  }
  if (dots !== 3 || digits === 0 || part > 255) return addr + '#' + port;
  return (v * 256 + part) * 65536 + port;
}

export class TftpSessionTracker {
  private readonly idleTimeout: number;
  private readonly maxSessions: number;
  /** Client endpoint → session. Insertion order = creation order (for eviction). */
  private readonly byClient = new Map<EndpointKey, TftpSession>();
  private readonly evicted: TftpSession[] = [];
  private nextId = 1;
  /** IPv4 endpoint → session (or none) as `byClient` said since it last changed: a direct-mapped
   *  cache in front of it. An IPv4 key (addr * 65536 + port) is past the small-integer range, so a
   *  Map look-up boxes it (a heap number per look-up, two per TFTP block); this compares doubles. */
  private readonly cacheKeys = new Float64Array(CACHE_SLOTS).fill(-1);
  private readonly cacheSessions: (TftpSession | undefined)[] = new Array<TftpSession | undefined>(CACHE_SLOTS).fill(undefined);

  constructor(opts: TftpTrackerOptions = {}) {
    this.idleTimeout = opts.idleTimeout ?? 30;
    this.maxSessions = Math.max(1, opts.maxSessions ?? 65536);
  }

  get size(): number {
    return this.byClient.size;
  }

  /**
   * A RRQ/WRQ to port 69. A repeat from the same client endpoint to the same server before the
   * client has sent anything to the server's answer is a retransmission of the same session (its
   * timer may fire before it reads an answer already on the wire) unless the idle timeout has passed
   * since (a ROM that reuses its port after a reboot); otherwise a new session replaces whatever
   * that endpoint had.
   */
  noteRequest(
    clientAddr: string, clientPort: number, serverAddr: string, time: number, frame: number,
    file?: string, kind?: 'RRQ' | 'WRQ',
  ): TftpSession {
    const key = endpointKey(clientAddr, clientPort);
    const old = this.byClient.get(key);
    if (old && !old.clientSpoke && old.serverAddr === serverAddr
      && (old.serverPort === null || time - old.lastTime <= this.idleTimeout)
      && (file === undefined || old.file === undefined || old.file === file)) {
      old.requestFrames.push(frame);
      old.lastTime = time;
      if (old.file === undefined) old.file = file;
      if (old.kind === undefined) old.kind = kind;
      return old;
    }
    if (old) this.byClient.delete(key);
    else if (this.byClient.size >= this.maxSessions) this.evictOldest();
    this.forgetCache();
    const s: TftpSession = {
      id: this.nextId++,
      clientAddr, clientPort, serverAddr,
      replyAddr: null, serverPort: null, replyAddrDiffers: false,
      requestFrame: frame, requestFrames: [frame],
      file, kind,
      firstTime: time, lastTime: time, packets: 0, strayPackets: 0, clientSpoke: false, altPort: null, altAddr: null,
    };
    this.byClient.set(key, s);
    return s;
  }

  /**
   * Any other UDP packet: the transfer it belongs to, or null. `srcV4`/`dstV4` are the addresses
   * as 32-bit numbers when the caller has them (IPv4), else -1: the per-packet path then skips
   * reading the text back into a number. `ackOrError`: the payload is a well-formed TFTP ACK
   * (4 bytes) or ERROR, the only packets a client sends a server TID on a read.
   */
  match(
    srcAddr: string, srcPort: number, dstAddr: string, dstPort: number, time: number,
    srcV4 = -1, dstV4 = -1, ackOrError = false,
  ): TftpSession | null {
    return this.matchDatagram({ src: srcAddr, dst: dstAddr, srcPort, dstPort, src4: srcV4, dst4: dstV4 }, { time }, ackOrError);
  }

  /** `match` for the decode pipeline: addresses and time read from its objects (the dissector's
   *  slots, the record), not passed as numbers (a double passed to a call is boxed: three heap
   *  numbers per TFTP block). */
  matchDatagram(f: TftpDatagram, at: { readonly time: number }, ackOrError = false): TftpSession | null {
    const srcAddr = f.src;
    const dstAddr = f.dst;
    const srcPort = f.srcPort;
    const dstPort = f.dstPort;
    const time = at.time;
    // Server → client: the client endpoint is the destination.
    let s = this.find(dstAddr, dstPort, f.dst4);
    if (s) {
      if (s.serverPort === null) {
        // First answer: learn the server TID, from any address (multi-homed servers).
        s.serverPort = srcPort;
        s.replyAddr = srcAddr;
        s.replyAddrDiffers = srcAddr !== s.serverAddr;
        return touch(s, time);
      }
      if (s.serverPort === srcPort && s.replyAddr === srcAddr) return touch(s, time);
      // Another TID writing to the client: e.g. a second server process answering a retransmitted
      // request (RFC 1350 §4: the client should answer ERROR 5). Counted, not matched.
      s.strayPackets++;
      if (!s.clientSpoke && s.altPort === null) {
        s.altPort = srcPort;
        s.altAddr = srcAddr;
      }
    }
    // Client → server on the learnt 4-tuple.
    s = this.find(srcAddr, srcPort, f.src4);
    if (!s) return null;
    if (s.serverPort === dstPort && s.replyAddr === dstAddr) {
      s.clientSpoke = true;
      return touch(s, time);
    }
    if (s.serverPort === null && ackOrError && dstAddr === s.serverAddr && dstPort >= FIRST_EPHEMERAL_TID) {
      // The client writes to a server TID no answer in the capture showed (a capture of the
      // client's direction only): it learnt it from that answer, so this is the transfer. Only a
      // TFTP-shaped packet to a port outside the well-known range: the same source port also
      // sends DNS or syslog to that host on some ROMs.
      s.serverPort = dstPort;
      s.replyAddr = dstAddr;
      s.clientSpoke = true;
      return touch(s, time);
    }
    if (!s.clientSpoke && s.altPort === dstPort && s.altAddr === dstAddr) {
      // The client took the answer to its retransmitted request (it missed the first one).
      s.serverPort = dstPort;
      s.replyAddr = dstAddr;
      s.replyAddrDiffers = dstAddr !== s.serverAddr;
      s.clientSpoke = true;
      return touch(s, time);
    }
    return null;
  }

  /** An ERROR from either side ends the transfer (RFC 1350 §7): a later request from that
   *  endpoint is a new transfer, never a retransmission of this one (a phone asking again for a
   *  file it was told is missing, from the same port). */
  noteError(s: TftpSession): void {
    s.clientSpoke = true;
  }

  /** Sessions idle for longer than the timeout (and any evicted since the last call), removed. */
  expire(now: number): TftpSession[] {
    const out = this.evicted.splice(0);
    // forEach, not for-of: no [key, value] array per open session at every sweep (deleting the
    // entry being visited is allowed).
    this.byClient.forEach((s, key) => {
      if (now - s.lastTime > this.idleTimeout) {
        this.byClient.delete(key);
        out.push(s);
      }
    });
    if (out.length > 0) this.forgetCache();
    return out;
  }

  private evictOldest(): void {
    const first = this.byClient.entries().next();
    if (first.done) return;
    this.byClient.delete(first.value[0]);
    this.evicted.push(first.value[1]);
    this.forgetCache();
  }

  private forgetCache(): void {
    this.cacheKeys.fill(-1);
    this.cacheSessions.fill(undefined);
  }

  /** The session of client endpoint (addr, port); `v4` the address as a number, or -1. */
  private find(addr: string, port: number, v4: number): TftpSession | undefined {
    if (v4 < 0) return this.byClient.get(endpointKey(addr, port));
    const key = v4 * 65536 + port;
    const slot = (Math.imul(v4 | 0, 0x9e3779b1) ^ Math.imul(port, 0x85ebca6b)) >>> 24;
    if (this.cacheKeys[slot] === key) return this.cacheSessions[slot];
    const s = this.byClient.get(key);
    this.cacheKeys[slot] = key;
    this.cacheSessions[slot] = s;
    return s;
  }
}

function touch(s: TftpSession, time: number): TftpSession {
  s.packets++;
  if (time > s.lastTime) s.lastTime = time;
  return s;
}
