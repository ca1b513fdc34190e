/**
 * Classic libpcap savefile (draft-ietf-opsawg-pcap): a 24-byte file header, then records of a
 * 16-byte header + captured bytes. Incremental: `feed` consumes whole records from a window of a
 * reused buffer and says how many bytes it needs to progress.
 */
import { dataView, u16, u16le, u32, u32le } from '../wire/bytes.js';
import { recordSlot, type CaptureRecord, type CaptureSummary, type RecordSink } from './types.js';
import { isSupportedLinkType } from '../wire/link-type.js';
import type { RecordParser } from './reader.js';

export const PCAP_FILE_HEADER_LENGTH = 24;
/** Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD: a bigger caplen means a corrupt record header. */
export const PCAP_MAX_CAPLEN = 262144;

/** Magic numbers as the first four bytes read big-endian. */
export const PcapMagic = {
  MICRO: 0xa1b2c3d4,
  NANO: 0xa1b23c4d,
  /** Alexey Kuznetzov's patched libpcap: 8 extra bytes per record header. */
  KUZNETZOV: 0xa1b2cd34,
} as const;

const MAGICS: readonly number[] = [PcapMagic.MICRO, PcapMagic.NANO, PcapMagic.KUZNETZOV];

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** Is this (first four bytes, big-endian) a classic pcap magic in either byte order? */
export function isPcapMagic(first4: number): boolean {
  return MAGICS.includes(first4) || MAGICS.includes(swap32(first4));
}

export class PcapParser implements RecordParser {
  readonly summary: CaptureSummary = { format: 'pcap', gzip: false, records: 0, warnings: [], truncated: false, unsupported: 0 };
  need = PCAP_FILE_HEADER_LENGTH;
  stopped = false;
  /** File offset of the next unconsumed byte. */
  private offset = 0;
  private haveHeader = false;
  private le = false;
  private fracScale = 1e-6;
  private recHeaderLength = 16;
  linkType = -1;
  snaplen = 0;
  /** Bytes of FCS at the end of every packet, when the file header says so (else -1: unknown). */
  fcsBytes = -1;
  private frame = 0;
  private linkOk = true;
  /** The record being delivered: its timestamp as stored (for exact copies). */
  recordSec = 0;
  recordFrac = 0;

  /** The record handed over for every packet (`reuseRecord`), else null: a new one each. */
  private readonly slot: CaptureRecord | null;

  constructor(private readonly sink: RecordSink, reuseRecord = false) {
    this.slot = reuseRecord ? recordSlot() : null;
  }

  /** Fractions are nanoseconds (else microseconds). */
  get nanosecond(): boolean {
    return this.fracScale === 1e-9;
  }

  feed(buf: Uint8Array, pos: number, end: number): number {
    if (!this.haveHeader) {
      if (end - pos < PCAP_FILE_HEADER_LENGTH) return pos;
      this.readFileHeader(buf, pos);
      pos += PCAP_FILE_HEADER_LENGTH;
      this.offset += PCAP_FILE_HEADER_LENGTH;
    }
    const le = this.le;
    const hl = this.recHeaderLength;
    const sink = this.sink;
    const slot = this.slot;
    // Records are views built from the chunk's ArrayBuffer directly: `subarray` (species lookup)
    // and `.buffer` reads cost about twice as much, and this runs once per record.
    const plain = buf.constructor === Uint8Array;
    const ab = buf.buffer;
    const abOffset = buf.byteOffset;
    // One DataView per chunk: its reads take the byte order as an argument, no branch per field.
    const dv = dataView(buf);
    for (;;) {
      if (end - pos < hl) {
        this.need = hl;
        return pos;
      }
      const caplen = dv.getUint32(pos + 8, le);
      if (caplen > PCAP_MAX_CAPLEN) {
        this.summary.warnings.push({
          kind: 'malformed',
          layer: 'pcap',
          offset: this.offset,
          message: `record ${this.frame + 1} claims ${caplen} captured bytes (max ${PCAP_MAX_CAPLEN}): file is corrupt, reading stopped`,
        });
        this.stopped = true;
        return pos;
      }
      const total = hl + caplen;
      if (end - pos < total) {
        this.need = total;
        return pos;
      }
      const sec = dv.getUint32(pos, le);
      const frac = dv.getUint32(pos + 4, le);
      const origLen = dv.getUint32(pos + 12, le);
      this.frame++;
      this.summary.records++;
      if (!this.linkOk) this.summary.unsupported++;
      this.recordSec = sec;
      this.recordFrac = frac;
      const time = sec + frac * this.fracScale;
      const data = plain ? new Uint8Array(ab, abOffset + pos + hl, caplen) : buf.subarray(pos + hl, pos + total);
      if (slot === null) sink({ frame: this.frame, time, linkType: this.linkType, interfaceId: 0, data, origLen });
      else {
        slot.frame = this.frame;
        slot.time = time;
        slot.linkType = this.linkType;
        slot.interfaceId = 0;
        slot.data = data;
        slot.origLen = origLen;
        sink(slot);
      }
      pos += total;
      this.offset += total;
    }
  }

  end(left: number): void {
    if (left <= 0) return;
    this.summary.truncated = true;
    this.summary.warnings.push({
      kind: 'truncated',
      layer: 'pcap',
      offset: this.offset,
      message: this.haveHeader
        ? `file ends inside record ${this.frame + 1}: ${left} of ${this.need} bytes present`
        : `file ends inside the pcap file header: ${left} of ${PCAP_FILE_HEADER_LENGTH} bytes present`,
    });
  }

  private readFileHeader(buf: Uint8Array, pos: number): void {
    const be = u32(buf, pos);
    this.le = !MAGICS.includes(be);
    const magic = this.le ? swap32(be) : be;
    this.fracScale = magic === PcapMagic.NANO ? 1e-9 : 1e-6;
    this.recHeaderLength = magic === PcapMagic.KUZNETZOV ? 24 : 16;
    const major = this.le ? u16le(buf, pos + 4) : u16(buf, pos + 4);
    if (major !== 2) {
      this.summary.warnings.push({
        kind: 'unsupported',
        layer: 'pcap',
        offset: pos + 4,
        message: `pcap version ${major}.x (expected 2.4): reading as 2.4`,
      });
    }
    this.snaplen = this.le ? u32le(buf, pos + 16) : u32(buf, pos + 16);
    const field = this.le ? u32le(buf, pos + 20) : u32(buf, pos + 20);
    // Low 16 bits: link type; bit 26 (P) says the top 4 bits hold the FCS length in 16-bit words.
    this.linkType = field & 0xffff;
    if (field & 0x04000000) this.fcsBytes = (field >>> 28) * 2;
    this.linkOk = isSupportedLinkType(this.linkType);
    if (!this.linkOk) {
      this.summary.warnings.push({
        kind: 'unsupported',
        layer: 'link',
        offset: pos + 20,
        message: `link type ${this.linkType} is not one pxecheck decodes (Ethernet, Linux cooked, raw IP, BSD loopback): its packets are skipped`,
      });
    }
    this.haveHeader = true;
    this.need = this.recHeaderLength;
  }
}
