import type { Ipv4Packet } from '../wire/ipv4.js';
import { bytesEqual } from '../wire/bytes.js';
import { pushIssue, type WireIssue } from '../wire/issues.js';

/** Limits shared by the IPv4 and IPv6 fragment reassemblers. */
export interface FragmentReassemblyOptions {
  /** Seconds an incomplete datagram may wait for its missing fragments (default 30). */
  timeout?: number;
  /** Datagrams in flight at once; the oldest is dropped beyond this (default 1024). */
  maxDatagrams?: number;
  /** Largest reassembled payload accepted, in bytes (default 65536). */
  maxBytes?: number;
  /** Fragment bytes held over all datagrams in flight (default 16 MiB); the oldest datagrams are
   *  dropped beyond it (a flood of fragments that never complete must not hold 1024 × 64 KiB). */
  maxTotalBytes?: number;
  /** The caller never reuses a fragment's bytes (every frame in a buffer of its own): pieces are
   *  held as views, the whole datagram is the only copy. Default: copied (the raw transport's
   *  frames are views into a capture buffer the next batch overwrites). */
  keepViews?: boolean;
  /** The caller is done with each whole datagram before its next push (it copies what it keeps):
   *  the buffers of completed and dropped datagrams are used again, and a whole datagram is a view
   *  valid until the next push. The raw transport's TFTP worker: no allocation per datagram (two
   *  ArrayBuffers per 8,192-byte block were most of its CPU per block). Default false. */
  reuse?: boolean;
}

/** Buffers kept for reuse (option `reuse`): a lock-step flow needs one, a window a few. */
const SPARE_BUFFERS = 4;

/** How often a limit made the table drop an incomplete datagram. */
export interface FragmentLimitCounts {
  /** Dropped because too many datagrams were in flight, or they held too many bytes. */
  dropped: number;
  /** Frame that first hit a limit (0: none). */
  firstFrame: number;
}

export interface ReassembledDatagram {
  payload: Uint8Array;
  /** Frames that contributed, in arrival order (duplicates listed once). */
  frames: number[];
}

export interface ExpiredDatagram<K> {
  key: K;
  frames: number[];
  bytesHave: number;
}

interface Piece {
  start: number;
  data: Uint8Array;
}

interface Pending<K> {
  key: K;
  firstTime: number;
  pieces: Piece[]; // sorted by start, never overlapping
  have: number;
  /** End of the datagram, known once the last fragment (more=false) arrived; -1 before. */
  total: number;
  frames: number[];
  /** IPv6: the next header of the offset-0 fragment. */
  nextHeader: number;
  /** Copy mode: the datagram being put together, fragments copied in at their offsets (pieces are
   *  views of it); exactly `total` long once the last fragment came. Null with keepViews. */
  buf: Uint8Array | null;
}

/** One fragment as both IP versions describe it. */
export interface FragmentInput<K> {
  id: string;
  key: K;
  offset: number;
  more: boolean;
  data: Uint8Array;
  nextHeader: number;
  /** base-relative offset of the fragment data, for issues. */
  dataOffset: number;
}

/**
 * The version-independent core: collects fragment bytes (copied: capture views die after the
 * callback) per key until [0, total) is covered. Overlaps keep the bytes that came first
 * (RFC 5722 says drop the datagram for IPv6; we keep going but report it).
 */
export class FragmentTable<K> {
  private readonly pending = new Map<string, Pending<K>>();
  readonly timeout: number;
  readonly maxDatagrams: number;
  readonly maxBytes: number;
  readonly maxTotalBytes: number;
  private readonly keepViews: boolean;
  private readonly reuse: boolean;
  private readonly spare: Uint8Array[] = [];
  /** Bytes held by the datagrams in flight: their buffers (copy mode: a fragment far into a
   *  datagram costs the bytes before it too), or the fragments' (keepViews). */
  private held = 0;
  readonly limits: FragmentLimitCounts = { dropped: 0, firstFrame: 0 };

  constructor(private readonly layer: string, opts: FragmentReassemblyOptions = {}) {
    this.timeout = opts.timeout ?? 30;
    this.maxDatagrams = opts.maxDatagrams ?? 1024;
    this.maxBytes = opts.maxBytes ?? 65536;
    this.maxTotalBytes = opts.maxTotalBytes ?? 16 << 20;
    this.keepViews = opts.keepViews ?? false;
    this.reuse = !this.keepViews && (opts.reuse ?? false);
  }

  /** Bytes held now by the datagrams in flight (see `held`). */
  get heldBytes(): number {
    return this.held;
  }

  private drop(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.held -= this.cost(p);
    this.pending.delete(id);
    if (this.reuse && p.buf !== null && this.spare.length < SPARE_BUFFERS) this.spare.push(p.buf);
  }

  private cost(p: Pending<K>): number {
    return p.buf?.length ?? p.have;
  }

