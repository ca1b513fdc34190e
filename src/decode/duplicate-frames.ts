/**
 * Mirror-port duplicates: a SPAN port that mirrors both directions of two switch ports, or a
 * capture on a bridge and one of its members, records every frame twice, microseconds apart.
 * Analyzed as they are, every DHCP message looks retransmitted and every TFTP block sent again
 * (what Wireshark users remove with `editcap -d`). `DuplicateFrameFilter` recognises the second
 * copy so the decode pipeline can drop it before anything is decoded from it.
 *
 * The rule: a frame is a copy when its network-layer packet (from the IP header on) is
 * byte-identical to that of one of the last `DUPLICATE_DEPTH` frames kept, at most
 * `DUPLICATE_WINDOW_S` apart (either way: a copy may carry a µs earlier timestamp). What two mirror points may legitimately change is left out: the
 * link header and VLAN tags (one copy tagged on a trunk, the other not), the IPv4 TTL and header
 * checksum, the IPv6 hop limit (copies taken on both sides of a router). A frame that is not IP
 * (ARP, LLDP…) must match from the end of the link header (same EtherType), padding included.
 * One exception: when the other end (destination and source swapped, or the destination MAC;
 * anyone else for a broadcast or multicast) sent a packet in between,
 * the repeat may answer it (a host answers each of two Neighbor Solicitations with the same
 * Neighbor Advertisement, 0.3 ms apart, in captures/lab-v6/), so it is a copy only when it comes
 * no later than the copies of this capture came so far (twice the largest gap of the last 8 taken
 * with no word from the other end in between): a mirror that copies later than a fast peer
 * answers (20 µs against a veth peer's 18) still loses all its copies, a capture that has shown
 * no copy at a measurable delay (none yet, or all timestamps equal) keeps every answer.
 *
 * Cost per frame: a fingerprint from 7 words of the packet (length, IPv4 id, addresses, two
 * transport words — the UDP checksum over the whole payload or the TCP sequence and checksum —
 * and the last word), a look-up of the kept frames with the same fingerprint bucket (a hash chain,
 * usually empty), and one copy of the frame into a preallocated slab (the reader reuses its
 * buffer). The full byte comparison runs only for a fingerprint that matches. No allocation per
 * frame (but for a frame longer than a slot, once per size). Pure: no I/O, time from records.
 */
import type { FrameDissector } from '../wire/frame/dissect.js';
import type { WireIssue } from '../wire/issues.js';
import { IPV6_HEADER } from '../wire/ipv6.js';
import { u32 } from '../wire/bytes.js';
import { IpProtocol } from '../wire/ip-protocol.js';

/** The number and time of a frame (a capture record). */
export interface FrameAt {
  readonly frame: number;
  readonly time: number;
}

/**
 * How close in time the copies must be. Two mirror copies are apart by the switch's forwarding
 * and SPAN-queue latency, or the kernel's bridge path: microseconds, a millisecond or two on a
 * congested mirror port. A real retransmission waits for a timer first: TFTP ≥ 250 ms (iPXE's
 * shortest, 1 s in RFC 2349 and most servers), DHCPv4 4 s (RFC 2131), DHCPv6 ≥ 0.9 s (RFC 8415),
 * TCP RTO ≥ 200 ms (Linux; 1 s in RFC 6298), ND 1 s — fifty times longer at least. (A TCP fast
 * retransmit is not timed, but its IPv4 id and TCP timestamp differ from the original's.)
 */
export const DUPLICATE_WINDOW_S = 0.005;
/** How many of the latest kept frames a copy is looked for among (copies are adjacent or nearly). */
export const DUPLICATE_DEPTH = 32;
/** The layer of the filter's warning: capture findings name it `capture.duplicate-frames`. */
export const DUPLICATE_LAYER = 'duplicate-frames';
/** Duplicate frames named in the warning, with the frames they copy. */
const LISTED = 5;
/** A slab slot holds a frame up to this long; a longer one (jumbo, GRO-merged) gets its own buffer. */
const SLOT_BYTES = 2048;
/** Fingerprint buckets of the hash chains (a power of two, well above DUPLICATE_DEPTH). */
const BUCKETS = 256;
/** The mirror's delay is the largest gap of this many latest copies made with no word from the
 *  other end in between; a copy past the other end's word may be this many times as late (jitter). */
