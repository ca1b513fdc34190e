/**
 * proxyDHCP client (PXE 2.1 §2.2.1 step 6/7): after DORA, a REQUEST to the proxy server's port
 * 4011 with the client's address in ciaddr and the PXE options; waits for the ACK carrying the
 * boot file. Bounded retransmissions with the DHCP back-off.
 *
 * Boot Server Discovery (PXE 2.1 §2.2.4): when the proxy offer or the 4011 ACK carries a boot
 * menu (option 43 sub-option 9) and no boot file, a PXE ROM picks a menu item and sends a REQUEST
 * with PXE_BOOT_ITEM (43/71: type + layer 0) to that item's boot server; its ACK has the file.
 */
import { ipv4ToString, macFromString } from '../../wire/bytes.js';
import {
  DhcpV4Code, DhcpV4MessageType, effectiveBootFile, encodeOptionValue, getOption, msgType, msgTypeName, parseDhcpV4,
  type DhcpV4Message,
  type DhcpV4OptionInput, type JsonValue,
} from '../../wire/dhcpv4/index.js';
import { PXE_BOOT_TYPE_LOCAL, PxeSubOption, pxeVendorOptions } from '../../wire/dhcpv4/pxe.js';
import { UdpPort } from '../../wire/ports.js';
import { personaOptions, type Persona, type PersonaOverrides } from '../personas.js';
import { backoff, DHCP4_RETRY, emitClientMessage, parseReplyFor, randomXid } from './dhcp4-message.js';
import type { ClientMachine, Endpoint, ExchangeEntry, RandomSource, UdpDatagram } from './types.js';

export const PROXY_DHCP_PORT = UdpPort.PXE_BOOT_SERVER;

/** PXE_DISCOVERY_CONTROL bits (PXE 2.1 table 2-1) the client acts on. */
export const DISCOVERY_ONLY_LISTED_SERVERS = 4;
export const DISCOVERY_USE_BOOT_FILE = 8;

export interface ProxyDhcpClientConfig {
  mac: string;
  persona: Persona;
  overrides?: PersonaOverrides;
  /** Our address (from the ACK): ciaddr and source address. */
  clientAddr: string;
  /** The proxy server (the proxy offer's server identifier / source). */
  server: string;
  /** The proxy offer from DORA, when the caller kept it: its menu starts discovery at once. */
  offer?: DhcpV4Message;
  /** Boot server type of the menu item to pick (default: the first that is not local boot). */
  item?: number;
  xid?: number;
  random?: RandomSource;
  maxAttempts?: number;
  initialTimeout?: number;
  maxTimeout?: number;
}

/** The PXE sub-options of option 43 that discovery reads. */
export interface PxeMenu {
  control: number;
  servers: { type: number; addresses: string[] }[];
  menu: { type: number; description: string }[];
}

/** The boot item the client asked for (43/71) and where. */
export interface BootItemChoice {
  type: number;
  layer: number;
  description: string;
  server: string;
}

export interface ProxyDhcpResult {
  ok: boolean;
  error: string | null;
  xid: number;
  messages: ExchangeEntry<DhcpV4Message>[];
  ack: DhcpV4Message | null;
  bootFile: string | null;
  /** Next server (siaddr) of the ACK. */
  nextServer: string | null;
  /** The menu item sent in 43/71, or null when no boot server discovery took place. */
  bootItem: BootItemChoice | null;
  timings: { ack?: number; end: number };
}

const QUIET = { issues: null, base: 0, vendorClass: 'PXEClient' };

/**
 * Option 43 of a reply read as PXE sub-options (we are a PXE client, so regardless of option 60);
 * null when absent or not sub-option shaped.
 */
