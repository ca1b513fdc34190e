/**
 * Path-MTU facts ("big files hang"): IP datagrams that arrived in fragments and never whole, ICMP
 * "fragmentation needed" / ICMPv6 "packet too big", and TCP segments sent again and again and
 * never acknowledged (a PMTU black hole). Fed by the decode pipeline's fragment / tcpSegment
 * hooks and by ICMP errors; each record is filed under the chain key of the device it concerns
 * (the receiver of the big packets), resolved by the builder. Bounded: a flood of fragments or
 * connections keeps the newest state only.
 * Facts belong to the boot they happened in: a machine that reboots (a new DISCOVER/SOLICIT,
 * `startOver`) starts new fragment records, and a SYN on a connection that carried data starts a
 * new one (a rebooted client reuses its port and often its ISN), so each boot is judged on its own.
 */
import type { FragmentSeen, IcmpDecoded, TcpSegmentSeen } from '../decode/messages.js';
import { IcmpType, IcmpUnreachCode } from '../wire/icmp.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import { TcpFlag } from '../wire/tcp.js';

/** Datagrams of one sender to one receiver that came in fragments. */
export interface FragmentLossFact {
  ipVersion: 4 | 6;
  sender: string;
  receiver: string;
  /** Fragmented datagrams seen (at least one fragment), whole ones, and those never whole. */
  datagrams: number;
  completed: number;
  lost: number;
  /** Of the lost ones: how many never showed their first fragment (offset 0). */
  lostFirst: number;
  /** Time and frames of the first lost datagrams (a sample). */
  first: number;
  frames: number[];
  /** Size of a lost datagram's data when its last fragment arrived (offset + length), else null. */
  lostSize: number | null;
  /** Largest IP packet of these fragments that reached the capture point. */
  largestArrived: number;
  /** The sender's fragment size (IP packet bytes of a non-last fragment), seen or inferred from
   *  where the last fragment starts; null when unknown. */
  senderFragment: number | null;
}

/** An ICMP "fragmentation needed" (v4 type 3 code 4) or ICMPv6 "packet too big" (type 2). */
export interface TooBigFact {
  ipVersion: 4 | 6;
  /** Who sent the ICMP (a router on the path). */
  reporter: string;
  /** The MTU it names (0: a router that did not say, RFC 1191 older routers). */
  mtu: number;
  /** The packet it refused. */
  src: string;
  dst: string;
  protocol: number;
  srcPort: number | null;
  dstPort: number | null;
  frame: number;
  time: number;
}

/** A TCP segment at the receiver's acknowledgement point sent again and again, never acknowledged. */
export interface BlackHoleFact {
  sender: string;
  senderPort: number;
  receiver: string;
  receiverPort: number;
  /** Bytes into the sender's stream (relative to its SYN when seen). */
  offset: number;
  dataLength: number;
  packetLength: number;
  /** Times it was sent (the first send counted). */
  sends: number;
  frames: number[];
  first: number;
  last: number;
  /** Largest data segment of the direction (a full-size segment has this length). */
  largestSegment: number;
  /** The receiver sent an ACK after the resends began: it was there, the segment did not reach it.
   *  False where the capture (or the receiver) stops at the stall. */
  receiverAnswered: boolean;
  /** The capture holds the receiver's side of the connection (false in a capture of one side only). */
  receiverSeen: boolean;
}

export interface MtuFacts {
  fragments: FragmentLossFact[];
  tooBig: TooBigFact[];
  blackHoles: BlackHoleFact[];
}

/** Seconds a datagram may wait for its fragments before it counts as lost (when published). */
const FRAGMENT_WAIT_S = 2;
const MAX_PENDING = 1024;
const MAX_DIRECTIONS = 4096;
const MAX_PER_KEY = 16;
const MAX_FRAMES = 8;
/** Common link MTUs, largest first: the sender's fragment size is inferred from them. */
const COMMON_MTUS = [9000, 1500, 1492, 1480, 1460, 1400, 1380, 1280, 1000];
/** A segment sent this many times at the acknowledgement point is a stall. */
const STALL_SENDS = 3;
const TCP_SYN = TcpFlag.SYN;
const TCP_RST = TcpFlag.RST;
const TCP_ACK = TcpFlag.ACK;