const MIRROR_DELAYS = 8;
const MIRROR_DELAY_SLACK = 2;
/** Buckets of the (source, destination) pairs whose latest kept frame is remembered (a power of
 *  two; a collision only ever keeps a copy, never drops a frame). */
const DIRECTIONS = 1024;

/** What the compared region is (slots with a different kind never match). */
const enum Kind {
  Empty = 0,
  Ipv4 = 4,
  Ipv6 = 6,
  /** Not IP: `kinds` holds OtherBase + EtherType (OtherBase - 1 when the link did not say). */
  OtherBase = 16,
}

export class DuplicateFrameFilter {
  private readonly times = new Float64Array(DUPLICATE_DEPTH);
  private readonly frames = new Float64Array(DUPLICATE_DEPTH);
  private readonly keys = new Int32Array(DUPLICATE_DEPTH);
  private readonly kinds = new Int32Array(DUPLICATE_DEPTH);
  /** The compared region of each kept frame: its offset in the slot's copy, and its length. */
  private readonly starts = new Int32Array(DUPLICATE_DEPTH);
  private readonly lengths = new Int32Array(DUPLICATE_DEPTH);
  private readonly slab = new Uint8Array(DUPLICATE_DEPTH * SLOT_BYTES);
  /** 1 when slot i's copy is in the slab, 0 when in `big[i]`. */
  private readonly inSlab = new Uint8Array(DUPLICATE_DEPTH);
  /** Per slot, a buffer for frames longer than SLOT_BYTES (grown, then reused). */
  private readonly big: (Uint8Array | null)[] = new Array<Uint8Array | null>(DUPLICATE_DEPTH).fill(null);
  /** Kept frames so far: kept frame number n (from 0) lives in slot n % DUPLICATE_DEPTH. */
  private kept = 0;
  /** Hash chains over the slots (as in LZ77 matchers), so a frame is compared only with kept
   *  frames of the same fingerprint bucket: per bucket the newest kept number (-1: none), per slot
   *  the next older kept number in its bucket. A number older than DUPLICATE_DEPTH is stale. */
  private readonly heads = new Float64Array(BUCKETS).fill(-1);
  private readonly older = new Float64Array(DUPLICATE_DEPTH);
  /** Per (source, destination) bucket, the kept number of its latest IP packet (-1: none). */
  private readonly lastFrom = new Float64Array(DIRECTIONS).fill(-1);
  /** Per slot, the source MAC of the kept frame (the dissector's string, not copied; null: none). */
  private readonly macs: (string | null)[] = new Array<string | null>(DUPLICATE_DEPTH).fill(null);
  /** Per slot, 1 when the kept frame came out of a tunnel (a remote mirror's network, not the
   *  collector's: a piece of a fragmented tunnel packet answers no host inside it). */
  private readonly tunnelled = new Uint8Array(DUPLICATE_DEPTH);
  /** The gaps of the latest copies with no word from the other end in between (0: none yet). */
  private readonly delays = new Float64Array(MIRROR_DELAYS);
  private delayCount = 0;
  /** Kept numbers below this one are forgotten (`clockJumped`). */
  private since = 0;
  /** The frame being looked at (`locateIp`/`locateOther`): the kind and [start, end) of its
   *  compared region, its fingerprint, and its direction buckets (-1: not IP). Fields, not a
   *  returned object: nothing is allocated per frame. */
  private kind = 0;
  private start = 0;
  private end = 0;
  private key = 0;
  private dir = -1;
  private back = -1;
  /** Frames recognised as copies. */
  count = 0;
  /** The first LISTED copies and the frames they copy. */
  readonly listed: { frame: number; of: number }[] = [];

