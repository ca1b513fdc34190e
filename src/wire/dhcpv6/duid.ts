import { hex, macToString, putU16, putU32, u16, u32 } from '../bytes.js';
import { pushIssue } from '../issues.js';
import { type DecodeContext, type Duid, LAYER } from './types.js';

/** Hardware type 1 (Ethernet) in DUID-LLT / DUID-LL and option 79. */
export const HW_ETHERNET = 1;

/** RFC 8415 §11.1: a DUID is at most 128 octets after its 2-octet type. */
const MAX_DUID = 130;

/** Decode a DUID occupying all of `d` (which starts at absolute offset `at`). */
export function decodeDuid(d: Uint8Array, at: number, cx: DecodeContext): Duid | undefined {
  if (d.length < 2) {
    pushIssue(cx.issues, cx.shortKind, LAYER, at, `DUID of ${d.length} bytes, need at least 2`);
    return undefined;
  }
  if (d.length > MAX_DUID) {
    pushIssue(cx.issues, 'malformed', LAYER, at, `DUID of ${d.length} bytes, at most ${MAX_DUID}`);
  }
  const type = u16(d, 0);
  switch (type) {
    case 1:
      if (d.length >= 8) {
        return { kind: 'llt', hwType: u16(d, 2), time: u32(d, 4), linkLayer: d.subarray(8) };
      }
      break;
    case 2:
      if (d.length >= 6) return { kind: 'en', enterprise: u32(d, 2), identifier: d.subarray(6) };
      break;
    case 3:
      if (d.length >= 4) return { kind: 'll', hwType: u16(d, 2), linkLayer: d.subarray(4) };
      break;
    case 4:
      if (d.length === 18) return { kind: 'uuid', uuid: uuidToString(d, 2) };
      break;
    default:
      return { kind: 'other', type, data: d.subarray(2) };
  }
  pushIssue(cx.issues, cx.shortKind, LAYER, at, `DUID type ${type} with a bad length (${d.length})`);
  return { kind: 'other', type, data: d.subarray(2) };
}

export function duidLength(v: Duid): number {
  switch (v.kind) {
    case 'llt': return 8 + v.linkLayer.length;
    case 'en': return 6 + v.identifier.length;
    case 'll': return 4 + v.linkLayer.length;
    case 'uuid': return 18;
    case 'other': return 2 + v.data.length;
  }
}

export function writeDuid(v: Duid, out: Uint8Array, o: number): number {
  switch (v.kind) {
    case 'llt':
      putU16(out, o, 1);
      putU16(out, o + 2, v.hwType);
      putU32(out, o + 4, v.time);
      out.set(v.linkLayer, o + 8);
      return o + 8 + v.linkLayer.length;
    case 'en':
      putU16(out, o, 2);
      putU32(out, o + 2, v.enterprise);
      out.set(v.identifier, o + 6);
      return o + 6 + v.identifier.length;
    case 'll':
      putU16(out, o, 3);
      putU16(out, o + 2, v.hwType);
      out.set(v.linkLayer, o + 4);
      return o + 4 + v.linkLayer.length;
    case 'uuid':
      putU16(out, o, 4);
      uuidFromString(v.uuid, out, o + 2);
      return o + 18;
    case 'other':
      putU16(out, o, v.type);
      out.set(v.data, o + 2);
      return o + 2 + v.data.length;
  }
}

/** MAC of a DUID-LLT / DUID-LL with hardware type 1 ("aa:bb:..."), else undefined. */
export function duidLinkLayerAddress(duid: Duid | undefined): string | undefined {
  if (!duid || (duid.kind !== 'llt' && duid.kind !== 'll')) return undefined;
  if (duid.hwType !== HW_ETHERNET || duid.linkLayer.length !== 6) return undefined;
  return macToString(duid.linkLayer);
}

/** Text for display and JSON: `DUID-LLT` etc. fields as plain values. */
export function duidToJson(v: Duid): Record<string, unknown> {
  switch (v.kind) {
    case 'llt':
      return { type: 1, typeName: 'DUID-LLT', hwType: v.hwType, time: v.time, linkLayerAddress: linkText(v.hwType, v.linkLayer) };
    case 'en':
      return { type: 2, typeName: 'DUID-EN', enterprise: v.enterprise, identifier: hex(v.identifier) };
    case 'll':
      return { type: 3, typeName: 'DUID-LL', hwType: v.hwType, linkLayerAddress: linkText(v.hwType, v.linkLayer) };
    case 'uuid':
      return { type: 4, typeName: 'DUID-UUID', uuid: v.uuid };
    case 'other':
      return { type: v.type, data: hex(v.data) };
  }
}

export function duidToText(v: Duid): string {
  switch (v.kind) {
    case 'llt': return `DUID-LLT hw ${v.hwType} time ${v.time} ${linkText(v.hwType, v.linkLayer)}`;
    case 'en': return `DUID-EN enterprise ${v.enterprise} id ${hex(v.identifier)}`;
    case 'll': return `DUID-LL hw ${v.hwType} ${linkText(v.hwType, v.linkLayer)}`;
    case 'uuid': return `DUID-UUID ${v.uuid}`;
    case 'other': return `DUID type ${v.type} ${hex(v.data)}`;
  }
}

function linkText(hwType: number, b: Uint8Array): string {
  return hwType === HW_ETHERNET && b.length === 6 ? macToString(b) : hex(b, ':');
}

/** RFC 4122 text of 16 bytes in network order (RFC 6355 carries them so). */
export function uuidToString(b: Uint8Array, o: number): string {
  const h = hex(b.subarray(o, o + 16));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function uuidFromString(s: string, out: Uint8Array, o: number): void {
  const clean = s.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(clean)) throw new RangeError(`not a UUID: ${s}`);
  for (let i = 0; i < 16; i++) out[o + i] = parseInt(clean.substr(i * 2, 2), 16);
}