interface Pending {
  pair: PairRecord;
  id: number;
  first: number;
  last: number;
  frames: number[];
  sawFirst: boolean;
  /** offset + length of the last fragment (more=false), -1 before. */
  end: number;
  lastOffset: number;
}

interface PairRecord {
  /** Chain key it is filed under and that device's boot (`startOver` count) when it began. */
  key: string;
  boot: number;
  ipVersion: 4 | 6;
  sender: string;
  receiver: string;
  datagrams: number;
  completed: number;
  /** Lost for good (expired, evicted). */
  lost: Pending[];
  lostCount: number;
  largestArrived: number;
  senderFragment: number | null;
}

/** An endpoint as a map key: IPv4 address and port as one number (< 2^48), else text. */
type EndpointKey = number | string;

function endpointKey(addr4: number, addr: string, port: number): EndpointKey {
  return addr4 >= 0 ? addr4 * 65536 + port : `${addr}|${port}`;
}

interface Direction {
  /** Sender and receiver endpoint keys (the index is sender → receiver → direction). */
  sk: EndpointKey;
  rk: EndpointKey;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  isn: number | null;
  sndMax: number;
  sndMaxValid: boolean;
  /** The receiver's highest acknowledgement. */
  ack: number;
  ackValid: boolean;
  largest: number;
  stall: { seq: number; len: number; packet: number; sends: number; frames: number[]; first: number; last: number; answered: boolean } | null;
  /** Filed under the receiver's chain key (once, at its first stall). */
  filed: boolean;
  /** The opposite direction of the connection, once both were seen. */
  peer: Direction | null;
  /** A segment of the receiver acknowledged this direction (it stays so when a new connection on
   *  the ports unlinks the peer): false in a capture of the sender's side only. */
  peerSeen: boolean;
}

/** `a - b` in 32-bit sequence space, signed. */
const seqDiff = (a: number, b: number): number => (a - b) | 0;

export class MtuTracker {
  private readonly pending = new Map<string, Pending>();
  private readonly pairs = new Map<string, PairRecord>();
  private readonly pairsByKey = new Map<string, PairRecord[]>();
  private readonly tooBig = new Map<string, TooBigFact[]>();
  /** Every direction, oldest first (eviction); looked up through `bySender`. */
  private readonly dirs = new Set<Direction>();
  private readonly bySender = new Map<EndpointKey, Map<EndpointKey, Direction>>();
  private readonly stallsByKey = new Map<string, Direction[]>();
  /** Chain key → boots started (a device absent has started none). */
  private readonly boots = new Map<string, number>();
  private now = 0;

  /** `keyOf(addr)`: the chain key of the device using an address now. */
  constructor(private readonly keyOf: (addr: string) => string) {}

  /** The device started a new boot (a new DHCP DISCOVER / SOLICIT): its records so far are
   *  closed, what follows is the new boot's. */
  startOver(key: string): void {
    if (!this.boots.has(key) && !this.pairsByKey.has(key)) return; // nothing recorded to close
    this.boots.set(key, (this.boots.get(key) ?? 0) + 1);
  }

