/** `pxecheck decode` text view: one block per message, like dhcpdump with option names. */
import type { DecodedMessage, IcmpDecoded, UndecodedFrame } from '../decode/messages.js';
import { formatDhcpV4Text } from '../wire/dhcpv4/index.js';
import { formatDhcpV6Text } from '../wire/dhcpv6/index.js';
import { formatTftpText } from '../wire/tftp.js';
import { formatHttpText } from '../wire/http/index.js';
import { ndpSummary } from '../wire/ndp-format.js';
import { endpoint } from './decode-jsonl.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { tunnelShortText } from '../wire/tunnel.js';

export function formatTime(t: number): string {
  const ms = Math.floor(t * 1000);
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  const micro = Math.round((t * 1e6) % 1000).toString().padStart(3, '0');
  return iso.slice(0, 23) + micro + 'Z';
}

export function decodedToText(m: DecodedMessage): string[] | null {
  let lines: string[];
  let label: string;
  switch (m.proto) {
    case 'dhcp4': lines = formatDhcpV4Text(m.msg); label = 'DHCPv4'; break;
    case 'dhcp6': lines = formatDhcpV6Text(m.msg); label = 'DHCPv6'; break;
    case 'tftp': lines = formatTftpText(m.msg); label = 'TFTP'; break;
    case 'icmp': lines = formatIcmpText(m); label = m.ipVersion === 4 ? 'ICMP' : 'ICMPv6'; break;
    case 'ndp': lines = [ndpSummary(m.msg, m.srcAddr)]; label = 'NDP'; break;
    case 'http':
      if (m.kind === 'complete' || !m.head) {
        if (m.issues.length === 0) return null;
        lines = [];
      } else lines = formatHttpText(m.head);
      label = 'HTTP';
      break;
  }
  // ICMP and ND have no ports: print the bare addresses.
  const portless = m.proto === 'icmp' || m.proto === 'ndp';
  const src = portless ? m.srcAddr : endpoint(m.srcAddr, m.srcPort);
  const dst = portless ? m.dstAddr : endpoint(m.dstAddr, m.dstPort);
  const out = [
    `#${m.frame}  ${formatTime(m.time)}  ${label}  ${src} -> ${dst}` +
      (m.srcMac ? `  (${m.srcMac})` : '') + (m.tunnel ? `  [${tunnelShortText(m.tunnel)}]` : ''),
  ];
  for (const l of lines) out.push('  ' + l);
  for (const i of m.issues) out.push(`  ! ${i.kind} (${i.layer} @${i.offset}): ${i.message}`);
  out.push('');
  return out;
}

/** `destination unreachable / port unreachable (type 3 code 3)` and the datagram it answers. */
function formatIcmpText(m: IcmpDecoded): string[] {
  const what = `${m.typeName ?? 'type ' + m.type}${m.codeName ? ` / ${m.codeName}` : ''} (type ${m.type} code ${m.code})`;
  const q = m.quoted;
  if (!q) return [what];
  const proto = q.protocol === IpProtocol.UDP ? 'UDP' : q.protocol === IpProtocol.TCP ? 'TCP' : `protocol ${q.protocol}`;
  const src = q.srcPort === null ? q.src : endpoint(q.src, q.srcPort);
  const dst = q.dstPort === null ? q.dst : endpoint(q.dst, q.dstPort);
  return [what, `about ${proto} ${src} -> ${dst}`];
}

export function undecodedToText(f: UndecodedFrame): string[] {
  const out = [`#${f.frame}  ${formatTime(f.time)}  undecoded frame`];
  for (const i of f.issues) out.push(`  ! ${i.kind} (${i.layer} @${i.offset}): ${i.message}`);
  out.push('');
  return out;
}
