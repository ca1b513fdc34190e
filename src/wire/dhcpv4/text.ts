/** dhcpdump-like text view: one line per field and option. */
import { cString, ipv4ToString } from '../bytes.js';
import type { JsonValue } from './codec.js';
import { dhcpV4OptionsJson } from './json.js';
import { clientMac, msgTypeName } from './accessors.js';
import { BootOp, hasDhcpCookie, overloadValue, type DhcpV4Message } from './message.js';

function show(v: JsonValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(show).join(', ');
  // { code, name, value } sub-options and { code, name } enumerations print compactly.
  if ('name' in v && 'code' in v) {
    return 'value' in v ? `${String(v.code)} ${String(v.name)}${v.value === null ? '' : ` ${show(v.value)}`}` : `${String(v.code)} (${String(v.name)})`;
  }
  return Object.entries(v).map(([k, x]) => `${k}=${show(x)}`).join(' ');
}

export function formatDhcpV4Text(msg: DhcpV4Message): string[] {
  const ov = overloadValue(msg);
  const pad = (s: string): string => s.padEnd(8);
  const lines = [
    `${pad('OP:')}${msg.op} (${msg.op === BootOp.REQUEST ? 'BOOTREQUEST' : msg.op === BootOp.REPLY ? 'BOOTREPLY' : 'unknown'})`,
    `${pad('HTYPE:')}${msg.htype}  HLEN: ${msg.hlen}  HOPS: ${msg.hops}`,
    `${pad('XID:')}0x${msg.xid.toString(16).padStart(8, '0')}`,
    `${pad('SECS:')}${msg.secs}  FLAGS: 0x${msg.flags.toString(16).padStart(4, '0')}${msg.flags & 0x8000 ? ' (broadcast)' : ''}`,
    `${pad('CIADDR:')}${ipv4ToString(msg.ciaddr)}`,
    `${pad('YIADDR:')}${ipv4ToString(msg.yiaddr)}`,
    `${pad('SIADDR:')}${ipv4ToString(msg.siaddr)}`,
    `${pad('GIADDR:')}${ipv4ToString(msg.giaddr)}`,
    `${pad('CHADDR:')}${clientMac(msg)}`,
    `${pad('SNAME:')}${ov & 2 ? '(overloaded: holds options)' : JSON.stringify(cString(msg.sname))}`,
    `${pad('FNAME:')}${ov & 1 ? '(overloaded: holds options)' : JSON.stringify(cString(msg.file))}`,
  ];
  if (!hasDhcpCookie(msg)) {
    lines.push(msg.cookie.length ? 'BOOTP vendor area (no DHCP magic cookie)' : 'BOOTP (no vendor area)');
    return lines;
  }
  lines.push(`${pad('TYPE:')}${msgTypeName(msg) ?? '(none)'}`);
  for (const o of dhcpV4OptionsJson(msg)) {
    const where = o.area ? ` [in ${o.area}]` : '';
    lines.push(`OPTION: ${String(o.code).padStart(3)} ${o.name}${where}: ${show(o.value)}`);
  }
  return lines;
}
