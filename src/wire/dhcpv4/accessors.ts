/** Accessors the flow engine and findings use: message type, boot file, PXE/iPXE identity. */
import { asciiBytes, ipv4ToString, latin1String, macToString, u16, u32 } from '../bytes.js';
import type { JsonValue } from './codec.js';
import { getOption, hasDhcpCookie, overloadValue, vendorClass, CHADDR_LEN, type DhcpV4Message } from './message.js';
import { CLIENT_ARCH_NAMES, decodeOptionValue, DhcpV4Code, DhcpV4MessageType, MESSAGE_TYPE_NAMES, userClassInstances } from './options.js';
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

/** Where a boot name is read from (bootNameSource). */
export const BootNameSource = { NONE: 0, OPTION: 1, FIELD: 2 } as const;
export type BootNameSource = (typeof BootNameSource)[keyof typeof BootNameSource];

/**
 * The one rule for the boot file name (option 67 / `file`, overload bit 1) and the boot server name
 * (option 66 / `sname`, bit 2), on a parsed message (effectiveBootFile) and on raw reply bytes (the
 * lean DORA engine's scanReply) alike: the option when present in any area, even empty or NUL-led
 * (the server did send one and a client reads it before the field); else the field `b[at..]`
 * unless option 52 says it holds options, when its first byte is not NUL (an empty field names nothing).
 */
export function bootNameSource(hasOption: boolean, fieldOverloaded: boolean, b: Uint8Array, at: number): BootNameSource {
  if (hasOption) return BootNameSource.OPTION;
  return !fieldOverloaded && at < b.length && b[at] !== 0 ? BootNameSource.FIELD : BootNameSource.NONE;
}

/** Boot file (bootNameSource): option 67 as text, else the `file` field, else null. An empty option
 *  67 gives "", not null: flow output keeps that "", and the DHCP client's offer choice and the lean
 *  DORA engine's scanReply.hasBootFile both count such a reply as naming a boot file. */
export function effectiveBootFile(msg: DhcpV4Message): string | null {
  return bootName(msg, DhcpV4Code.BOOTFILE_NAME, 1, msg.file);
}

/** Boot server name (bootNameSource): option 66 as text (an empty one gives ""), else `sname`, else null. */
export function effectiveServerName(msg: DhcpV4Message): string | null {
  return bootName(msg, DhcpV4Code.TFTP_SERVER_NAME, 2, msg.sname);
}

/** The bytes `effectiveBootFile` reads as text (up to the first NUL), a view into the message: for
 *  a caller that keeps one text per distinct name without decoding each message's. */
export function effectiveBootFileBytes(msg: DhcpV4Message): Uint8Array | null {
  return bootNameBytes(msg, DhcpV4Code.BOOTFILE_NAME, 1, msg.file);
}

function bootName(msg: DhcpV4Message, code: number, overloadBit: number, field: Uint8Array): string | null {
  const b = bootNameBytes(msg, code, overloadBit, field);
  return b === null ? null : latin1String(b);
}

function bootNameBytes(msg: DhcpV4Message, code: number, overloadBit: number, field: Uint8Array): Uint8Array | null {
  const o = getOption(msg, code);
  switch (bootNameSource(o !== null, (overloadValue(msg) & overloadBit) !== 0, field, 0)) {
    case BootNameSource.OPTION: return upToNul(o!);
    case BootNameSource.FIELD: return upToNul(field);
    default: return null;
  }
}

