/**
 * `pxecheck decode --format jsonl`: one JSON object per decoded application message. The shape is
 * a public contract, documented in docs/decode-jsonl.md.
 */
import type { DecodedMessage, UndecodedFrame } from '../decode/messages.js';
import type { WireIssue } from '../wire/issues.js';
import { dhcpV4ToJson } from '../wire/dhcpv4/index.js';
import { dhcpV6ToJson } from '../wire/dhcpv6/index.js';
import { tftpToJson } from '../wire/tftp.js';
import { httpToJson } from '../wire/http/index.js';
import { ndpSummary, ndpToJson } from '../wire/ndp-format.js';
import { ascii, type JsonlWriter } from './jsonl-writer.js';

export function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export function issueToJson(i: WireIssue): object {
  return { kind: i.kind, layer: i.layer, offset: i.offset, message: i.message };
}

/** The JSON record of one message, or null for events decode does not print (HTTP body ends). */
export function decodedToJson(m: DecodedMessage): object | null {
  let body: object;
  switch (m.proto) {
    case 'dhcp4': body = dhcpV4ToJson(m.msg); break;
    case 'dhcp6': body = dhcpV6ToJson(m.msg); break;
    case 'tftp': body = tftpToJson(m.msg); break;
    case 'icmp':
      body = { ipVersion: m.ipVersion, type: m.type, code: m.code, typeName: m.typeName, codeName: m.codeName, quoted: m.quoted };
      break;
    case 'ndp': body = { ...ndpToJson(m.msg), hopLimit: m.hopLimit, summary: ndpSummary(m.msg, m.srcAddr) }; break;
    case 'http':
      if (m.kind === 'complete' || !m.head) {
        if (m.issues.length === 0) return null;
        body = { kind: m.isRequest ? 'request' : 'response' };
      } else body = httpToJson(m.head);
      break;
  }
  return {
    frame: m.frame,
    time: m.time,
    proto: m.proto,
    src: endpoint(m.srcAddr, m.srcPort),
    dst: endpoint(m.dstAddr, m.dstPort),
    ...body,
    issues: m.issues.map(issueToJson),
  };
}

export function undecodedToJson(f: UndecodedFrame): object {
  return { frame: f.frame, time: f.time, proto: 'frame', issues: f.issues.map(issueToJson) };
}

// The fixed pieces of a TFTP DATA/ACK line, nearly every line of a capture of transfers.
const FRAME = ascii('"frame":');
const TIME = ascii(',"time":');
const DATA_LENGTH = ascii(',"dataLength":');
const EXTRA_BYTES = ascii(',"extraBytes":');
const NO_ISSUES = ascii(',"issues":[]}\n');
/** Longer middles (none: two IPv6 endpoints take at most 110 bytes with their keys) are not cached. */
const MIDDLE_MAX = 256;
/** The most a DATA/ACK line takes after its opening: the pieces, five numbers, the middle. */
const TFTP_LINE_MAX = 64 + 5 * 24 + MIDDLE_MAX;

/**
 * Writes one line of `decode --format jsonl`: JSON.stringify of `decodedToJson` and a newline, or
 * nothing when that is null. TFTP DATA and ACK without issues are written field by field, the same
 * bytes without an object and a string per packet.
 */
export function writeDecodedLine(w: JsonlWriter, m: DecodedMessage): void {
  if (m.proto === 'tftp' && m.issues.length === 0) {
    const p = m.msg;
    if ((p.opcode === 'DATA' || p.opcode === 'ACK') && p.block !== undefined && p.file === undefined && p.mode === undefined &&
      p.options === undefined && p.errorCode === undefined && p.errorMessage === undefined) {
      w.openLine();
      w.room(TFTP_LINE_MAX); // always there: a slab holds more than a line
      w.putBytes(FRAME);
      w.number(m.frame);
      w.putBytes(TIME);
      w.time(m.time);
      tftpMiddle(w, m, p.opcode === 'DATA');
      w.number(p.block);
      if (p.data) {
        w.putBytes(DATA_LENGTH);
        w.number(p.data.length);
      }
      if (p.rest && p.rest.length > 0) {
        w.putBytes(EXTRA_BYTES);
        w.number(p.rest.length);
      }
      w.putBytes(NO_ISSUES);
      return;
    }
  }
  const j = decodedToJson(m);
  if (j !== null) w.objectLine(JSON.stringify(j));
}

/** Writes the line of a frame nothing decoded. */
export function writeUndecodedLine(w: JsonlWriter, f: UndecodedFrame): void {
  w.objectLine(JSON.stringify(undecodedToJson(f)));
}

// A transfer's DATA (or ACK) lines differ only in frame, time, block and length: the text from
// `,"proto"` to `"block":` is kept in a small direct-mapped cache keyed by (source, destination,
// opcode) instead of being built and escape-checked per line.
const MIDDLE_SLOTS = 1 << 10;
const middleSrc: string[] = new Array<string>(MIDDLE_SLOTS).fill('');
const middleDst: string[] = new Array<string>(MIDDLE_SLOTS).fill('');
/** srcPort * 2^17 + dstPort * 2 + (DATA ? 1 : 0); -1 when empty. */
const middleKey = new Float64Array(MIDDLE_SLOTS).fill(-1);
const middleText: Uint8Array[] = new Array<Uint8Array>(MIDDLE_SLOTS).fill(new Uint8Array(0));

/** Writes `,"proto":"tftp","src":…,"dst":…,"opcode":…,"block":`; needs MIDDLE_MAX bytes of room. */
function tftpMiddle(w: JsonlWriter, m: DecodedMessage, data: boolean): void {
  const key = m.srcPort * 131072 + m.dstPort * 2 + (data ? 1 : 0);
  const slot = (m.srcPort ^ (m.dstPort << 3) ^ (m.srcAddr.charCodeAt(m.srcAddr.length - 1) * 97) ^ (data ? 0x200 : 0)) & (MIDDLE_SLOTS - 1);
  if (middleKey[slot] !== key || middleSrc[slot] !== m.srcAddr || middleDst[slot] !== m.dstAddr) {
    const text = `,"proto":"tftp","src":${JSON.stringify(endpoint(m.srcAddr, m.srcPort))},"dst":${JSON.stringify(endpoint(m.dstAddr, m.dstPort))}` +
      `,"opcode":"${data ? 'DATA' : 'ACK'}","block":`;
    const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
    if (bytes.length > MIDDLE_MAX) {
      w.text(text);
      w.room(TFTP_LINE_MAX); // what the caller made room for (a slab holds more than a line)
      return;
    }
    middleText[slot] = bytes;
    middleSrc[slot] = m.srcAddr;
    middleDst[slot] = m.dstAddr;
    middleKey[slot] = key;
  }
  w.putBytes(middleText[slot]!);
}