  /**
   * Is the frame `d` has just dissected (number and time in `at`) a mirror copy of a recent one? Then it is counted and
   * should be dropped; otherwise it is remembered (copied) for the frames that follow.
   */
  isCopy(d: FrameDissector, at: FrameAt): boolean {
    // The record, not its time as an argument: a double passed to a call is boxed (a heap number
    // per frame, 15 MB over the 1M-frame bench capture); read from the object it stays unboxed.
    const buf = d.frame;
    if (d.ipVersion !== 0) this.locateIp(buf, d.ipVersion, d.ipOffset, d.ipLength);
    else this.locateOther(buf, d);
    const kind = this.kind;
    const start = this.start;
    const length = this.end - start;
    if (length < minimumSpan(kind, buf, start, this.end)) {
      // The IP length field does not delimit the packet: IPv4 total length 0 or shorter than its
      // header (TSO/LSO super-frames captured on the sending host), IPv6 payload length 0 but for
      // a packet with no next header (a jumbogram), or the header cut short. Compared over that
      // span, unrelated frames of one host would all be 'copies'. Comparing the whole frame
      // instead would guess at what the packet is; such frames come from captures on the sender,
      // not from a mirror port, so they are never a copy nor a candidate. They still tell that
      // their sender spoke (a number above every kept one, below the next).
      if (this.dir >= 0) this.lastFrom[this.dir] = this.kept - 0.5;
      return false;
    }
    // `at`, not its time, to the calls below: a double passed to a call that is not inlined is
    // boxed (a heap number per frame).
    const n = this.samePacketWithinWindow(buf, at);
    const tunnelled = d.tunnel !== null ? 1 : 0;
    if (n >= 0 && this.copiedByMirror(n, at.time, d.srcMac, d.dstMac, tunnelled)) {
      this.count++;
      if (this.listed.length < LISTED) this.listed.push({ frame: at.frame, of: this.frames[n % DUPLICATE_DEPTH]! });
      return true;
    }
    const kept = this.keep(buf, at, kind, this.key, start, length);
    this.macs[kept % DUPLICATE_DEPTH] = d.srcMac;
    this.tunnelled[kept % DUPLICATE_DEPTH] = tunnelled;
    if (this.dir >= 0) this.lastFrom[this.dir] = kept;
    return false;
  }

  /**
   * The compared region of an IP packet (from its header to its total length) and its
   * fingerprint: length, IPv4 id + fragment field / IPv6 flow label, the addresses (low words for
   * IPv6), two transport words (UDP length + checksum or TCP sequence; the TCP checksum or UDP
   * payload bytes) and the last word. TTL, hop limit, header checksum left out. Also the
   * (source, destination) and (destination, source) buckets.
   */
  private locateIp(buf: Uint8Array, version: number, start: number, ipLength: number): void {
    let end = Math.min(buf.length, start + ipLength);
    if (end < start) end = start;
    let from: number;
    let to: number;
    let t: number;
    let h: number;
    if (version === Kind.Ipv4) {
      from = word(buf, start + 12, end);
      to = word(buf, start + 16, end);
      h = mix(end - start, word(buf, start + 4, end));
      t = start + (end > start ? (buf[start]! & 0x0f) * 4 : 0);
    } else {
      // The high word tells a link-local address from a global one with the same interface id.
      from = word(buf, start + 8, end) ^ word(buf, start + 20, end);
      to = word(buf, start + 24, end) ^ word(buf, start + 36, end);
      h = mix(end - start, word(buf, start, end));
      t = start + IPV6_HEADER;
    }
    h = mix(mix(h, from), to);
    h = mix(mix(h, word(buf, t + 4, end)), word(buf, t + 16, end));
    this.kind = version;
    this.start = start;
    this.end = end;
    this.key = mix(h, word(buf, end - 4, end));
    this.dir = mix(from, to) & (DIRECTIONS - 1);
    this.back = mix(to, from) & (DIRECTIONS - 1);
  }