export function pxeMenuOf(msg: DhcpV4Message): PxeMenu | null {
  const d = getOption(msg, DhcpV4Code.VENDOR_SPECIFIC);
  if (!d) return null;
  const subs = pxeVendorOptions.decode(d, QUIET);
  if (!Array.isArray(subs)) return null;
  const out: PxeMenu = { control: 0, servers: [], menu: [] };
  for (const s of subs) {
    const o = s as { code?: JsonValue; value?: JsonValue };
    if (o.code === PxeSubOption.DISCOVERY_CONTROL && typeof o.value === 'number') out.control = o.value;
    else if (o.code === PxeSubOption.BOOT_SERVERS && Array.isArray(o.value)) out.servers = o.value as unknown as PxeMenu['servers'];
    else if (o.code === PxeSubOption.BOOT_MENU && Array.isArray(o.value)) out.menu = o.value as unknown as PxeMenu['menu'];
  }
  return out;
}

/** Option 43 with PXE_BOOT_ITEM, as a PXE ROM sends it to the boot server (END-terminated). */
export function bootItemOption(type: number, layer = 0): DhcpV4OptionInput {
  const item = [{ code: PxeSubOption.BOOT_ITEM, value: { type, layer } }, { code: PxeSubOption.END, value: null }];
  return { code: DhcpV4Code.VENDOR_SPECIFIC, data: encodeOptionValue(DhcpV4Code.VENDOR_SPECIFIC, item) };
}

/**
 * What a ROM does with a proxy reply: use its boot file, ask a boot server for a menu item, or
 * (no menu) nothing more. An error string when the menu cannot be followed.
 */
export function planDiscovery(
  msg: DhcpV4Message, fallbackServer: string, item?: number,
): { kind: 'file' } | { kind: 'none' } | { kind: 'item'; choice: BootItemChoice } | { kind: 'error'; error: string } {
  const file = effectiveBootFile(msg);
  const pxe = pxeMenuOf(msg);
  if (file !== null && (pxe === null || pxe.menu.length === 0 || pxe.control & DISCOVERY_USE_BOOT_FILE)) return { kind: 'file' };
  if (pxe === null || pxe.menu.length === 0) return file !== null ? { kind: 'file' } : { kind: 'none' };
  // Type 0 is "local boot": nothing to download, so not a default choice.
  const entry = item !== undefined ? pxe.menu.find((m) => m.type === item) : pxe.menu.find((m) => m.type !== PXE_BOOT_TYPE_LOCAL);
  if (!entry) {
    const types = pxe.menu.map((m) => m.type).join(', ');
    return { kind: 'error', error: item !== undefined ? `boot menu has no item of type ${item} (types: ${types})` : `boot menu offers only local boot (types: ${types})` };
  }
  const listed = pxe.servers.find((s) => s.type === entry.type)?.addresses[0];
  if (listed === undefined && pxe.control & DISCOVERY_ONLY_LISTED_SERVERS) {
    return { kind: 'error', error: `boot menu item ${entry.type} has no server in PXE_BOOT_SERVERS and discovery control forbids others` };
  }
  return { kind: 'item', choice: { type: entry.type, layer: 0, description: entry.description, server: listed ?? fallbackServer } };
}

export class ProxyDhcpClient implements ClientMachine<ProxyDhcpResult> {
  readonly xid: number;
  private readonly mac: Uint8Array;
  private readonly random: RandomSource;
  private start = -1;
  private attempts = 0;
  private nextSend: number | null = 0;
  private readonly messages: ExchangeEntry<DhcpV4Message>[] = [];
  private result: ProxyDhcpResult | null = null;
  /** Set once boot server discovery started: every REQUEST then carries 43/71. */
  private choice: BootItemChoice | null = null;
  private pending: { error: string | null; ack: DhcpV4Message | null } | null = null;

  constructor(private readonly cfg: ProxyDhcpClientConfig) {
    this.random = cfg.random ?? Math.random;
    this.xid = (cfg.xid ?? randomXid(this.random)) >>> 0;
    this.mac = macFromString(cfg.mac);
    if (cfg.offer) {
      const plan = planDiscovery(cfg.offer, cfg.server, cfg.item);
      if (plan.kind === 'item') this.choice = plan.choice;
      // The offer's own boot file (discovery control bit 3): no 4011 exchange at all.
      else if (plan.kind === 'file') this.pending = { error: null, ack: cfg.offer };
      else if (plan.kind === 'error') this.pending = { error: plan.error, ack: null };
    }
  }

