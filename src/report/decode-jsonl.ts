/**
 * `pxecheck decode --format jsonl`: one JSON object per decoded application message. The shape is
 * a public contract, documented in docs/decode-jsonl.md.
 */
import type { DecodedMessage, Dhcp4Decoded, UndecodedFrame } from '../decode/messages.js';
import type { TftpSession } from '../decode/tftp-tracker.js';
import type { WireIssue } from '../wire/issues.js';
import { dhcpV4ToJson } from '../wire/dhcpv4/index.js';
import { dhcpV6ToJson } from '../wire/dhcpv6/index.js';
import { TFTP_OPCODES, tftpToJson } from '../wire/tftp.js';
import { httpToJson } from '../wire/http/index.js';
import { ndpSummary, ndpToJson } from '../wire/ndp-format.js';
import { ascii, type JsonlWriter } from './jsonl-writer.js';
import { writeDhcpV4Members } from './decode-jsonl-dhcp4.js';
import { tunnelToJson } from '../wire/tunnel.js';

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
    ...(m.tunnel ? { tunnel: tunnelToJson(m.tunnel) } : {}),
    issues: m.issues.map(issueToJson),
  };
}

export function undecodedToJson(f: UndecodedFrame): object {
  return { frame: f.frame, time: f.time, proto: 'frame', issues: f.issues.map(issueToJson) };
}

// The fixed pieces of a TFTP DATA/ACK line, nearly every line of a capture of transfers.
const FRAME = ascii('"frame":');
const DST = ascii(',"dst":');
const TIME = ascii(',"time":');
const DATA_LENGTH = ascii(',"dataLength":');
const EXTRA_BYTES = ascii(',"extraBytes":');
const NO_ISSUES = ascii(',"issues":[]}\n');
const DHCP4_SRC = ascii(',"proto":"dhcp4","src":');
const ISSUES = ascii(',"issues":');
/** Longer middles (none: two IPv6 endpoints take at most 110 bytes with their keys) are not cached. */
const MIDDLE_MAX = 256;
/** The most a DATA/ACK line takes after its opening: the pieces, five numbers, the middle. */
const TFTP_LINE_MAX = 64 + 5 * 24 + MIDDLE_MAX;

/**
 * Writes one line of `decode --format jsonl`: JSON.stringify of `decodedToJson` and a newline, or
 * nothing when that is null. TFTP DATA and ACK without issues are written field by field, the same
 * bytes without an object per packet; other records are that object written in place.
 */
export function writeDecodedLine(w: JsonlWriter, m: DecodedMessage): void {
  if (m.tunnel) {
    // A remote mirror's frame: the object path, with its `tunnel` member.
    const j = decodedToJson(m);
    if (j !== null) w.recordLine(j);
    return;
  }
  if (m.proto === 'tftp') {
    const p = m.msg;
    if ((p.opcode === 'DATA' || p.opcode === 'ACK') && m.issues.length === 0 && p.block !== undefined && p.file === undefined &&
      p.mode === undefined && p.options === undefined && p.errorCode === undefined && p.errorMessage === undefined) {
      writeTftpBlockLine(w, m.frame, m.time, m.srcAddr, m.srcPort, m.dstAddr, m.dstPort, p.opcode === 'DATA', p.block,
        p.data ? p.data.length : -1, p.rest ? p.rest.length : 0);
      return;
    }
  } else if (m.proto === 'dhcp4') {
    writeDhcpV4Line(w, m);
    return;
  }
  const j = decodedToJson(m);
  if (j !== null) w.recordLine(j);
}

/**
 * The line of a DATA or ACK the decoder handed over as numbers (`DecodeSink.tftpBlock`: a known
 * transfer, well formed, no issue on its frame): the same bytes as the message would give. The
 * tracker matched it on the transfer's 4-tuple, so the endpoints are the session's.
 */
