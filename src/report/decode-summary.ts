/**
 * `pxecheck decode --format summary` (or `line`): one line per message, like tshark's default
 * view: frame, seconds since the first packet, src → dst, protocol, message type, xid and the key
 * option or file. Pure.
 */
import type { DecodedMessage, UndecodedFrame } from '../decode/messages.js';
import { ipv4ToString } from '../wire/bytes.js';
import { BootOp, clientMac, DhcpV4Code, effectiveBootFile, msgTypeName, optionValue, type DhcpV4Message } from '../wire/dhcpv4/index.js';
import { bootFileUrl, innermostMessage, msgTypeLabel, type DhcpV6Message } from '../wire/dhcpv6/index.js';
import { ndpSummary } from '../wire/ndp-format.js';
import type { TftpPacket } from '../wire/tftp.js';
import { printable } from './analyze-text.js';
import { endpoint } from './decode-jsonl.js';

const NO_ADDR = '0.0.0.0';

/** The summary line of one message, or null for events decode does not print (HTTP body ends). */
export function decodedToSummary(m: DecodedMessage, t0: number): string | null {
  let label: string;
  let info: string;
  switch (m.proto) {
    case 'dhcp4': label = 'DHCPv4'; info = dhcp4Info(m.msg); break;
    case 'dhcp6': label = 'DHCPv6'; info = dhcp6Info(m.msg); break;
    case 'tftp': label = 'TFTP'; info = tftpInfo(m.msg); break;
    case 'icmp':
      label = m.ipVersion === 4 ? 'ICMP' : 'ICMPv6';
      info = `${m.typeName ?? `type ${m.type}`}${m.codeName ? ` / ${m.codeName}` : ''}` +
        (m.quoted?.dstPort != null ? ` (about ${endpoint(m.quoted.dst, m.quoted.dstPort)})` : '');
      break;
    case 'ndp': label = 'NDP'; info = ndpSummary(m.msg, m.srcAddr); break;
    case 'http':
      if (m.kind === 'complete' || !m.head) {
        if (m.issues.length === 0) return null;
        info = `${m.isRequest ? 'request' : 'response'} body ends (${m.bodyBytes} bytes)`;
      } else info = m.head.kind === 'request' ? `${m.head.method} ${m.head.uri}` : `${m.head.status} ${m.head.reason}`;
      label = 'HTTP';
      break;
  }
  const portless = m.proto === 'icmp' || m.proto === 'ndp';
  const src = portless ? m.srcAddr : endpoint(m.srcAddr, m.srcPort);
  const dst = portless ? m.dstAddr : endpoint(m.dstAddr, m.dstPort);
  const issues = m.issues.length > 0 ? ` [${m.issues.length} issue${m.issues.length === 1 ? '' : 's'}: ${m.issues[0]!.kind}]` : '';
  return printable(`${String(m.frame).padStart(6)} ${relTime(m.time, t0)}  ${src} → ${dst}  ${label}  ${info}${issues}`);
}

export function undecodedToSummary(f: UndecodedFrame, t0: number): string {
  return printable(`${String(f.frame).padStart(6)} ${relTime(f.time, t0)}  undecoded frame: ${f.issues.map((i) => i.kind).join(', ') || 'no issues'}`);
}

function relTime(t: number, t0: number): string {
  return (t - t0).toFixed(6).padStart(12);
}

/** DHCPv4 xids are 32 bits, DHCPv6 transaction ids 24. */
const hexXid = (x: number, digits = 8): string => `xid 0x${x.toString(16).padStart(digits, '0')}`;

/** `OFFER xid 0x… yiaddr A file F` (server) or `DISCOVER xid 0x… chaddr M req A` (client). */
function dhcp4Info(msg: DhcpV4Message): string {
  const parts = [msgTypeName(msg) ?? 'BOOTP', hexXid(msg.xid)];
  const fromServer = msg.op === BootOp.REPLY;
  if (!fromServer) parts.push(`chaddr ${clientMac(msg)}`);
  const requested = optionValue(msg, DhcpV4Code.REQUESTED_IP);
  if (typeof requested === 'string') parts.push(`req ${requested}`);
  const yiaddr = ipv4ToString(msg.yiaddr, 0);
  if (yiaddr !== NO_ADDR) parts.push(`yiaddr ${yiaddr}`);
  const file = effectiveBootFile(msg);
  if (fromServer && file) parts.push(`file ${file}`);
  const vc = optionValue(msg, DhcpV4Code.VENDOR_CLASS);
  if (!fromServer && typeof vc === 'string') parts.push(`vc ${vc}`);
  return parts.join(' ');
}

/** `Solicit xid 0x…`, `Relay-forward(Solicit xid 0x…)`, with the boot file URL when present. */
function dhcp6Info(msg: DhcpV6Message): string {
  const inner = innermostMessage(msg);
  let s = `${msgTypeLabel(inner.msgType)}${inner.relay ? '' : ` ${hexXid(inner.xid, 6)}`}`;
  if (msg !== inner) s = `${msgTypeLabel(msg.msgType)}(${s})`;
  const url = bootFileUrl(msg);
  return url ? `${s} url ${url}` : s;
}

function tftpInfo(p: TftpPacket): string {
  const opts = (p.options ?? []).map((o) => `${o.name}=${o.value ?? ''}`).join(' ');
  const name = typeof p.opcode === 'string' ? p.opcode : `opcode ${p.opcode}`;
  switch (p.opcode) {
    case 'RRQ':
    case 'WRQ': return `${name} ${p.file ?? ''}${p.mode ? ` ${p.mode}` : ''}${opts ? ` ${opts}` : ''}`;
    case 'DATA': return `${name} block ${p.block ?? '?'} (${p.data?.length ?? 0} bytes)`;
    case 'ACK': return `${name} block ${p.block ?? '?'}`;
    case 'ERROR': return `${name} ${p.errorCode ?? '?'} ${p.errorMessage ?? ''}`.trimEnd();
    case 'OACK': return `${name} ${opts}`;
    default: return name;
  }
}
