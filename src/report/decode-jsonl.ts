/**
 * `pxecheck decode --format jsonl`: one JSON object per decoded application message. The shape is
 * a public contract, documented in docs/decode-jsonl.md.
 */
import type { DecodedMessage, UndecodedFrame } from '../decode/messages.js';
import type { WireIssue } from '../wire/issues.js';
import { dhcpV4ToJson } from '../wire/dhcpv4/index.js';
import { dhcpV6ToJson } from '../wire/dhcpv6/index.js';
import { tftpToJson } from '../wire/tftp.js';
import { httpToJson } from '../wire/http.js';
import { ndpSummary, ndpToJson } from '../wire/ndp-format.js';
import { epochSecondsText } from './epoch-text.js';

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

/**
 * One line of `decode --format jsonl`: JSON.stringify of `decodedToJson`, or null. TFTP DATA and
 * ACK without issues — nearly every line of a capture of transfers — are written straight into
 * the string, the same bytes without building and serialising an object per packet.
 */
export function decodedToJsonLine(m: DecodedMessage): string | null {
  if (m.proto === 'tftp' && m.issues.length === 0) {
    const p = m.msg;
    if ((p.opcode === 'DATA' || p.opcode === 'ACK') && p.block !== undefined && p.file === undefined && p.mode === undefined &&
      p.options === undefined && p.errorCode === undefined && p.errorMessage === undefined) {
      let s = `{"frame":${jsonNumber(m.frame)},"time":${jsonTime(m.time)},"proto":"tftp","src":${endpointJson(m.srcAddr, m.srcPort)},` +
        `"dst":${endpointJson(m.dstAddr, m.dstPort)},"opcode":"${p.opcode}","block":${jsonNumber(p.block)}`;
      if (p.data) s += `,"dataLength":${p.data.length}`;
      if (p.rest && p.rest.length > 0) s += `,"extraBytes":${p.rest.length}`;
      return `${s},"issues":[]}`;
    }
  }
  const j = decodedToJson(m);
  return j === null ? null : JSON.stringify(j);
}

/** Characters JSON.stringify escapes in a string (quote, backslash, controls, lone surrogates). */
// eslint-disable-next-line no-control-regex
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

function jsonString(s: string): string {
  return JSON_ESCAPED.test(s) ? JSON.stringify(s) : `"${s}"`;
}

function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** jsonNumber for a capture time (the shortest round-trip text, built without the generic dtoa). */
function jsonTime(t: number): string {
  return Number.isFinite(t) ? epochSecondsText(t) : 'null';
}

// The endpoints of a transfer repeat on every DATA/ACK line: their JSON text is kept in a small
// direct-mapped cache keyed by (address, port) instead of being built and escape-checked per line.
const ENDPOINT_SLOTS = 1 << 10;
const endpointAddr: string[] = new Array<string>(ENDPOINT_SLOTS).fill('');
const endpointPort = new Int32Array(ENDPOINT_SLOTS).fill(-1);
const endpointText: string[] = new Array<string>(ENDPOINT_SLOTS).fill('');

/** jsonString(endpoint(addr, port)). */
function endpointJson(addr: string, port: number): string {
  const slot = (port ^ (port >>> 10) ^ (addr.length << 6) ^ (addr.charCodeAt(addr.length - 1) * 97)) & (ENDPOINT_SLOTS - 1);
  if (endpointPort[slot] === port && endpointAddr[slot] === addr) return endpointText[slot]!;
  const text = jsonString(endpoint(addr, port));
  endpointAddr[slot] = addr;
  endpointPort[slot] = port;
  endpointText[slot] = text;
  return text;
}