  /** A frame that is not IP: compared from the end of the link header (same EtherType), padding included. */
  private locateOther(buf: Uint8Array, d: FrameDissector): void {
    this.kind = Kind.OtherBase + (d.linkOk ? d.etherType : -1);
    this.start = d.linkOk ? d.linkPayloadOffset : 0;
    this.end = buf.length;
    this.key = sampleKey(buf, this.start, this.end);
    this.dir = -1;
    this.back = -1;
  }

  /**
   * The newest kept frame that holds the same packet as the located region (the fields mirror
   * points may change left out), at most DUPLICATE_WINDOW_S before or after `time`; -1 if none.
   */
  private samePacketWithinWindow(buf: Uint8Array, at: FrameAt): number {
    const { kind, key, start, end } = this;
    const time = at.time;
    const length = end - start;
    const oldest = Math.max(this.kept - DUPLICATE_DEPTH, this.since);
    for (let n = this.heads[key & (BUCKETS - 1)]!; n >= 0 && n >= oldest; ) {
      const i = n % DUPLICATE_DEPTH;
      const dt = time - this.times[i]!;
      // Older ones are older still: copies follow each other in the file.
      if (dt > DUPLICATE_WINDOW_S) return -1;
      if (this.keys[i] === key && this.kinds[i] === kind && this.lengths[i] === length && dt >= -DUPLICATE_WINDOW_S && this.same(i, buf, start, end, kind)) return n;
      n = this.older[i]!;
    }
    return -1;
  }

  /**
   * Is the repeat of kept frame `n` the mirror's copy rather than a second packet? When the other
   * end spoke in between, it may answer that (a Neighbor Advertisement for each of two Neighbor
   * Solicitations): a copy only as soon as this capture's copies came (none measured yet, all
   * timestamps equal or zero after `editcap -S 0`: an answer). Otherwise a copy, and its gap
   * measures the mirror's delay.
   */
  private copiedByMirror(n: number, time: number, src: string | null, dst: string | null, tunnelled: number): boolean {
    const dt = time - this.times[n % DUPLICATE_DEPTH]!;
    const gap = dt < 0 ? -dt : dt;
    if (this.otherEndSpoke(n, this.back, src, dst, tunnelled)) {
      const delay = this.mirrorDelay();
      return delay !== 0 && gap <= MIRROR_DELAY_SLACK * delay;
    }
    this.delays[this.delayCount++ % MIRROR_DELAYS] = gap;
    return true;
  }

  /**
   * The capture clock jumped (src/capture/clock.ts): the steady timeline joins the two parts with
   * no time between, so frames of either side would look 0 s apart (a file appended to itself:
   * its second part's first frames 'copies' of the first part's). Nothing kept before is matched
   * any more; the mirror delay measured stays (a property of the mirror, not of the clock).
   */
  clockJumped(): void {
    this.since = this.kept;
  }

  /** The copies as a capture warning (layer `duplicate-frames`, offset = the first copy), or none. */
  warnings(): WireIssue[] {
    if (this.count === 0) return [];
    const named = this.listed.map((l) => `${l.frame} (of ${l.of})`).join(', ');
    const more = this.count > this.listed.length ? ` and ${this.count - this.listed.length} more` : '';
    return [{
      kind: 'unsupported', layer: DUPLICATE_LAYER, offset: this.listed[0]!.frame,
      message: `${this.count} frame(s) repeated a frame of at most ${DUPLICATE_WINDOW_S * 1000} ms before, the same IP packet byte for byte (a mirror copy, not a retransmission): frames ${named}${more}`,
    }];
  }

  /**
   * Did the other end speak since kept frame `n`: an IP packet back (destination and source
   * swapped), or a frame from the destination MAC — from any other MAC when the destination is a
   * group (broadcast, multicast). The addresses alone miss a request sent before the client has
   * an address or to a multicast group: a DHCPv4 DISCOVER from 0.0.0.0, a DHCPv6 REQUEST to
   * ff02::1:2, answered by unicast. Runs only for a byte-equal repeat (rare).
   */
  private otherEndSpoke(n: number, back: number, src: string | null, dst: string | null, tunnelled: number): boolean {
    if (back >= 0 && this.lastFrom[back]! > n) return true;
    if (dst === null) return false;
    const group = (Number.parseInt(dst.slice(0, 2), 16) & 1) === 1;
    for (let m = n + 1; m < this.kept; m++) {
      // Only frames of the same network speak: not the collector's (a tunnel packet's pieces) for a mirrored one.
      if (this.tunnelled[m % DUPLICATE_DEPTH] !== tunnelled) continue;
      const mac = this.macs[m % DUPLICATE_DEPTH]!;
      if (group ? mac !== null && mac !== src : mac === dst) return true;
    }
    return false;
  }

