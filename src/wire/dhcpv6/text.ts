/** Human-readable DHCPv6 block for `pxecheck decode` (text format): one line per option, nested
 *  options and relayed messages indented. */
import { hex, ipv6ToString, latin1String, macToString } from '../bytes.js';
import { duidToText, HW_ETHERNET } from './duid.js';
import { textOrHex } from './json.js';
import { archName, msgTypeLabel, optionName, statusName } from './names.js';
import type { DhcpV6Message, DhcpV6Option, ParsedValueMap } from './types.js';

const INDENT = '  ';

export function formatDhcpV6Text(msg: DhcpV6Message): string[] {
  const lines: string[] = [];
  formatMessage(msg, '', lines);
  return lines;
}

function formatMessage(msg: DhcpV6Message, pad: string, lines: string[]): void {
  if (msg.relay) {
    lines.push(`${pad}${msgTypeLabel(msg.msgType)} hop-count ${msg.hopCount} link ${ipv6ToString(msg.linkAddress)} peer ${ipv6ToString(msg.peerAddress)}`);
  } else {
    lines.push(`${pad}${msgTypeLabel(msg.msgType)} xid 0x${msg.xid.toString(16).padStart(6, '0')}`);
  }
  formatOptions(msg.options, pad + INDENT, lines);
  if (msg.trailing) lines.push(`${pad}${INDENT}trailing bytes: ${hex(msg.trailing)}`);
}

function formatOptions(opts: readonly DhcpV6Option[], pad: string, lines: string[]): void {
  for (const o of opts) {
    const name = optionName(o.code);
    const head = `${pad}${name ?? 'option'}(${o.code})`;
    const cut = o.declaredLength !== undefined ? ` [truncated: ${o.data.length} of ${o.declaredLength} bytes]` : '';
    if (o.value === undefined) {
      lines.push(`${head}: ${hex(o.data)}${cut}`);
      continue;
    }
    const v = o.value;
    switch (o.code) {
      case 3:
      case 25: {
        const ia = v as ParsedValueMap[3];
        lines.push(`${head}: iaid ${ia.iaid} t1 ${ia.t1} t2 ${ia.t2}${cut}`);
        formatOptions(ia.options, pad + INDENT, lines);
        break;
      }
      case 4: {
        const ia = v as ParsedValueMap[4];
        lines.push(`${head}: iaid ${ia.iaid}${cut}`);
        formatOptions(ia.options, pad + INDENT, lines);
        break;
      }
      case 5: {
        const a = v as ParsedValueMap[5];
        lines.push(`${head}: ${a.address} preferred ${a.preferred} valid ${a.valid}${cut}`);
        formatOptions(a.options, pad + INDENT, lines);
        break;
      }
      case 26: {
        const p = v as ParsedValueMap[26];
        lines.push(`${head}: ${p.prefix}/${p.prefixLength} preferred ${p.preferred} valid ${p.valid}${cut}`);
        formatOptions(p.options, pad + INDENT, lines);
        break;
      }
      case 9:
        lines.push(`${head}:${cut}`);
        formatMessage(v as DhcpV6Message, pad + INDENT, lines);
        break;
      default:
        lines.push(`${head}: ${summary(o)}${cut}`);
    }
  }
}

function quoted(b: Uint8Array): string {
  const t = textOrHex(b);
  return typeof t === 'string' ? JSON.stringify(t) : `0x${t.hex}`;
}

function named(code: number, name: string | undefined): string {
  return name ? `${name}(${code})` : String(code);
}

/** One-line text of an option without nested options. */
function summary(o: DhcpV6Option): string {
  const v = o.value;
  switch (o.code) {
    case 1:
    case 2:
      return duidToText(v as ParsedValueMap[1]);
    case 6:
      return (v as number[]).map((c) => named(c, optionName(c))).join(' ');
    case 8:
      return `${((v as number) / 100).toFixed(2)} s`;
    case 11: {
      const a = v as ParsedValueMap[11];
      return `protocol ${a.protocol} algorithm ${a.algorithm} rdm ${a.rdm} replay ${hex(a.replayDetection)} info ${hex(a.info)}`;
    }
    case 13: {
      const s = v as ParsedValueMap[13];
      return `${named(s.status, statusName(s.status))} ${JSON.stringify(s.message)}`;
    }
    case 15:
      return (v as Uint8Array[]).map(quoted).join(' ');
    case 16: {
      const c = v as ParsedValueMap[16];
      return `enterprise ${c.enterprise} ${c.data.map(quoted).join(' ')}`;
    }
    case 17: {
      const vo = v as ParsedValueMap[17];
      return `enterprise ${vo.enterprise} ${vo.options.map((t) => `${t.code}=${hex(t.data)}`).join(' ')}`;
    }
    case 18:
    case 38:
      return quoted(v as Uint8Array);
    case 37: {
      const r = v as ParsedValueMap[37];
      return `enterprise ${r.enterprise} ${hex(r.remoteId)}`;
    }
    case 39: {
      const f = v as ParsedValueMap[39];
      return `flags 0x${f.flags.toString(16)} ${f.name}${f.partial ? ' (partial)' : ''}`;
    }
    case 56:
      return (v as ParsedValueMap[56]).map((s) => `${s.code}=${s.value ?? hex(s.data ?? new Uint8Array(0))}`).join(' ');
    case 59:
    case 112:
      return JSON.stringify(v);
    case 60:
    case 136:
      return (v as string[]).map((s) => JSON.stringify(s)).join(' ');
    case 61:
      return (v as number[]).map((c) => named(c, archName(c))).join(' ');
    case 62: {
      const n = v as ParsedValueMap[62];
      return `type ${n.type} version ${n.major}.${n.minor}`;
    }
    case 79: {
      const l = v as ParsedValueMap[79];
      return `hw ${l.hwType} ${l.hwType === HW_ETHERNET && l.address.length === 6 ? macToString(l.address) : hex(l.address)}`;
    }
    case 14:
    case 20:
      return 'yes';
    default:
      if (Array.isArray(v)) return v.join(' ');
      if (v instanceof Uint8Array) return latin1String(v);
      return String(v);
  }
}
