/** Building and filtering the client's DHCPv4 messages (shared by the DHCP and proxyDHCP clients). */
import {
  BootOp, BROADCAST_FLAG, buildDhcpV4, CHADDR_LEN, DhcpV4Code, emitDhcpV4, isReplyFor, parseDhcpV4, relayAgentInfoData,
  type DhcpV4Message, type DhcpV4OptionInput,
} from '../../wire/dhcpv4/index.js';
import type { RandomSource, RelayConfig } from './types.js';

export interface Dhcp4MessageFields {
  type: number;
  xid: number;
  mac: string;
  secs: number;
  broadcast: boolean;
  ciaddr?: string;
  /** Options after 53 (and before the persona's), e.g. 54 / 50 in that order as EDK2 sends them. */
  lead?: DhcpV4OptionInput[];
  /** The persona's options (55, 60, 93…); left out of DECLINE / RELEASE (RFC 2131 table 5). */
  persona?: DhcpV4OptionInput[];
  /** Put `lead` after the persona's options (iPXE order). */
  leadLast?: boolean;
  relay?: RelayConfig;
}

function relayAgentOption(r: RelayConfig): DhcpV4OptionInput | null {
  const data = relayAgentInfoData(r);
  return data ? { code: DhcpV4Code.RELAY_AGENT_INFO, data } : null;
}

/** The bytes of one client message, built with the project's codec. */
export function emitClientMessage(f: Dhcp4MessageFields): Uint8Array {
  return emitDhcpV4(buildClientMessage(f));
}

/** One client message as a repr (for the exchange log: no need to parse back what we emit). */
export function buildClientMessage(f: Dhcp4MessageFields): DhcpV4Message {
  const lead = f.lead ?? [];
  const persona = f.persona ?? [];
  const options: DhcpV4OptionInput[] = [{ code: DhcpV4Code.MESSAGE_TYPE, data: Uint8Array.of(f.type) },
    ...(f.leadLast ? [...persona, ...lead] : [...lead, ...persona])];
  // Option 82 is the relay's: last before END (RFC 3046 §2.1).
  const o82 = f.relay ? relayAgentOption(f.relay) : null;
  if (o82) options.push(o82);
  return buildDhcpV4({
    op: BootOp.REQUEST, xid: f.xid, secs: Math.min(0xffff, Math.max(0, Math.floor(f.secs))),
    flags: f.broadcast ? BROADCAST_FLAG : 0, ciaddr: f.ciaddr, chaddr: f.mac,
    giaddr: f.relay?.giaddr, hops: f.relay ? (f.relay.hops ?? 1) : 0, options,
  });
}

/** A server reply addressed to this client (BOOTREPLY, our xid and chaddr), or null. */
export function parseReplyFor(payload: Uint8Array, xid: number, mac: Uint8Array): DhcpV4Message | null {
  // The header check before any parse: most of what a busy link carries is not ours.
  if (!isReplyFor(payload, xid, mac, 0, Math.min(mac.length, CHADDR_LEN))) return null;
  // Kept beyond the driver's callback: copy once here. Value issues are not the client's business.
  return parseDhcpV4(payload.slice(), [], 0, false);
}

/**
 * The client's retransmission and restart defaults, the same on Dhcp4Client (and the proxyDHCP
 * client) and the load runner's lean DORA engine: sends of one message, the first timeout and its
 * cap (RFC 2131 §4.1: 4 s doubled up to 64 s), DORA restarts after a NAK (§3.1 step 5).
 */
export const DHCP4_RETRY = { maxAttempts: 4, initialTimeout: 4, maxTimeout: 64, maxRestarts: 3 } as const;

/**
 * Seconds a DORA client waits before its `restart`-th fresh DISCOVER after a NAK (1-based): a
 * random time below 0.5 s, doubled each restart (0.5, 1, 2 s). Clients NAKed together — a server
 * that offered one address to several of them while it was busy — would otherwise start over in
 * step and be offered one address again (RFC 2131 §4.1 asks for random delays to desynchronise).
 */
export function nakRestartDelay(restart: number, random: RandomSource): number {
  return random() * 0.5 * 2 ** Math.max(0, restart - 1);
}

/** The error of a client that gave up: `sent` (DISCOVER, REQUEST, INFORM) `attempts` times, no answer in `seconds`. */
export function noAnswerError(sent: 'DISCOVER' | 'REQUEST' | 'INFORM', attempts: number, seconds: number): string {
  return `no ${sent === 'DISCOVER' ? 'OFFER' : 'ACK'} after ${attempts} ${sent}s in ${Math.round(seconds)} s`;
}

/**
 * Offer choice, one offer at a time in arrival order (an offer of yiaddr 0, a proxy's, is never
 * chosen): the first address offer, but a PXE client (its firmware) moves to the first one that
 * names a boot file (bootNameSource) when the one it holds names none. True: take `offer` instead.
 */
export function prefersOffer(pxe: boolean, holding: boolean, holdingBoot: boolean, addressOffer: boolean, offerBoot: boolean): boolean {
  return addressOffer && (!holding || (pxe && !holdingBoot && offerBoot));
}

/** 4, 8, 16, 32… s capped at `max`, ±1 s (RFC 2131 §4.1), for the `attempt`-th send (1-based). */
export function backoff(attempt: number, initial: number, max: number, random: RandomSource): number {
  const base = Math.min(initial * 2 ** (attempt - 1), max);
  return Math.max(0, base + (random() * 2 - 1));
}

export function randomXid(random: RandomSource): number {
  return Math.floor(random() * 0x100000000) >>> 0;
}