  private limitHit(frame: number): void {
    this.limits.dropped++;
    if (this.limits.firstFrame === 0) this.limits.firstFrame = frame;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  push(f: FragmentInput<K>, time: number, frame: number, issues: WireIssue[]): (ReassembledDatagram & { nextHeader: number }) | null {
    const end = f.offset + f.data.length;
    if (end > this.maxBytes) {
      pushIssue(issues, 'malformed', this.layer, f.dataOffset, `fragment ends at ${end}, beyond the ${this.maxBytes}-byte limit: datagram dropped (frame ${frame})`);
      this.drop(f.id);
      return null;
    }
    let p = this.pending.get(f.id);
    if (p && time - p.firstTime > this.timeout) {
      pushIssue(issues, 'malformed', this.layer, f.dataOffset, `incomplete datagram from frame ${p.frames[0]} timed out (${p.have} bytes held)`);
      this.drop(f.id);
      p = undefined;
    }
    if (!p) {
      if (this.pending.size >= this.maxDatagrams) {
        const oldestId = this.pending.keys().next().value as string;
        const oldest = this.pending.get(oldestId)!;
        pushIssue(issues, 'unsupported', this.layer, f.dataOffset, `more than ${this.maxDatagrams} datagrams in flight: dropped the one from frame ${oldest.frames[0]}`);
        this.drop(oldestId);
        this.limitHit(frame);
      }
      p = { key: f.key, firstTime: time, pieces: [], have: 0, total: -1, frames: [], nextHeader: -1, buf: null };
      this.pending.set(f.id, p);
    }
    if (!p.frames.includes(frame)) p.frames.push(frame);
    if (f.offset === 0) p.nextHeader = f.nextHeader;

    if (f.more && f.data.length % 8 !== 0) {
      pushIssue(issues, 'malformed', this.layer, f.dataOffset, `non-final fragment of ${f.data.length} bytes is not a multiple of 8`);
    }
    const had = this.cost(p);
    if (!f.more) {
      const last = p.pieces[p.pieces.length - 1];
      if (p.total < 0 && last && last.start + last.data.length > end) {
        pushIssue(issues, 'malformed', this.layer, f.dataOffset, `last fragment ends at ${end}, but bytes up to ${last.start + last.data.length} were seen: ignored`);
        return null;
      }
      if (p.total >= 0 && p.total !== end) {
        pushIssue(issues, 'malformed', this.layer, f.dataOffset, `second last fragment ends at ${end}, first said ${p.total}: ignored`);
        return null;
      }
      p.total = end;
      if (!this.keepViews) this.resize(p, end); // the whole: no copy when it completes
    }
    if (p.total >= 0 && end > p.total) {
      pushIssue(issues, 'malformed', this.layer, f.dataOffset, `fragment ends at ${end}, past the datagram end ${p.total}: ignored`);
      return null;
    }
    this.insert(p, f, issues);
    this.held += this.cost(p) - had;
    while (this.held > this.maxTotalBytes && this.pending.size > 1) {
      const oldestId = this.pending.keys().next().value as string;
      if (oldestId === f.id) break;
      pushIssue(issues, 'unsupported', this.layer, f.dataOffset, `incomplete datagrams hold more than ${this.maxTotalBytes} bytes: dropped the one from frame ${this.pending.get(oldestId)!.frames[0]}`);
      this.drop(oldestId);
      this.limitHit(frame);
    }

    if (p.total < 0 || p.have !== p.total) return null;
    this.drop(f.id);
    let payload = p.buf?.subarray(0, p.total) ?? null;
    if (payload === null) {
      payload = new Uint8Array(p.total);
      for (const piece of p.pieces) payload.set(piece.data, piece.start);
    }
    return { payload, frames: p.frames, nextHeader: p.nextHeader };
  }

  /** Copy mode: `p.buf` becomes `size` long (its pieces' bytes kept, their views moved). */
  private resize(p: Pending<K>, size: number): void {
    if (p.buf !== null && (p.buf.length === size || (this.reuse && p.buf.length > size))) return;
    const buf = this.spareFor(size) ?? new Uint8Array(size);
    for (const pc of p.pieces) {
      buf.set(pc.data, pc.start);
      pc.data = buf.subarray(pc.start, pc.start + pc.data.length);
    }
    p.buf = buf;
  }

  /** Reuse mode: a spare buffer of at least `size` bytes, taken off the list. */
  private spareFor(size: number): Uint8Array | null {
    for (let i = 0; i < this.spare.length; i++) {
      const b = this.spare[i]!;
      if (b.length >= size) { this.spare.splice(i, 1); return b; }
    }
    return null;
  }

  /** Bytes [from, to) of the datagram, taken from fragment `f`: a view of the frame (keepViews) or
   *  copied into the datagram's buffer, grown first when the end is not known yet. One buffer per
   *  datagram, not a copy per fragment and another of the whole: at blksize 8192 (six fragments a
   *  block) those allocations were most of the raw TFTP worker's CPU per block. */
  private take(p: Pending<K>, f: FragmentInput<K>, from: number, to: number): Uint8Array {
    const piece = f.data.subarray(from - f.offset, to - f.offset);
    if (this.keepViews) return piece;
    if (p.buf === null) p.buf = this.spareFor(to); // reuse: any spare the bytes fit in
    if (p.buf === null || p.buf.length < to) {
      // Before the last fragment the size is a guess: room for a few more of this one's size.
      this.resize(p, Math.max(to, Math.min(this.maxBytes, Math.max(4 * to, 2 * (p.buf?.length ?? 0)))));
    }
    const buf = p.buf!;
    buf.set(piece, from);
    return buf.subarray(from, to);
  }

  /** Adds the parts of `f` no earlier fragment covered. */
  private insert(p: Pending<K>, f: FragmentInput<K>, issues: WireIssue[]): void {
    const start = f.offset;
    const end = start + f.data.length;
    let cursor = start;
    let overlapped = false;
    let i = 0;
    const pieces = p.pieces;
    while (i < pieces.length && cursor < end) {
      const pc = pieces[i]!;
      const pcEnd = pc.start + pc.data.length;
      if (pcEnd <= cursor) { i++; continue; }
      if (pc.start >= end) break;
      if (pc.start > cursor) {
        // Fill [cursor, pc.start) before this piece.
        const data = this.take(p, f, cursor, pc.start);
        pieces.splice(i, 0, { start: cursor, data });
        p.have += data.length;
        i++;
      }
      // [max(cursor, pc.start), min(end, pcEnd)) is already held: a duplicate only if identical.
      const from = Math.max(cursor, pc.start);
      const to = Math.min(end, pcEnd);
      if (!bytesEqual(pc.data.subarray(from - pc.start, to - pc.start), f.data.subarray(from - start, to - start)) ||
          pc.start !== start || pcEnd !== end) overlapped = true;
      cursor = to;
      i++;
    }
    if (cursor < end) {
      const data = this.take(p, f, cursor, end);
      pieces.splice(i, 0, { start: cursor, data });
      p.have += data.length;
    }
    if (overlapped) {
      pushIssue(issues, 'malformed', this.layer, f.dataOffset, `fragment [${start}, ${end}) overlaps earlier fragments: earlier bytes kept`);
    }
  }

  /** Drops datagrams older than the timeout at `now` and reports them. */
  expire(now: number): ExpiredDatagram<K>[] {
    const out: ExpiredDatagram<K>[] = [];
    for (const [id, p] of this.pending) {
      if (now - p.firstTime > this.timeout) {
        out.push({ key: p.key, frames: p.frames, bytesHave: p.have });
        this.drop(id);
      }
    }
    return out;
  }
}

export interface Ipv4FragmentKey {
  src: string;
  dst: string;
  protocol: number;
  identification: number;
}

/** RFC 791 reassembly keyed by (src, dst, protocol, identification). */
export class Ipv4FragmentReassembler {
  private readonly table: FragmentTable<Ipv4FragmentKey>;
  /** Where issues go when `push` is not given an array. */
  readonly issues: WireIssue[] = [];

