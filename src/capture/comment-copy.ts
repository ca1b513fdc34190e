/**
 * A copy of a capture as pcapng with comments added: packet comments (opt_comment) on chosen
 * frames and a comment on the section header. Nothing else changes: frames keep their order,
 * bytes, lengths and exact timestamps. pcapng input is copied block by block (interfaces, name
 * resolution, statistics… as they are); only the section headers (their section length becomes
 * "unspecified", since sections grow) and the commented packet blocks are rewritten. Classic pcap
 * input becomes one section with one interface of the same link type, snap length, timestamp
 * resolution and FCS length. Frames are numbered as the readers number them.
 */
import { u32 } from '../wire/bytes.js';
import { CaptureFileWriter, PcapngWriter, optionsLength, pcapTicks, utf8 } from './writer.js';
import { BlockType, BYTE_ORDER_MAGIC, PCAPNG_MAX_BLOCK } from './pcapng.js';
import { isPcapMagic, PcapParser } from './pcap.js';
import { parserFor, readCaptureWith, type RecordParser } from './reader.js';
import type { CaptureSummary } from './types.js';

/** Comments to add: for a frame (1-based), and for the (first) section. */
export interface CaptureComments {
  frame(frame: number): readonly string[] | undefined;
  section: string;
}

const OPT_COMMENT = 1;
const MIN_BLOCK = 12;
/** Fixed part of an Enhanced (and obsolete) Packet Block before the packet data. */
const PACKET_FIXED = 28;

/** Copies `input` to the pcapng file `output` with `comments` added. */
export async function copyWithComments(input: string, output: string, comments: CaptureComments): Promise<CaptureSummary> {
  const file = new CaptureFileWriter(output);
  try {
    return await readCaptureWith(input, (head, name, gzip) => {
      const magic = head.length >= 4 ? u32(head, 0) : 0;
      if (magic === BlockType.SECTION_HEADER) return new PcapngCommentCopier(file.write, comments, gzip);
      if (isPcapMagic(magic)) return new PcapToPcapngCopier(file.write, comments, gzip);
      return parserFor(head, () => {}, name, gzip); // throws the readers' "not a capture" error
    });
  } finally {
    file.close();
  }
}

/** pcapng → pcapng, block by block. */
export class PcapngCommentCopier implements RecordParser {
  readonly summary: CaptureSummary;
  need = MIN_BLOCK;
  stopped = false;
  private le = false;
  private frame = 0;
  private sections = 0;
  private offset = 0;

  constructor(private readonly out: (b: Uint8Array) => void, private readonly comments: CaptureComments, gzip: boolean) {
    this.summary = { format: 'pcapng', gzip, records: 0, warnings: [], truncated: false, unsupported: 0 };
  }

  feed(buf: Uint8Array, pos: number, end: number): number {
    for (;;) {
      if (end - pos < MIN_BLOCK) {
        this.need = MIN_BLOCK;
        return pos;
      }
      if (u32(buf, pos) === BlockType.SECTION_HEADER) {
        const bom = u32(buf, pos + 8);
        if (bom === BYTE_ORDER_MAGIC) this.le = false;
        else if (bom === 0x4d3c2b1a) this.le = true;
        else return this.stop(pos, 'section header block has a bad byte-order magic');
      } else if (this.sections === 0) return this.stop(pos, 'file does not start with a section header block');
      const v = new DataView(buf.buffer, buf.byteOffset + pos, end - pos);
      const type = v.getUint32(0, this.le);
      const len = v.getUint32(4, this.le);
      if (len < MIN_BLOCK || len % 4 !== 0 || len > PCAPNG_MAX_BLOCK) return this.stop(pos, `block of type 0x${type.toString(16)} has an impossible length ${len}: copy stopped`);
      if (end - pos < len) {
        this.need = len;
        return pos;
      }
      this.block(type, buf.subarray(pos, pos + len), new DataView(buf.buffer, buf.byteOffset + pos, len));
      pos += len;
      this.offset += len;
    }
  }

  end(left: number): void {
    if (left <= 0) return;
    this.summary.truncated = true;
    this.summary.warnings.push({ kind: 'truncated', layer: 'pcapng', offset: this.offset, message: `file ends inside a block: ${left} bytes not copied` });
  }

  private stop(pos: number, message: string): number {
    this.summary.warnings.push({ kind: 'malformed', layer: 'pcapng', offset: this.offset, message });
    this.stopped = true;
    return pos;
  }