function upToNul(b: Uint8Array): Uint8Array {
  const z = b.indexOf(0);
  return z >= 0 ? b.subarray(0, z) : b;
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

/** The first option 93 architecture code (what `clientArch(msg)[0]` gives), without building the
 *  list: the flow reads it from every client message. */
export function firstClientArch(msg: DhcpV4Message): number | undefined {
  const d = getOption(msg, DhcpV4Code.CLIENT_ARCH);
  return d && d.length >= 2 && d.length % 2 === 0 ? u16(d, 0) : undefined;
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
  return vendorClassStarts(msg, PXE_CLIENT);
}

export function isHttpClient(msg: DhcpV4Message): boolean {
  return vendorClassStarts(msg, HTTP_CLIENT);
}

const PXE_CLIENT = asciiBytes('PXEClient');
const HTTP_CLIENT = asciiBytes('HTTPClient');

/** `vendorClass(msg)?.startsWith(prefix)` for an ASCII prefix, on the bytes: no byte decodes to
 *  an ASCII character but itself, and no text is made per message. */
function vendorClassStarts(msg: DhcpV4Message, prefix: Uint8Array): boolean {
  const d = getOption(msg, DhcpV4Code.VENDOR_CLASS);
  if (d === null || d.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (d[i] !== prefix[i]) return false;
  return true;
}

export function isIpxe(msg: DhcpV4Message): boolean {
  if (getOption(msg, DhcpV4Code.IPXE_ENCAP) !== null) return true;
  const d = getOption(msg, DhcpV4Code.USER_CLASS);
  return d !== null && userClassesHold(d, IPXE);
}

const IPXE = asciiBytes('iPXE');

/** `userClasses(msg).includes(name)` for an ASCII name, on the option's bytes (no text per
 *  message): one of its RFC 3004 instances is the name, or, when it is no list of instances, the
 *  whole option is (the codec's reading, userClassInstances). */
function userClassesHold(d: Uint8Array, name: Uint8Array): boolean {
  const starts = userClassInstances(d);
  if (starts === null) return bytesAt(d, 0, d.length, name);
  for (const at of starts) if (bytesAt(d, at + 1, d[at]!, name)) return true;
  return false;
}

/** d[at, at + len) is `name`. */
function bytesAt(d: Uint8Array, at: number, len: number, name: Uint8Array): boolean {
  if (len !== name.length) return false;
  for (let i = 0; i < len; i++) if (d[at + i] !== name[i]) return false;
  return true;
}

/** A proxyDHCP offer (PXE 2.1): OFFER, vendor class PXEClient, no address offered (yiaddr 0). */
export function isProxyOffer(msg: DhcpV4Message): boolean {
  return msgType(msg) === DhcpV4MessageType.OFFER && isPxeClient(msg) && u32(msg.yiaddr, 0) === 0;
}

export function serverId(msg: DhcpV4Message): string | null {
  const d = getOption(msg, DhcpV4Code.SERVER_ID);
  return d && d.length === 4 ? ipv4ToString(d, 0) : null;
}


/**
 * The message's options were all read: its options area reached END (a message cut short after
 * END, in its padding, lost nothing), or it is plain BOOTP with its vendor area's cookie whole.
 */
export function optionsWhole(msg: DhcpV4Message): boolean {
  if (msg.cookie.length < 4) return false;
  if (!hasDhcpCookie(msg)) return true;
  for (const o of msg.options) if (o.code === DhcpV4Code.END && o.area === 'options') return true;
  return false;
}

/**
 * What a cut left of a request still proves a network-boot client: its architecture (93, sent by
 * PXE and HTTP boot clients only, RFC 4578), a vendor class that begins PXEClient or HTTPClient
 * (read as far as it goes), or iPXE's own options. Which boot stage sent it may still be open.
 */
export function bootClientProven(msg: DhcpV4Message): boolean {
  for (const o of msg.options) if (o.code === DhcpV4Code.CLIENT_ARCH && o.declaredLength === undefined) return true;
  return isPxeClient(msg) || isHttpClient(msg) || isIpxe(msg);
}

/**
 * A request cut short still says who sent it and what it is: its message type (53) and its boot
 * identity were read whole — iPXE's (user class 77 "iPXE" or option 175), else the vendor class
 * (60) and, for a PXE or HTTP boot client, its architecture (93). Options may come in any order, so
 * a request whose vendor class was cut may have been anything (an OS says nothing of itself).
 */
export function identityWhole(msg: DhcpV4Message): boolean {
  let type = false;
  let vc = false;
  let arch = false;
  for (const o of msg.options) {
    if (o.declaredLength !== undefined) continue;
    if (o.code === DhcpV4Code.MESSAGE_TYPE) type = true;
    else if (o.code === DhcpV4Code.VENDOR_CLASS) vc = true;
    else if (o.code === DhcpV4Code.CLIENT_ARCH) arch = true;
  }
  if (!type) return false;
  if (isIpxe(msg)) return true;
  return vc && (arch || !(isPxeClient(msg) || isHttpClient(msg)));
}

/**
 * A 32-bit FNV-1a digest of what a relay passes on unchanged in a server's reply: siaddr, file and
 * sname (unless overloaded: their options count instead) and every option but PAD, END, 54, 82 and
 * the lease times (51, 58, 59: a server answering each relay's copy as its own transaction gives the
 * time left on a cached lease, a second apart — ISC dhcpd's cache threshold, Kea's lease cache).
 * A relay rewrites giaddr and hops, strips option 82 (RFC 3046) and in proxy mode puts its own
 * address in option 54 (RFC 5107 server-id-override); two relays' copies of one answer agree here,
 * two servers' answers almost never do (their siaddr, boot file, options differ).
 */
export function relayInvariantDigest(msg: DhcpV4Message): number {
  let h = fnv(FNV_OFFSET, msg.siaddr);
  const overload = overloadValue(msg);
  if ((overload & 1) === 0) h = fnv(h, msg.file);
  if ((overload & 2) === 0) h = fnv(h, msg.sname);
  for (const o of msg.options) {
    const code = o.code;
    if (code === DhcpV4Code.PAD || code === DhcpV4Code.END || code === DhcpV4Code.SERVER_ID || code === DhcpV4Code.RELAY_AGENT_INFO) continue;
    if (code === DhcpV4Code.LEASE_TIME || code === DhcpV4Code.RENEWAL_TIME || code === DhcpV4Code.REBINDING_TIME) continue;
    h = Math.imul(h ^ code, FNV_PRIME);
    h = Math.imul(h ^ o.data.length, FNV_PRIME);
    h = fnv(h, o.data);
  }
  return h >>> 0;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv(h: number, b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
  return h;
}