  fragment(f: FragmentSeen): void {
    this.now = f.time;
    const pk = `${f.src}|${f.dst}`;
    let pair = this.pairs.get(pk);
    if (pair && pair.boot !== (this.boots.get(pair.key) ?? 0)) {
      this.closePair(pk, pair);
      pair = undefined;
    }
    if (!pair) {
      const key = this.keyOf(f.dst);
      pair = { key, boot: this.boots.get(key) ?? 0, ipVersion: f.ipVersion, sender: f.src, receiver: f.dst, datagrams: 0, completed: 0, lost: [], lostCount: 0, largestArrived: 0, senderFragment: null };
      this.pairs.set(pk, pair);
      this.file(this.pairsByKey, key, pair);
    }
    if (f.packetLength > pair.largestArrived) pair.largestArrived = f.packetLength;
    if (f.more && f.offset === 0) pair.senderFragment = Math.max(pair.senderFragment ?? 0, f.packetLength);
    const dk = `${pk}|${f.id}`;
    let p = this.pending.get(dk);
    if (!p) {
      pair.datagrams++;
      if (this.pending.size >= MAX_PENDING) this.loseOldest();
      p = { pair, id: f.id, first: f.time, last: f.time, frames: [], sawFirst: false, end: -1, lastOffset: -1 };
      this.pending.set(dk, p);
    }
    p.last = f.time;
    if (p.frames.length < MAX_FRAMES) p.frames.push(f.frame);
    if (f.offset === 0) p.sawFirst = true;
    if (!f.more) {
      p.end = f.offset + f.dataLength;
      p.lastOffset = f.offset;
    }
    if (f.completed) {
      pair.completed++;
      this.pending.delete(dk);
    } else if (this.pending.size > 64) this.expire(f.time - 30);
  }

  /** ICMP fragmentation needed / packet too big: filed under the device the refused packet was for. */
  icmp(m: IcmpDecoded): void {
    const tooBig = m.ipVersion === 4 ? m.type === IcmpType.DEST_UNREACHABLE && m.code === IcmpUnreachCode.FRAG_NEEDED : m.type === Icmpv6Type.PACKET_TOO_BIG;
    const q = m.quoted;
    if (!tooBig || !q) return;
    this.now = m.time;
    const mtu = m.ipVersion === 4 ? m.msg.rest & 0xffff : m.msg.rest >>> 0;
    const fact: TooBigFact = {
      ipVersion: m.ipVersion, reporter: m.srcAddr, mtu, src: q.src, dst: q.dst, protocol: q.protocol,
      srcPort: q.srcPort, dstPort: q.dstPort, frame: m.frame, time: m.time,
    };
    const key = this.keyOf(q.dst);
    let list = this.tooBig.get(key);
    if (!list) this.tooBig.set(key, (list = []));
    if (list.length < MAX_PER_KEY) list.push(fact);
  }

  tcpSegment(s: TcpSegmentSeen): void {
    this.now = s.time;
    const len = s.dataLength;
    const syn = (s.flags & TCP_SYN) !== 0;
    let d: Direction | undefined;
    // Endpoints as numbers on IPv4: no string per segment (a text key only on IPv6).
    const sk = endpointKey(s.src4, s.src, s.srcPort);
    const rk = endpointKey(s.dst4, s.dst, s.dstPort);
    if (len > 0 || syn) {
      // A sender's own direction; its peer's is linked once found.
      d = this.bySender.get(sk)?.get(rk);
      // A SYN on a direction that sent data or another ISN: a new connection on the same ports
      // (a rebooted client). Its stall, if filed, stays with the old one.
      if (d && syn && (d.isn !== s.seq || d.largest > 0)) {
        if (d.peer) d.peer.peer = null;
        this.deleteDirection(d);
        d = undefined;
      }
      if (!d) {
        if (this.dirs.size >= MAX_DIRECTIONS) this.dropOldestDirection();
        d = { sk, rk, src: s.src, srcPort: s.srcPort, dst: s.dst, dstPort: s.dstPort, isn: null, sndMax: 0, sndMaxValid: false, ack: 0, ackValid: false, largest: 0, stall: null, filed: false, peer: null, peerSeen: false };
        this.addDirection(d);
      }
      if (syn) {
        d.isn = s.seq;
        d.sndMax = (s.seq + 1) | 0;
        d.sndMaxValid = true;
      }
      if (len > 0) this.data(d, s, len);
    }
    if ((s.flags & TCP_ACK) === 0 || (s.flags & TCP_RST) !== 0) return;
    // The acknowledged direction: the peer of this segment's sender.
    let r: Direction | undefined | null = d?.peer;
    if (!r) {
      r = this.bySender.get(rk)?.get(sk);
      if (r && d) { d.peer = r; r.peer = d; }
    }
    if (!r) return;
    r.peerSeen = true; // its receiver's segments are in the capture
    if (r.stall && s.time >= r.stall.first) r.stall.answered = true;
    if (!r.ackValid || seqDiff(s.ack, r.ack) > 0) {
      r.ack = s.ack;
      r.ackValid = true;
      if (r.stall && seqDiff(s.ack, r.stall.seq) > 0) r.stall = null; // it got through in the end
    }
  }

