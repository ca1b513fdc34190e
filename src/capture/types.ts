import type { WireIssue } from '../wire/issues.js';

/** Link-layer header types (tcpdump.org/linktypes.html numbers, as pcap and pcapng store them). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

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

const SUPPORTED_LINKS: ReadonlySet<number> = new Set(Object.values(LinkType));

/** Can the decode pipeline (wire/link.ts) take frames of this link type apart? */
export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED_LINKS.has(linkType);
}

/** The input is not a capture at all (unknown magic, empty file): a usage/input error (exit 2). */
export class CaptureFormatError extends Error {
  override name = 'CaptureFormatError';
}

export type RecordSink = (rec: CaptureRecord) => void;
