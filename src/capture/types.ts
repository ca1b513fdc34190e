import type { WireIssue } from '../wire/issues.js';
export { CaptureFormatError } from '../errors.js';


/** One record of a capture. `data` is a view into the reader's buffer: valid only during the
 *  callback that receives it; copy (`slice`) what must outlive it. */
export interface CaptureRecord {
  /** 1-based index counting every packet record in the file, as Wireshark numbers frames. */
  frame: number;
  /** Epoch seconds with fraction (double: microsecond-exact, nanoseconds approximate). */
  time: number;
  linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  data: Uint8Array;
  /** Length on the wire; > data.length when the capture was snapped. */
  origLen: number;
}

export interface CaptureSummary {
  format: 'pcap' | 'pcapng';
  /** Was the file gzip-compressed? */
  gzip: boolean;
  records: number;
  /** Problems with the file itself (truncated record, absurd length, unknown block...). */
  warnings: WireIssue[];
  truncated: boolean;
  /** Records on a link type pxecheck cannot decode (counted in `records`, warned once per link). */
  unsupported: number;
}

export type RecordSink = (rec: CaptureRecord) => void;

/** The one record a reader hands over again and again when asked to (`ReadCaptureOptions.reuseRecord`):
 *  its fields rewritten per record, so a sink that keeps nothing of the record itself costs no
 *  object (and no boxed time) per packet. */
export function recordSlot(): CaptureRecord {
  return { frame: 0, time: 0, linkType: 0, interfaceId: 0, data: new Uint8Array(0), origLen: 0 };
}
