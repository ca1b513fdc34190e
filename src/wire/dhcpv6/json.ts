/** JSON view of DHCPv6 messages: the public shape of `pxecheck decode --format jsonl`. */
import { hex, ipv6ToString, latin1String, macToString } from '../bytes.js';
import { duidToJson, HW_ETHERNET } from './duid.js';
import { archName, msgTypeName, optionName, statusName } from './names.js';
import type { DhcpV6Message, DhcpV6Option, ParsedValueMap } from './types.js';

export interface DhcpV6OptionJson {
  code: number;
  name: string | null;
  value: unknown;
  /** Only on an option cut short by the end of the buffer. */
  declaredLength?: number;
}

export interface DhcpV6Json {
  /** IANA name, or the number when unassigned. */
  msgType: string | number;
  msgTypeCode: number;
  xid?: number;
  hopCount?: number;
  linkAddress?: string;
  peerAddress?: string;
  options: DhcpV6OptionJson[];
  relayed?: DhcpV6Json;
  trailing?: string;
}

export function dhcpV6ToJson(msg: DhcpV6Message): DhcpV6Json {
  const msgType = msgTypeName(msg.msgType) ?? msg.msgType;
  const j: DhcpV6Json = msg.relay
    ? {
        msgType, msgTypeCode: msg.msgType, hopCount: msg.hopCount,
        linkAddress: ipv6ToString(msg.linkAddress), peerAddress: ipv6ToString(msg.peerAddress),
        options: optionsToJson(msg.options),
      }
    : { msgType, msgTypeCode: msg.msgType, xid: msg.xid, options: optionsToJson(msg.options) };
  if (msg.relay) {
    const inner = msg.options.find((o) => o.code === 9 && o.value !== undefined);
    if (inner) j.relayed = dhcpV6ToJson(inner.value as DhcpV6Message);
  }
  if (msg.trailing) j.trailing = hex(msg.trailing);
  return j;
}

export function optionsToJson(opts: readonly DhcpV6Option[]): DhcpV6OptionJson[] {
  const out: DhcpV6OptionJson[] = [];
  for (const o of opts) {
    const j: DhcpV6OptionJson = { code: o.code, name: optionName(o.code) ?? null, value: optionValueToJson(o) };
    if (o.declaredLength !== undefined) j.declaredLength = o.declaredLength;
    out.push(j);
  }
  return out;
}

/** Printable ASCII text as a string; other bytes as `{ hex }`. */
export function textOrHex(b: Uint8Array): string | { hex: string } {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e) return { hex: hex(b) };
  }
  return latin1String(b);
}

function codeList(codes: number[], name: (c: number) => string | undefined): { code: number; name: string | null }[] {
  return codes.map((code) => ({ code, name: name(code) ?? null }));
}

/** JSON-friendly value of one option; raw hex when it has no typed value. */
export function optionValueToJson(o: DhcpV6Option): unknown {
  if (o.value === undefined) return hex(o.data);
  const v = o.value;
  switch (o.code) {
    case 1:
    case 2:
      return duidToJson(v as ParsedValueMap[1]);
    case 3:
    case 25: {
      const ia = v as ParsedValueMap[3];
      return { iaid: ia.iaid, t1: ia.t1, t2: ia.t2, options: optionsToJson(ia.options) };
    }
    case 4: {
      const ia = v as ParsedValueMap[4];
      return { iaid: ia.iaid, options: optionsToJson(ia.options) };
    }
    case 5: {
      const a = v as ParsedValueMap[5];
      return { address: a.address, preferred: a.preferred, valid: a.valid, options: optionsToJson(a.options) };
    }
    case 26: {
      const p = v as ParsedValueMap[26];
      return { prefix: p.prefix, prefixLength: p.prefixLength, preferred: p.preferred, valid: p.valid, options: optionsToJson(p.options) };
    }
    case 6:
      return codeList(v as number[], optionName);
    case 9: {
      const m = v as DhcpV6Message;
      return { msgType: msgTypeName(m.msgType) ?? m.msgType, length: o.data.length };
    }
    case 11: {
      const a = v as ParsedValueMap[11];
      return { protocol: a.protocol, algorithm: a.algorithm, rdm: a.rdm, replayDetection: hex(a.replayDetection), info: hex(a.info) };
    }
    case 13: {
      const s = v as ParsedValueMap[13];
      return { status: s.status, name: statusName(s.status) ?? null, message: s.message };
    }
    case 15:
      return (v as Uint8Array[]).map(textOrHex);
    case 16: {
      const c = v as ParsedValueMap[16];
      return { enterprise: c.enterprise, data: c.data.map(textOrHex) };
    }
    case 17: {
      const vo = v as ParsedValueMap[17];
      return { enterprise: vo.enterprise, options: vo.options.map((t) => ({ code: t.code, data: hex(t.data) })) };
    }
    case 18:
    case 38:
      return hex(v as Uint8Array);
    case 19: {
      const t = v as number;
      return { msgType: t, name: msgTypeName(t) ?? null };
    }
    case 37: {
      const r = v as ParsedValueMap[37];
      return { enterprise: r.enterprise, remoteId: hex(r.remoteId) };
    }
    case 39:
      return v;
    case 56:
      return (v as ParsedValueMap[56]).map((s) =>
        s.value !== undefined ? { code: s.code, value: s.value } : { code: s.code, data: hex(s.data ?? new Uint8Array(0)) });
    case 61:
      return codeList(v as number[], archName);
    case 79: {
      const l = v as ParsedValueMap[79];
      const address = l.hwType === HW_ETHERNET && l.address.length === 6 ? macToString(l.address) : hex(l.address);
      return { hwType: l.hwType, address };
    }
    default:
      // Numbers, strings, string lists, `true`, NII: already JSON-friendly.
      return v;
  }
}