  private block(type: number, b: Uint8Array, v: DataView): void {
    if (type === BlockType.SECTION_HEADER) {
      this.sections++;
      const extra = this.sections === 1 && this.comments.section ? [utf8(this.comments.section)] : [];
      const copy = withOptions(b, v, this.le, 24, extra);
      // The section grows: its length is no longer known (-1, allowed by the format).
      const cv = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
      cv.setInt32(16, -1, this.le);
      cv.setInt32(20, -1, this.le);
      this.out(copy);
      return;
    }
    if (type === BlockType.ENHANCED_PACKET || type === BlockType.PACKET || type === BlockType.SIMPLE_PACKET) {
      this.frame++;
      this.summary.records++;
      const add = this.comments.frame(this.frame);
      // A Simple Packet Block has no options: it stays uncommented.
      if (add && add.length > 0 && type !== BlockType.SIMPLE_PACKET && b.length >= PACKET_FIXED + 4) {
        const caplen = Math.min(v.getUint32(20, this.le), b.length - PACKET_FIXED - 4);
        this.out(withOptions(b, v, this.le, PACKET_FIXED + pad4(caplen), add.map(utf8)));
        return;
      }
    }
    this.out(b);
  }
}

/** classic pcap → pcapng: one section, one interface. */
export class PcapToPcapngCopier implements RecordParser {
  private readonly inner: PcapParser;
  private writer: PcapngWriter | null = null;
  private units = 1e6;

  constructor(private readonly out: (b: Uint8Array) => void, private readonly comments: CaptureComments, gzip: boolean) {
    this.inner = new PcapParser((rec) => {
      const w = this.header();
      const [high, low] = pcapTicks(this.inner.recordSec, this.inner.recordFrac, this.units);
      w.writePacketTicks(0, high, low, rec.data, rec.origLen, this.comments.frame(rec.frame) ?? []);
    });
    this.inner.summary.gzip = gzip;
  }

  get summary(): CaptureSummary {
    return this.inner.summary;
  }
  get need(): number {
    return this.inner.need;
  }
  get stopped(): boolean {
    return this.inner.stopped;
  }

  feed(buf: Uint8Array, pos: number, end: number): number {
    const p = this.inner.feed(buf, pos, end);
    if (this.inner.linkType !== -1) this.header(); // a file with no record still gets its interface
    return p;
  }

  end(left: number): void {
    this.inner.end(left);
  }

  private header(): PcapngWriter {
    if (this.writer) return this.writer;
    const nano = this.inner.nanosecond;
    this.units = nano ? 1e9 : 1e6;
    const w = new PcapngWriter(this.out, this.comments.section ? { comment: this.comments.section } : {});
    w.addInterface(this.inner.linkType, { snaplen: this.inner.snaplen, tsresol: nano ? 9 : 6, fcslen: this.inner.fcsBytes });
    this.writer = w;
    return w;
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * The block `b` with `extra` comment options added to the options that start at `optStart`
 * (existing options kept in order, then the comments, then opt_endofopt).
 */
function withOptions(b: Uint8Array, v: DataView, le: boolean, optStart: number, extra: readonly Uint8Array[]): Uint8Array {
  if (extra.length === 0) return b.slice();
  const optEnd = b.length - 4;
  // Existing options, up to opt_endofopt or the end of the block.
  let o = optStart;
  while (o + 4 <= optEnd) {
    const code = v.getUint16(o, le);
    const olen = v.getUint16(o + 2, le);
    if (code === 0 || o + 4 + pad4(olen) > optEnd) break;
    o += 4 + pad4(olen);
  }
  const kept = Math.min(o, optEnd) - optStart;
  const added = optionsLength(extra.map((e) => [OPT_COMMENT, e])); // includes opt_endofopt
  const len = optStart + kept + added + 4;
  const copy = new Uint8Array(len);
  copy.set(b.subarray(0, optStart + kept));
  const cv = new DataView(copy.buffer);
  cv.setUint32(4, len, le);
  let p = optStart + kept;
  for (const e of extra) {
    cv.setUint16(p, OPT_COMMENT, le);
    cv.setUint16(p + 2, e.length, le);
    copy.set(e, p + 4);
    p += 4 + pad4(e.length);
  }
  // opt_endofopt (4 zero bytes) is already zero.
  cv.setUint32(len - 4, len, le);
  return copy;
}
