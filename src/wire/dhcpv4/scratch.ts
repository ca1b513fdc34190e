/**
 * DHCPv4 parse into one reused message, for a reader that copies out what it keeps before the
 * next message arrives (the analyze flow builder). The payload is copied to the start of a scratch
 * buffer, so the header's views and the option data views (cached by start and length) are made
 * once and then reused: a message costs a copy of its bytes instead of ~25 new views and objects.
 * Same message as `parseDhcpV4` gives, field for field; it and every view in it are valid only
 * until the next `parse`.
 */
import { u16, u32 } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import {
  CHADDR_LEN, EMPTY, F, FILE_LEN, FIXED_LEN, parseDhcpV4, readOptions, SNAME_LEN,
  type DhcpV4Area, type DhcpV4Message, type DhcpV4Option, type OptionSlots,
} from './message.js';

/** Cached views at most (a hostile capture with every option somewhere else clears the cache). */
const MAX_VIEWS = 8192;
/** Longest view cached: an option's data (≤ 255); a longer trailer is a new view. */
const MAX_CACHED_LEN = 255;

export class DhcpV4Scratch implements OptionSlots {
  private buf = new Uint8Array(0);
  private msg: DhcpV4Message | null = null;
  /** start * 256 + length → a view of `buf`. */
  private readonly views = new Map<number, Uint8Array>();
  private readonly pool: DhcpV4Option[] = [];
  private used = 0;

  /** As `parseDhcpV4(payload, issues, base, checkValues)`; a message too short for options or
   *  without the DHCP magic cookie (rare) is parsed into a new one. */
  parse(payload: Uint8Array, issues: WireIssue[], base = 0, checkValues = true): DhcpV4Message {
    const n = payload.length;
    if (n < F.OPTIONS || payload[F.COOKIE] !== 0x63 || payload[F.COOKIE + 1] !== 0x82 || payload[F.COOKIE + 2] !== 0x53 || payload[F.COOKIE + 3] !== 0x63) {
      return parseDhcpV4(payload, issues, base, checkValues);
    }
    if (n > this.buf.length || this.msg === null) this.grow(n);
    const b = this.buf;
    b.set(payload);
    const msg = this.msg!;
    msg.op = b[F.OP]!;
    msg.htype = b[F.HTYPE]!;
    msg.hlen = b[F.HLEN]!;
    msg.hops = b[F.HOPS]!;
    msg.xid = u32(b, F.XID);
    msg.secs = u16(b, F.SECS);
    msg.flags = u16(b, F.FLAGS);
    msg.options.length = 0;
    msg.trailer = EMPTY;
    this.used = 0;
    readOptions(msg, b, n, base, issues, checkValues, this);
    return msg;
  }

  view(start: number, end: number): Uint8Array {
    const len = end - start;
    if (len > MAX_CACHED_LEN) return this.buf.subarray(start, end);
    const key = start * 256 + len;
    let v = this.views.get(key);
    if (v === undefined) {
      if (this.views.size >= MAX_VIEWS) this.views.clear();
      v = this.buf.subarray(start, end);
      this.views.set(key, v);
    }
    return v;
  }

  option(code: number, data: Uint8Array, area: DhcpV4Area, offset: number): DhcpV4Option {
    const o = this.pool[this.used];
    this.used++;
    if (o === undefined) {
      const fresh: DhcpV4Option = { code, data, area, offset };
      this.pool.push(fresh);
      return fresh;
    }
    o.code = code;
    o.data = data;
    o.area = area;
    o.offset = offset;
    return o;
  }

  /** A bigger buffer: new header views, no cached view of the old one. */
  private grow(n: number): void {
    this.buf = new Uint8Array(Math.max(n, 1024, 2 * this.buf.length));
    this.views.clear();
    const b = this.buf;
    this.msg = {
      op: 0, htype: 0, hlen: 0, hops: 0, xid: 0, secs: 0, flags: 0,
      ciaddr: b.subarray(F.CIADDR, F.CIADDR + 4), yiaddr: b.subarray(F.YIADDR, F.YIADDR + 4),
      siaddr: b.subarray(F.SIADDR, F.SIADDR + 4), giaddr: b.subarray(F.GIADDR, F.GIADDR + 4),
      chaddr: b.subarray(F.CHADDR, F.CHADDR + CHADDR_LEN), sname: b.subarray(F.SNAME, F.SNAME + SNAME_LEN),
      file: b.subarray(F.FILE, F.FILE + FILE_LEN),
      cookie: b.subarray(F.COOKIE, F.OPTIONS),
      options: [], trailer: EMPTY, headerLength: FIXED_LEN,
    };
  }
}