  private data(d: Direction, s: TcpSegmentSeen, len: number): void {
    if (len > d.largest) d.largest = len;
    const end = (s.seq + len) | 0;
    if (d.sndMaxValid && seqDiff(end, d.sndMax) <= 0) {
      // Sent before: a retransmission. Only the one at the receiver's acknowledgement point
      // (the oldest unacknowledged byte) matters: the stream cannot move past it.
      const st = d.stall;
      if (st && st.seq === s.seq) {
        st.sends++;
        st.last = s.time;
        if (len > st.len) { st.len = len; st.packet = s.packetLength; }
        if (st.frames.length < MAX_FRAMES) st.frames.push(s.frame);
      } else if (!d.ackValid || d.ack === s.seq) {
        d.stall = { seq: s.seq, len, packet: s.packetLength, sends: 2, frames: [s.frame], first: s.time, last: s.time, answered: false };
      }
      if (d.stall && d.stall.sends >= STALL_SENDS && !d.filed) {
        d.filed = true;
        this.file(this.stallsByKey, this.keyOf(d.dst), d);
      }
      return;
    }
    d.sndMax = end;
    d.sndMaxValid = true;
  }

  /** The facts of one device (chain key), null when there are none. */
  factsFor(key: string): MtuFacts | null {
    const pairs = this.pairsByKey.get(key);
    const tooBig = this.tooBig.get(key);
    const stalls = this.stallsByKey.get(key);
    if (!pairs && !tooBig && !stalls) return null;
    const fragments: FragmentLossFact[] = [];
    for (const p of pairs ?? []) {
      const f = this.publishPair(p);
      if (f) fragments.push(f);
    }
    const blackHoles: BlackHoleFact[] = [];
    for (const d of stalls ?? []) {
      const st = d.stall;
      if (!st || st.sends < STALL_SENDS) continue;
      blackHoles.push({
        sender: d.src, senderPort: d.srcPort, receiver: d.dst, receiverPort: d.dstPort,
        offset: d.isn === null ? 0 : seqDiff(st.seq, (d.isn + 1) | 0) >>> 0,
        dataLength: st.len, packetLength: st.packet, sends: st.sends, frames: [...st.frames], first: st.first, last: st.last,
        largestSegment: d.largest, receiverAnswered: st.answered, receiverSeen: d.peerSeen,
      });
    }
    if (fragments.length === 0 && blackHoles.length === 0 && !tooBig) return null;
    return { fragments, tooBig: tooBig ? tooBig.map((t) => ({ ...t })) : [], blackHoles };
  }

  /** A device left the builder: its records go too. */
  forget(key: string): void {
    for (const p of this.pairsByKey.get(key) ?? []) {
      const pk = `${p.sender}|${p.receiver}`;
      if (this.pairs.get(pk) === p) this.pairs.delete(pk);
      for (const [k, x] of this.pending) if (x.pair === p) this.pending.delete(k);
    }
    for (const d of this.stallsByKey.get(key) ?? []) {
      if (d.peer) d.peer.peer = null;
      this.deleteDirection(d);
    }
    this.pairsByKey.delete(key);
    this.boots.delete(key);
    this.tooBig.delete(key);
    this.stallsByKey.delete(key);
  }

