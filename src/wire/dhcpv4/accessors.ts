/** Accessors the flow engine and findings use: message type, boot file, PXE/iPXE identity. */
import { cString, ipv4ToString, macToString, u16, u32 } from '../bytes.js';
import type { JsonValue } from './codec.js';
import { getOption, overloadValue, vendorClass, CHADDR_LEN, type DhcpV4Message } from './message.js';
import { CLIENT_ARCH_NAMES, decodeOptionValue, DhcpV4Code, DhcpV4MessageType, MESSAGE_TYPE_NAMES } from './options.js';
import { typedOption } from './values.js';

/** Typed value of an option (same shapes as the JSON view), or undefined when absent. */
export function optionValue(msg: DhcpV4Message, code: number): JsonValue | undefined {
  const d = getOption(msg, code);
  if (!d) return undefined;
  return decodeOptionValue(code, d, { issues: null, base: 0, vendorClass: vendorClass(msg) }).value;
}

/** Option 53 as a number, or null (BOOTP). */
export function msgType(msg: DhcpV4Message): number | null {
  const d = getOption(msg, DhcpV4Code.MESSAGE_TYPE);
  return d && d.length >= 1 ? d[0]! : null;
}

/** 'DISCOVER'…'INFORM' (and RFC 4388 etc. names), the number as text when unknown, null for BOOTP. */
export function msgTypeName(msg: DhcpV4Message): string | null {
  const t = msgType(msg);
  return t === null ? null : (MESSAGE_TYPE_NAMES[t] ?? String(t));
}

function optionText(msg: DhcpV4Message, code: number): string | null {
  const d = getOption(msg, code);
  return d ? cString(d) : null;
}

/** Boot file: option 67 when present, else the `file` field unless it holds overloaded options
 *  (null when that is empty). An empty option 67 gives "", not null: the server did send one and
 *  it is read before `file`; flow output keeps that "", and the DHCP client's offer choice and the
 *  lean DORA engine's scanReply.hasBootFile both count such a reply as naming a boot file. */
export function effectiveBootFile(msg: DhcpV4Message): string | null {
  const o = optionText(msg, DhcpV4Code.BOOTFILE_NAME);
  if (o !== null) return o;
  if (overloadValue(msg) & 1) return null;
  return cString(msg.file) || null;
}

/** Boot server name: option 66 when present (an empty one gives ""), else `sname` unless
 *  overloaded (null when that is empty). */
export function effectiveServerName(msg: DhcpV4Message): string | null {
  const o = optionText(msg, DhcpV4Code.TFTP_SERVER_NAME);
  if (o !== null) return o;
  if (overloadValue(msg) & 2) return null;
  return cString(msg.sname) || null;
}

/** Option 77 instances (a plain-text user class such as iPXE's "iPXE" is one entry). */
export function userClasses(msg: DhcpV4Message): string[] {
  const v = typedOption(msg, DhcpV4Code.USER_CLASS);
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Option 93 architecture codes (empty when absent or malformed). */
export function clientArch(msg: DhcpV4Message): number[] {
  const d = getOption(msg, DhcpV4Code.CLIENT_ARCH);
  if (!d || d.length % 2) return [];
  const out: number[] = [];
  for (let i = 0; i < d.length; i += 2) out.push(u16(d, i));
  return out;
}

export function clientArchName(code: number): string {
  return CLIENT_ARCH_NAMES[code] ?? `unknown-${code}`;
}

export function clientMac(msg: DhcpV4Message): string {
  return macString(msg);
}

function macString(msg: DhcpV4Message): string {
  const n = Math.min(msg.hlen, CHADDR_LEN);
  // Ethernet (nearly every message, several calls each): the shared address-text cache.
  if (n === 6) return macToString(msg.chaddr, 0, 6);
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ':' : '') + msg.chaddr[i]!.toString(16).padStart(2, '0');
  return s;
}

export function isPxeClient(msg: DhcpV4Message): boolean {
  return vendorClass(msg)?.startsWith('PXEClient') ?? false;
}

export function isHttpClient(msg: DhcpV4Message): boolean {
  return vendorClass(msg)?.startsWith('HTTPClient') ?? false;
}

export function isIpxe(msg: DhcpV4Message): boolean {
  return getOption(msg, DhcpV4Code.IPXE_ENCAP) !== null || userClasses(msg).includes('iPXE');
}

/** A proxyDHCP offer (PXE 2.1): OFFER, vendor class PXEClient, no address offered (yiaddr 0). */
export function isProxyOffer(msg: DhcpV4Message): boolean {
  return msgType(msg) === DhcpV4MessageType.OFFER && isPxeClient(msg) && u32(msg.yiaddr, 0) === 0;
}

export function serverId(msg: DhcpV4Message): string | null {
  const d = getOption(msg, DhcpV4Code.SERVER_ID);
  return d && d.length === 4 ? ipv4ToString(d, 0) : null;
}