export function writeTftpBlock(w: JsonlWriter, s: TftpSession, fromClient: boolean, srcPort: number, opcode: 3 | 4, block: number,
  dataLength: number, frame: number, time: number): void {
  const server = s.replyAddr ?? s.serverAddr;
  if (fromClient) writeTftpBlockLine(w, frame, time, s.clientAddr, srcPort, server, s.serverPort ?? 0, opcode === TFTP_OPCODES.DATA, block, opcode === TFTP_OPCODES.DATA ? dataLength : -1, 0);
  else writeTftpBlockLine(w, frame, time, server, srcPort, s.clientAddr, s.clientPort, opcode === TFTP_OPCODES.DATA, block, opcode === TFTP_OPCODES.DATA ? dataLength : -1, 0);
}

/** A TFTP DATA or ACK line without issues (`dataLength` -1: no data member). */
function writeTftpBlockLine(w: JsonlWriter, frame: number, time: number, srcAddr: string, srcPort: number, dstAddr: string, dstPort: number,
  data: boolean, block: number, dataLength: number, extra: number): void {
  w.openWith(FRAME);
  w.room(TFTP_LINE_MAX); // always there: a slab holds more than a line
  w.number(frame);
  w.timeAfter(TIME, time);
  tftpMiddle(w, srcAddr, srcPort, dstAddr, dstPort, data);
  w.number(block);
  if (dataLength >= 0 && extra === 0 && dataLength < DATA_TAILS) w.putBytes(dataTail(dataLength));
  else {
    if (dataLength >= 0) {
      w.putBytes(DATA_LENGTH);
      w.number(dataLength);
    }
    if (extra > 0) {
      w.putBytes(EXTRA_BYTES);
      w.number(extra);
    }
    w.putBytes(NO_ISSUES);
  }
}

/** A DHCPv4 message's line. */
function writeDhcpV4Line(w: JsonlWriter, m: Dhcp4Decoded): void {
  w.openWith(FRAME);
  w.room(64);
  w.number(m.frame);
  w.timeAfter(TIME, m.time);
  w.put(DHCP4_SRC);
  w.string(endpoint(m.srcAddr, m.srcPort));
  w.put(DST);
  w.string(endpoint(m.dstAddr, m.dstPort));
  writeDhcpV4Members(w, m.msg);
  if (m.issues.length === 0) w.put(NO_ISSUES);
  else {
    w.put(ISSUES);
    w.value(m.issues.map(issueToJson));
    w.byte(0x7d);
    w.newline();
  }
}

/** Writes the line of a frame nothing decoded. */
export function writeUndecodedLine(w: JsonlWriter, f: UndecodedFrame): void {
  w.recordLine(undecodedToJson(f));
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
function tftpMiddle(w: JsonlWriter, srcAddr: string, srcPort: number, dstAddr: string, dstPort: number, data: boolean): void {
  const key = srcPort * 131072 + dstPort * 2 + (data ? 1 : 0);
  const slot = (srcPort ^ (dstPort << 3) ^ (srcAddr.charCodeAt(srcAddr.length - 1) * 97) ^ (data ? 0x200 : 0)) & (MIDDLE_SLOTS - 1);
  if (middleKey[slot] !== key || middleSrc[slot] !== srcAddr || middleDst[slot] !== dstAddr) {
    const text = `,"proto":"tftp","src":${JSON.stringify(endpoint(srcAddr, srcPort))},"dst":${JSON.stringify(endpoint(dstAddr, dstPort))}` +
      `,"opcode":"${data ? 'DATA' : 'ACK'}","block":`;
    const bytes = new Uint8Array(Buffer.from(text, 'utf8'));
    if (bytes.length > MIDDLE_MAX) {
      w.text(text);
      w.room(TFTP_LINE_MAX); // what the caller made room for (a slab holds more than a line)
      return;
    }
    middleText[slot] = bytes;
    middleSrc[slot] = srcAddr;
    middleDst[slot] = dstAddr;
    middleKey[slot] = key;
  }
  w.putBytes(middleText[slot]!);
}

// The end of a DATA line without issues, `,"dataLength":N,"issues":[]}` and the newline, per length
// (nearly every DATA packet of a transfer has the same one).
const DATA_TAILS = 1 << 16;
const dataTails: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(DATA_TAILS);

function dataTail(length: number): Uint8Array {
  return dataTails[length] ??= ascii(`,"dataLength":${length},"issues":[]}\n`);
}