  /** A pair whose device rebooted: what still waits for fragments is lost, later fragments start a
   *  new record (the same IP ids come again from a re-seeded stack). */
  private closePair(pk: string, p: PairRecord): void {
    this.pairs.delete(pk);
    for (const [k, x] of this.pending) {
      if (x.pair !== p) continue;
      this.lose(x);
      this.pending.delete(k);
    }
  }

  private publishPair(p: PairRecord): FragmentLossFact | null {
    // Datagrams still waiting count as lost once they waited long enough (a snapshot: nothing moves).
    const waiting: Pending[] = [];
    for (const x of this.pending.values()) if (x.pair === p && this.now - x.last >= FRAGMENT_WAIT_S) waiting.push(x);
    const lost = [...p.lost, ...waiting];
    if (p.datagrams === 0) return null;
    const sample = lost.slice(0, 4);
    const known = lost.find((x) => x.end > 0);
    return {
      ipVersion: p.ipVersion, sender: p.sender, receiver: p.receiver,
      datagrams: p.datagrams, completed: p.completed, lost: p.lostCount + waiting.length,
      lostFirst: lost.filter((x) => !x.sawFirst).length,
      first: sample[0]?.first ?? 0,
      frames: sample.flatMap((x) => x.frames).slice(0, 16),
      lostSize: known ? known.end : null,
      largestArrived: p.largestArrived,
      senderFragment: p.senderFragment ?? inferFragment(p.ipVersion, lost.find((x) => x.lastOffset > 0)?.lastOffset ?? 0),
    };
  }

  private expire(before: number): void {
    for (const [k, x] of this.pending) {
      if (x.last >= before) continue;
      this.lose(x);
      this.pending.delete(k);
    }
  }

  private loseOldest(): void {
    const first = this.pending.entries().next();
    if (first.done) return;
    this.lose(first.value[1]);
    this.pending.delete(first.value[0]);
  }

  private lose(x: Pending): void {
    x.pair.lostCount++;
    if (x.pair.lost.length < 4) x.pair.lost.push(x);
  }

  private dropOldestDirection(): void {
    const first = this.dirs.values().next();
    if (first.done) return;
    const d = first.value;
    if (d.peer) d.peer.peer = null;
    this.deleteDirection(d);
  }

  private addDirection(d: Direction): void {
    let to = this.bySender.get(d.sk);
    if (!to) this.bySender.set(d.sk, (to = new Map()));
    to.set(d.rk, d);
    this.dirs.add(d);
  }

  /** Out of the index, if it is still the one there (a newer one may have replaced it). */
  private deleteDirection(d: Direction): void {
    if (!this.dirs.delete(d)) return;
    const to = this.bySender.get(d.sk);
    if (to?.get(d.rk) !== d) return;
    to.delete(d.rk);
    if (to.size === 0) this.bySender.delete(d.sk);
  }

  private file<T>(m: Map<string, T[]>, key: string, x: T): void {
    let list = m.get(key);
    if (!list) m.set(key, (list = []));
    if (list.length < MAX_PER_KEY) list.push(x);
  }
}

/** The sender's fragment size (IP packet bytes) from where its last fragment starts: the largest
 *  common MTU whose fragment payload divides that offset. */
export function inferFragment(ipVersion: 4 | 6, lastOffset: number): number | null {
  if (lastOffset <= 0) return null;
  const header = ipVersion === 4 ? 20 : 48;
  for (const mtu of COMMON_MTUS) {
    const data = (mtu - header) & ~7;
    if (lastOffset % data === 0) return ipVersion === 4 ? 20 + data : 48 + data;
  }
  return null;
}
