/**
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks `type(4) length(4) body length(4)`.
 * Each Section Header Block sets the byte order and resets the interface table of its section.
 * Incremental like PcapParser: `feed` consumes whole blocks from a window of a reused buffer.
 */
import { u16, u16le, u32, u32le } from '../wire/bytes.js';
import { recordSlot, type CaptureRecord, type CaptureSummary, type RecordSink } from './types.js';
import { isSupportedLinkType } from '../wire/link-type.js';
import type { RecordParser } from './reader.js';

export const BlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  /** Obsolete Packet Block. */
  PACKET: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  NAME_RESOLUTION: 0x00000004,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
  SYSTEMD_JOURNAL: 0x00000009,
  DECRYPTION_SECRETS: 0x0000000a,
  CUSTOM: 0x00000bad,
  CUSTOM_NO_COPY: 0x40000bad,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Bigger blocks are taken as corruption (Wireshark's limit for a block is 16 MiB; be lenient). */
export const PCAPNG_MAX_BLOCK = 64 * 1024 * 1024;
const MIN_BLOCK = 12;

/** Block types we know and deliberately skip (no warning). */
const SKIPPED: ReadonlySet<number> = new Set([
  BlockType.NAME_RESOLUTION,
  BlockType.INTERFACE_STATISTICS,
  BlockType.SYSTEMD_JOURNAL,
  BlockType.DECRYPTION_SECRETS,
  BlockType.CUSTOM,
  BlockType.CUSTOM_NO_COPY,
  0x80000001, // Apple/Darwin process information
]);

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_FCSLEN = 13;
const OPT_IF_TSOFFSET = 14;

interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second (10^n or 2^n). */
  units: number;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffset: number;
  fcsBytes: number;
  /** Can the decode pipeline read this link type? */
  supported: boolean;
}

/** Largest divisor for which the base-65536 long division stays exact in doubles (r*65536 < 2^53). */
const EXACT_UNITS_MAX = 2 ** 37;

/**
 * Seconds from a 64-bit count of `units` per second, split in 32-bit halves. Long division in
 * base 65536 keeps the integer seconds exact (ns since 1970 is beyond 2^53).
 */
export function timestampSeconds(high: number, low: number, units: number): number {
  if (units > EXACT_UNITS_MAX) return (high * 4294967296 + low) / units;
  let cur = high >>> 16;
  let q = Math.floor(cur / units);
  let r = cur - q * units;
  cur = r * 65536 + (high & 0xffff);
  let d = Math.floor(cur / units);
  r = cur - d * units;
  q = q * 65536 + d;
  cur = r * 65536 + (low >>> 16);
  d = Math.floor(cur / units);
  r = cur - d * units;
  q = q * 65536 + d;
  cur = r * 65536 + (low & 0xffff);
  d = Math.floor(cur / units);
  r = cur - d * units;
  q = q * 65536 + d;
  return q + r / units;
}

export class PcapngParser implements RecordParser {
  readonly summary: CaptureSummary = { format: 'pcapng', gzip: false, records: 0, warnings: [], truncated: false, unsupported: 0 };
  need = MIN_BLOCK;
  stopped = false;
  private offset = 0;
  private le = false;
  private interfaces: Interface[] = [];
  private frame = 0;
  private lastTime = 0;
  private sections = 0;
  private warnedTypes = new Set<number>();

  /** The record handed over for every packet (`reuseRecord`), else null: a new one each. */
  private readonly slot: CaptureRecord | null;

  constructor(private readonly sink: RecordSink, reuseRecord = false) {
    this.slot = reuseRecord ? recordSlot() : null;
  }

  /** Link types of the interfaces of the current section (for the summary/report). */
  get linkTypes(): number[] {
    return this.interfaces.map((i) => i.linkType);
  }

