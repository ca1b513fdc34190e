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
