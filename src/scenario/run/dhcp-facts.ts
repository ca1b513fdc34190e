/**
 * From scenario option overrides to the wire (persona overrides), and from DHCP replies to what
 * expectations and variables see (`Observed`, the DHCP built-in variables). The one place facts
 * are taken from decoded messages: a live exchange (dhcp-step.ts) and a capture (offline.ts) alike.
 */
import { asciiBytes, fromHex, ipv4ToString } from '../../wire/bytes.js';
import {
  BootOp, DhcpV4Code, DhcpV4MessageType, effectiveBootFile, effectiveServerName, encodeOptionValue, getOption, isProxyOffer,
  msgType, optionValue, serverId, type DhcpV4Message, type DhcpV4OptionInput, type JsonValue,
} from '../../wire/dhcpv4/index.js';
import type { Observed, OptionValue } from '../expect.js';
import type { PersonaOverrides } from '../personas.js';
import type { OptionOverride } from '../schema/index.js';

function numberBytes(n: number): Uint8Array {
  if (n >= 0 && n <= 0xff) return Uint8Array.of(n);
  if (n >= 0 && n <= 0xffff) return Uint8Array.of(n >> 8, n & 0xff);
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** One override as option bytes: the option's own codec first, then plain text / bytes. */
export function overrideBytes(code: number, v: Exclude<OptionOverride, null>): Uint8Array {
  if (typeof v === 'object' && !Array.isArray(v)) return fromHex(v.hex.replace(/[: ]/g, ''));
  const attempts: JsonValue[] = typeof v === 'number' ? [v, [v]] : [v];
  for (const a of attempts) {
    try {
      return encodeOptionValue(code, a);
    } catch {
      // try the next shape
    }
  }
  if (typeof v === 'string') return asciiBytes(v);
  if (typeof v === 'number') return numberBytes(v);
  return Uint8Array.from(v.map((x) => (typeof x === 'number' ? x : Number(x)) & 0xff));
}

/** Scenario `options:` maps (later maps win) plus a hostname → persona overrides. */
export function personaOverrides(maps: ReadonlyArray<Readonly<Record<number, OptionOverride>> | undefined>, hostname?: string): PersonaOverrides {
  const merged = new Map<number, OptionOverride>();
  if (hostname !== undefined) merged.set(DhcpV4Code.HOST_NAME, hostname);
  for (const m of maps) for (const [k, v] of Object.entries(m ?? {})) merged.set(Number(k), v);
  const options: DhcpV4OptionInput[] = [];
  const remove: number[] = [];
  for (const [code, v] of merged) {
    if (v === null) remove.push(code);
    else options.push({ code, data: overrideBytes(code, v) });
  }
  return { options, remove };
}

function asOptionValue(v: JsonValue | undefined, raw: Uint8Array): OptionValue {
  // An option the codec could only show as hex (43 outside PXE, site-specific 224-254 such as
  // Avaya's 242) stays bytes: matchers compare them as hex, `matches` also as text when printable.
  if (typeof v === 'string' && raw.length > 0 && v === hexOf(raw)) return raw;
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v as Array<string | number>;
  return raw;
}

function hexOf(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Every option of a message, decoded where the codec knows the type, raw bytes otherwise. */
export function optionMap(msg: DhcpV4Message): Map<number, OptionValue> {
  const out = new Map<number, OptionValue>();
  for (const o of msg.options) {
    if (o.code === DhcpV4Code.PAD || o.code === DhcpV4Code.END || out.has(o.code)) continue;
    const raw = getOption(msg, o.code);
    if (raw === null || raw === undefined) continue;
    out.set(o.code, asOptionValue(optionValue(msg, o.code), raw));
  }
  return out;
}

function firstAddress(v: OptionValue | undefined): string | undefined {
  if (v === undefined || v instanceof Uint8Array) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : String(first);
}

/** What a reply shows: the address fields, the boot file, the lease, every option. */
export function observeReply(msg: DhcpV4Message, bootFrom?: DhcpV4Message | null): Observed {
  const options = optionMap(msg);
  const boot = bootFrom ?? msg;
  const siaddr = ipv4ToString(boot.siaddr);
  const lease = options.get(DhcpV4Code.LEASE_TIME);
  return {
    yiaddr: ipv4ToString(msg.yiaddr),
    siaddr: ipv4ToString(msg.siaddr),
    nextServer: siaddr !== '0.0.0.0' ? siaddr : (effectiveServerName(boot) ?? undefined),
    serverId: serverId(msg) ?? undefined,
    bootfile: effectiveBootFile(boot) ?? undefined,
    leaseTime: typeof lease === 'number' ? lease : undefined,
    options,
  };
}

/** The replies of one DHCPv4 exchange, however they were collected. */
export interface DhcpReplies {
  ack: DhcpV4Message | null;
  nak: DhcpV4Message | null;
  /** The address offer the client took (or would take). */
  offer: DhcpV4Message | null;
  /** A proxyDHCP offer (PXEClient, no address) that came in the same exchange. */
  proxy: DhcpV4Message | null;
}

/** What an exchange shows: the ACK (else NAK, else offer), the boot file taken from the proxy offer
 *  when `prefer: proxy` or the reply names none (PXE), and how many offers came. */
export function observeReplies(r: DhcpReplies, offers: number, prefer?: 'proxy' | 'address'): Observed {
  const reply = r.ack ?? r.nak ?? r.offer;
  if (reply === null) return { messageType: null, offers };
  const ackHasBoot = observeReply(reply).bootfile !== undefined;
  const bootFrom = r.proxy !== null && (prefer === 'proxy' || (prefer === undefined && !ackHasBoot)) ? r.proxy : null;
  const type = r.ack ? 'ack' : r.nak ? 'nak' : 'offer';
  return { ...observeReply(reply, bootFrom), messageType: type, offers };
}

/** The replies among an exchange's messages in capture order: the last ACK and NAK, the offer from
 *  the server the client's REQUEST named (else the first address offer), the first proxy offer. */
export function repliesInCapture(messages: readonly DhcpV4Message[]): DhcpReplies {
  const last = (type: number): DhcpV4Message | null => messages.findLast((m) => m.op === BootOp.REPLY && msgType(m) === type) ?? null;
  const offers = messages.filter((m) => m.op === BootOp.REPLY && msgType(m) === DhcpV4MessageType.OFFER);
  const request = messages.findLast((m) => m.op === BootOp.REQUEST && msgType(m) === DhcpV4MessageType.REQUEST);
  const chosenServer = request === undefined ? null : serverId(request);
  const address = offers.filter((m) => !isProxyOffer(m));
  return {
    ack: last(DhcpV4MessageType.ACK),
    nak: last(DhcpV4MessageType.NAK),
    offer: address.find((m) => chosenServer !== null && serverId(m) === chosenServer) ?? address[0] ?? null,
    proxy: offers.find(isProxyOffer) ?? null,
  };
}

/** Take a reply's variables in place of the last reply's (a boot file or TFTP server the new reply
 *  does not name is forgotten, not carried over). */
export function learnDhcpVariables(vars: Map<string, string>, o: Observed): void {
  for (const k of ['bootfile', 'next-server', 'tftp-server']) vars.delete(k);
  for (const [k, v] of Object.entries(dhcpVariables(o))) vars.set(k, v);
}

/** The DHCP built-in variables (vars.ts DHCP_VARIABLES) a reply defines. */
export function dhcpVariables(o: Observed): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (k: string, v: string | number | undefined): void => {
    if (v !== undefined && v !== '') out[k] = String(v);
  };
  if (o.yiaddr !== '0.0.0.0') put('yiaddr', o.yiaddr);
  put('siaddr', o.siaddr);
  put('next-server', o.nextServer);
  put('bootfile', o.bootfile);
  put('server-id', o.serverId);
  put('subnet-mask', firstAddress(o.options?.get(DhcpV4Code.SUBNET_MASK)));
  put('router', firstAddress(o.options?.get(DhcpV4Code.ROUTER)));
  put('lease-time', o.leaseTime);
  put('tftp-server', firstAddress(o.options?.get(DhcpV4Code.TFTP_SERVER_ADDRESS)) ?? firstAddress(o.options?.get(DhcpV4Code.TFTP_SERVER_NAME)));
  return out;
}

/** `255.255.255.0` → 24 (a non-contiguous mask counts its leading ones). */
export function prefixLength(mask: string | undefined): number {
  if (mask === undefined) return 24;
  let n = 0;
  for (const part of mask.split('.')) {
    let b = Number(part);
    for (let i = 0; i < 8; i++, b <<= 1) {
      if ((b & 0x80) === 0) return n;
      n++;
    }
  }
  return n;
}