  pollAt(): number | null {
    return this.result ? null : this.nextSend;
  }

  done(): ProxyDhcpResult | null {
    return this.result;
  }

  dispatch(now: number): UdpDatagram[] {
    if (this.result || this.nextSend === null || now < this.nextSend) return [];
    if (this.start < 0) this.start = now;
    if (this.pending) {
      this.finish(now, this.pending.error, this.pending.ack);
      return [];
    }
    const server = this.choice?.server ?? this.cfg.server;
    if (this.attempts >= (this.cfg.maxAttempts ?? DHCP4_RETRY.maxAttempts)) {
      const what = this.choice ? `REQUESTs for boot item ${this.choice.type}` : 'REQUESTs';
      this.finish(now, `no ACK from ${server}:${PROXY_DHCP_PORT} after ${this.attempts} ${what} in ${Math.round(now - this.start)} s`, null);
      return [];
    }
    this.attempts++;
    const payload = emitClientMessage({
      type: DhcpV4MessageType.REQUEST, xid: this.xid, mac: this.cfg.mac, secs: now - this.start, broadcast: false,
      ciaddr: this.cfg.clientAddr, persona: personaOptions(this.cfg.persona, this.cfg.mac, this.cfg.overrides, 'request'),
      ...(this.choice ? { lead: [bootItemOption(this.choice.type, this.choice.layer)], leadLast: true } : {}),
    });
    const d: UdpDatagram = { src: { addr: this.cfg.clientAddr, port: UdpPort.DHCP_CLIENT }, dst: { addr: server, port: PROXY_DHCP_PORT }, payload };
    this.log('sent', parseDhcpV4(payload, []), now, d.src, d.dst);
    this.nextSend = now + backoff(this.attempts, this.cfg.initialTimeout ?? DHCP4_RETRY.initialTimeout, this.cfg.maxTimeout ?? DHCP4_RETRY.maxTimeout, this.random);
    return [d];
  }

  process(d: UdpDatagram, now: number): void {
    if (this.result) return;
    const msg = parseReplyFor(d.payload, this.xid, this.mac);
    if (!msg) return;
    this.log('received', msg, now, d.src, d.dst);
    const t = msgType(msg);
    if (t === DhcpV4MessageType.NAK) { this.finish(now, `NAK from proxy ${d.src.addr}`, null); return; }
    if (t !== DhcpV4MessageType.ACK) return;
    // A menu in the ACK to a plain REQUEST: follow it once, as the ROM would have from the offer.
    if (this.choice === null) {
      const plan = planDiscovery(msg, d.src.addr, this.cfg.item);
      if (plan.kind === 'item') {
        this.choice = plan.choice;
        this.attempts = 0;
        this.nextSend = now;
        return;
      }
      if (plan.kind === 'error') { this.finish(now, plan.error, msg); return; }
    }
    this.finish(now, null, msg);
  }

  private log(dir: 'sent' | 'received', msg: DhcpV4Message, now: number, from: Endpoint, to: Endpoint): void {
    this.messages.push({ dir, type: msgTypeName(msg) ?? 'BOOTP', time: now, index: this.messages.length, from, to, msg });
  }

  private finish(now: number, error: string | null, ack: DhcpV4Message | null): void {
    this.nextSend = null;
    const siaddr = ack ? ipv4ToString(ack.siaddr) : null;
    this.result = {
      ok: error === null, error, xid: this.xid, messages: this.messages, ack,
      bootFile: ack ? effectiveBootFile(ack) : null, nextServer: siaddr === '0.0.0.0' ? null : siaddr,
      bootItem: this.choice,
      timings: { ...(ack ? { ack: now - this.start } : {}), end: now - this.start },
    };
  }
}