  feed(buf: Uint8Array, pos: number, end: number): number {
    for (;;) {
      if (end - pos < MIN_BLOCK) {
        this.need = MIN_BLOCK;
        return pos;
      }
      // The SHB type is a palindrome, so it reads the same in either byte order.
      let type = this.le ? u32le(buf, pos) : u32(buf, pos);
      if (type === BlockType.SECTION_HEADER) {
        const bom = u32(buf, pos + 8);
        if (bom === BYTE_ORDER_MAGIC) this.le = false;
        else if (bom === 0x4d3c2b1a) this.le = true;
        else return this.stop(pos, `section header block has a bad byte-order magic 0x${bom.toString(16)}`);
      } else if (this.sections === 0) {
        return this.stop(pos, 'file does not start with a section header block');
      }
      const le = this.le;
      type = le ? u32le(buf, pos) : u32(buf, pos);
      const len = le ? u32le(buf, pos + 4) : u32(buf, pos + 4);
      if (len < MIN_BLOCK || len % 4 !== 0 || len > PCAPNG_MAX_BLOCK) {
        return this.stop(pos, `block of type 0x${type.toString(16)} has an impossible length ${len}: reading stopped`);
      }
      if (end - pos < len) {
        this.need = len;
        return pos;
      }
      const trailer = le ? u32le(buf, pos + len - 4) : u32(buf, pos + len - 4);
      if (trailer !== len) {
        this.warn('malformed', this.offset + len - 4, `block of type 0x${type.toString(16)}: trailing length ${trailer} differs from leading length ${len}`);
      }
      this.block(type, buf, pos, len);
      pos += len;
      this.offset += len;
    }
  }

  end(left: number): void {
    if (left <= 0) return;
    this.summary.truncated = true;
    this.summary.warnings.push({
      kind: 'truncated',
      layer: 'pcapng',
      offset: this.offset,
      message: `file ends inside a block: ${left} of ${Math.max(this.need, MIN_BLOCK)} bytes present`,
    });
  }

  private stop(pos: number, message: string): number {
    this.warn('malformed', this.offset, message);
    this.stopped = true;
    return pos;
  }

  private warn(kind: 'malformed' | 'unsupported', offset: number, message: string): void {
    this.summary.warnings.push({ kind, layer: 'pcapng', offset, message });
  }

  private rd16(b: Uint8Array, o: number): number {
    return this.le ? u16le(b, o) : u16(b, o);
  }

  private rd32(b: Uint8Array, o: number): number {
    return this.le ? u32le(b, o) : u32(b, o);
  }

  private block(type: number, b: Uint8Array, pos: number, len: number): void {
    switch (type) {
      case BlockType.SECTION_HEADER:
        this.sections++;
        this.interfaces = [];
        if (this.rd16(b, pos + 12) !== 1) {
          this.warn('unsupported', this.offset + 12, `pcapng major version ${this.rd16(b, pos + 12)} (expected 1)`);
        }
        return;
      case BlockType.INTERFACE_DESCRIPTION:
        this.interfaceBlock(b, pos, len);
        return;
      case BlockType.ENHANCED_PACKET:
      case BlockType.PACKET: {
        this.frame++;
        const fixed = 28;
        if (len < fixed + 4) {
          this.warn('malformed', this.offset, `packet block of ${len} bytes is shorter than its fixed fields`);
          return;
        }
        const ifId = type === BlockType.PACKET ? this.rd16(b, pos + 8) : this.rd32(b, pos + 8);
        const iface = this.interfaces[ifId];
        if (!iface) {
          this.warn('malformed', this.offset + 8, `frame ${this.frame} refers to interface ${ifId}, which is not described`);
          return;
        }
        let caplen = this.rd32(b, pos + 20);
        const origLen = this.rd32(b, pos + 24);
        const room = len - fixed - 4;
        if (caplen > room) {
          this.warn('malformed', this.offset + 20, `frame ${this.frame} claims ${caplen} captured bytes, block holds ${room}`);
          caplen = room;
        }
        const time = timestampSeconds(this.rd32(b, pos + 12), this.rd32(b, pos + 16), iface.units) + iface.tsOffset;
        this.deliver(ifId, iface, time, b.subarray(pos + fixed, pos + fixed + caplen), origLen);
        return;
      }
      case BlockType.SIMPLE_PACKET: {
        this.frame++;
        const iface = this.interfaces[0];
        if (!iface || len < 16) {
          this.warn('malformed', this.offset, iface ? 'simple packet block too short' : `frame ${this.frame}: simple packet block with no interface 0`);
          return;
        }
        const origLen = this.rd32(b, pos + 8);
        let caplen = Math.min(origLen, len - 16);
        if (iface.snaplen > 0 && caplen > iface.snaplen) caplen = iface.snaplen;
        // No timestamp: keep the previous packet's time.
        this.deliver(0, iface, this.lastTime, b.subarray(pos + 12, pos + 12 + caplen), origLen);
        return;
      }
      default:
        if (!SKIPPED.has(type) && !this.warnedTypes.has(type)) {
          this.warnedTypes.add(type);
          this.warn('unsupported', this.offset, `skipped block(s) of unknown type 0x${type.toString(16)}`);
        }
    }
  }