  constructor(opts: FragmentReassemblyOptions = {}) {
    this.table = new FragmentTable('ipv4-reassembly', opts);
  }

  get inFlight(): number {
    return this.table.inFlight;
  }

  get limits(): FragmentLimitCounts {
    return this.table.limits;
  }

  get heldBytes(): number {
    return this.table.heldBytes;
  }

  /**
   * Returns the whole datagram payload once complete, else null. An unfragmented packet comes
   * straight back as its own payload view (no copy). `issues` receives overlaps and drops (offsets
   * point into the current frame).
   */
  push(pkt: Ipv4Packet, time: number, frame: number, issues: WireIssue[] = this.issues): ReassembledDatagram | null {
    if (!pkt.mf && pkt.fragmentOffset === 0) return { payload: pkt.payload, frames: [frame] };
    if (pkt.payload.length < pkt.totalLength - pkt.headerLength) {
      pushIssue(issues, 'truncated', 'ipv4-reassembly', pkt.payloadOffset + pkt.payload.length, 'truncated fragment cannot be reassembled: ignored');
      return null;
    }
    const r = this.table.push(
      {
        id: `${pkt.src}|${pkt.dst}|${pkt.protocol}|${pkt.identification}`,
        key: { src: pkt.src, dst: pkt.dst, protocol: pkt.protocol, identification: pkt.identification },
        offset: pkt.fragmentOffset,
        more: pkt.mf,
        data: pkt.payload,
        nextHeader: pkt.protocol,
        dataOffset: pkt.payloadOffset,
      },
      time,
      frame,
      issues,
    );
    return r && { payload: r.payload, frames: r.frames };
  }

  expire(now: number): ExpiredDatagram<Ipv4FragmentKey>[] {
    return this.table.expire(now);
  }
}