  /** How late this capture's mirror copies come (0 before the first one). */
  private mirrorDelay(): number {
    let max = 0;
    for (let k = 0; k < MIRROR_DELAYS; k++) if (this.delays[k]! > max) max = this.delays[k]!;
    return max;
  }

  /** Remembers the frame; returns its kept number. */
  private keep(buf: Uint8Array, at: FrameAt, kind: number, key: number, start: number, length: number): number {
    const n = this.kept++;
    const i = n % DUPLICATE_DEPTH;
    const bucket = key & (BUCKETS - 1);
    this.older[i] = this.heads[bucket]!;
    this.heads[bucket] = n;
    this.times[i] = at.time;
    this.frames[i] = at.frame;
    this.keys[i] = key;
    this.kinds[i] = kind;
    this.lengths[i] = length;
    // The whole frame is copied (a typed-array source copies without a view object per frame).
    if (buf.length <= SLOT_BYTES) {
      this.slab.set(buf, i * SLOT_BYTES);
      this.starts[i] = i * SLOT_BYTES + start;
      this.inSlab[i] = 1;
    } else {
      let b = this.big[i];
      if (!b || b.length < buf.length) b = this.big[i] = new Uint8Array(buf.length);
      b.set(buf, 0);
      this.starts[i] = start;
      this.inSlab[i] = 0;
    }
    return n;
  }

  /** Byte equality of the region, the fields mirror points may change left out. */
  private same(i: number, buf: Uint8Array, start: number, end: number, kind: number): boolean {
    const length = end - start;
    const src = this.inSlab[i] === 1 ? this.slab : this.big[i]!;
    const s = this.starts[i]!;
    for (let k = 0; k < length; k++) {
      if (src[s + k] !== buf[start + k]) {
        // IPv4 TTL (8) and header checksum (10, 11); IPv6 hop limit (7).
        if (kind === Kind.Ipv4 && (k === 8 || k === 10 || k === 11)) continue;
        if (kind === Kind.Ipv6 && k === 7) continue;
        return false;
      }
    }
    return true;
  }
}

/** The shortest compared span that delimits a packet: its IP header (IPv6: with a payload, but
 *  for next header 59 'no next header'); for a frame that is not IP, one byte. */
function minimumSpan(kind: number, b: Uint8Array, start: number, end: number): number {
  if (kind === Kind.Ipv4) return end > start ? Math.max(20, (b[start]! & 0x0f) * 4) : 20;
  if (kind === Kind.Ipv6) return end >= start + IPV6_HEADER && b[start + 6] === IpProtocol.IPV6_NONXT ? IPV6_HEADER : IPV6_HEADER + 1;
  return 1;
}

/** The big-endian word at `o`, or 0 past `end` (the packet's end, before any padding). */
function word(b: Uint8Array, o: number, end: number): number {
  return o + 4 <= end ? u32(b, o) : 0;
}

/** Folds word `w` into hash `h` (order matters; the high bits are folded into the low ones,
 *  which pick the buckets). */
function mix(h: number, w: number): number {
  const x = Math.imul(Math.imul(h, 0x85ebca6b) ^ w, 0x9e3779b1);
  return x ^ (x >>> 16);
}

/** Length, the first 24 bytes and the last word. */
function sampleKey(b: Uint8Array, s: number, e: number): number {
  let h = e - s;
  for (let o = s; o < s + 24; o += 4) h = mix(h, word(b, o, e));
  return mix(h, word(b, e - 4, e));
}