  private deliver(ifId: number, iface: Interface, time: number, data: Uint8Array, origLen: number): void {
    this.lastTime = time;
    this.summary.records++;
    if (!iface.supported) this.summary.unsupported++;
    const slot = this.slot;
    if (slot === null) {
      this.sink({ frame: this.frame, time, linkType: iface.linkType, interfaceId: ifId, data, origLen });
      return;
    }
    slot.frame = this.frame;
    slot.time = time;
    slot.linkType = iface.linkType;
    slot.interfaceId = ifId;
    slot.data = data;
    slot.origLen = origLen;
    this.sink(slot);
  }

  private interfaceBlock(b: Uint8Array, pos: number, len: number): void {
    if (len < 20) {
      this.warn('malformed', this.offset, `interface description block of ${len} bytes is too short`);
      // Keep interface numbering aligned with the file even so.
      this.interfaces.push({ linkType: -1, snaplen: 0, units: 1e6, tsOffset: 0, fcsBytes: -1, supported: false });
      return;
    }
    const iface: Interface = {
      linkType: this.rd16(b, pos + 8),
      snaplen: this.rd32(b, pos + 12),
      units: 1e6,
      tsOffset: 0,
      fcsBytes: -1,
      supported: true,
    };
    iface.supported = isSupportedLinkType(iface.linkType);
    if (!iface.supported) {
      this.summary.warnings.push({
        kind: 'unsupported',
        layer: 'link',
        offset: this.offset + 8,
        message: `interface ${this.interfaces.length} has link type ${iface.linkType}, not one pxecheck decodes (Ethernet, Linux cooked, raw IP, BSD loopback): its packets are skipped`,
      });
    }
    const optEnd = pos + len - 4;
    let o = pos + 16;
    while (o + 4 <= optEnd) {
      const code = this.rd16(b, o);
      const olen = this.rd16(b, o + 2);
      if (code === OPT_END) break;
      const v = o + 4;
      if (v + olen > optEnd) {
        this.warn('malformed', this.offset + (o - pos), `interface option ${code} of ${olen} bytes runs past the block`);
        break;
      }
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = b[v]!;
        iface.units = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        // Signed 64-bit seconds.
        const hi = this.rd32(b, this.le ? v + 4 : v) | 0;
        const lo = this.rd32(b, this.le ? v : v + 4);
        iface.tsOffset = hi * 4294967296 + lo;
      } else if (code === OPT_IF_FCSLEN && olen >= 1) {
        iface.fcsBytes = b[v]!;
      }
      o = v + ((olen + 3) & ~3);
    }
    this.interfaces.push(iface);
  }
}
