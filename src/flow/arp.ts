/**
 * ARP facts of the boot devices: the addresses a device asked for (RFC 826 requests, its own: by
 * sender MAC) and whether anyone answered. A PXE ROM that gets no answer for its next server or
 * router retries a few times and stops (PXE-E11): no TFTP request is ever on the wire. Gratuitous
 * ARP and RFC 5227 probes (sender 0.0.0.0, or asking for its own address) ask for no one.
 *
 * Asks belong to the DHCPv4 exchange they follow: the device's next one it opens itself (a reboot,
 * the next stage: each its own ARP cache) closes them, so no retry and no reply joins an ask of the
 * boot before, and each exchange has its own room (a long capture of many boots misses none).
 * Closed asks are compacted to what the rules can still use, so a device's life is bounded too.
 */
import { ArpOperation } from '../wire/arp.js';
import type { ArpSeen } from '../decode/messages.js';
import type { ArpAskFacts, AttemptFacts } from './facts.js';
import type { ChainState } from './state.js';

/** Asks kept per DHCP exchange: a boot asks for its server and router, iPXE or an OS also for its
 *  DNS, NTP, syslog hosts (singles whose replies a broadcast-only capture misses). */
export const ARP_ASKS_KEPT = 8;
/** Closed asks kept per device (of all its exchanges before the current one). */
export const ARP_CLOSED_KEPT = 16;
/** Requests for one address that show no reply came (firmware retries; findings/rules-arp.ts): an
 *  unanswered ask with fewer shows nothing once its exchange is over. */
export const ARP_RETRIES = 3;
/** Requests for one address further apart than this are a new ask (an ARP cache timed out). */
// Retries of one burst: PXE ROMs and EDK2 retry within ~0.5–2 s, iPXE's neighbour timer grows to at
// most 3 s. Wider, single requests of successive stages (ROM, iPXE, kernel, OS: each its own ARP cache)
// chain into false "retries" in a capture that misses the unicast replies (on the DHCP host, an uplink).
export const ARP_RETRY_GAP_S = 2.5;
/** Request frames kept per ask (the firmware's retries). */
const FRAMES_KEPT = 4;

/** One ask: a run of requests for `target` no more than ARP_RETRY_GAP_S apart. */
export interface ArpAsk {
  target: number;
  first: number;
  last: number;
  requests: number;
  frames: number[];
  /** Time of the first reply to it, null while none. */
  replied: number | null;
}

/** A device's asks in time order; those from `open` on follow its current DHCP exchange. */
export interface ArpAsks {
  asks: ArpAsk[];
  open: number;
}

/** The device's own request for another address: a new ask, or a retry of an open one. */
export function noteArpRequest(c: ChainState, a: ArpSeen): void {
  if (a.sender4 === 0 || a.sender4 === a.target4) return;
  const state = (c.arp ??= { asks: [], open: 0 });
  const asks = state.asks;
  let ask: ArpAsk | undefined;
  for (let i = asks.length - 1; i >= state.open; i--) if (asks[i]!.target === a.target4) { ask = asks[i]; break; }
  if (ask !== undefined && ask.replied === null && a.time - ask.last <= ARP_RETRY_GAP_S) {
    ask.requests++;
    ask.last = a.time;
    if (ask.frames.length < FRAMES_KEPT) ask.frames.push(a.frame);
    return;
  }
  const next: ArpAsk = { target: a.target4, first: a.time, last: a.time, requests: 1, frames: [a.frame], replied: null };
  if (asks.length - state.open < ARP_ASKS_KEPT) { asks.push(next); return; }
  // Full: first an ask that can show nothing (unanswered, too few requests, past its retry window:
  // its reply may be off the capture), then an answered ask, then the oldest single whatever its
  // age (iPXE ARPing DNS, syslog, router before its server); else the newest is not kept.
  let old = -1;
  for (let i = state.open; i < asks.length && old < 0; i++) {
    const x = asks[i]!;
    if (x.replied === null && x.requests < ARP_RETRIES && a.time - x.last > ARP_RETRY_GAP_S) old = i;
  }
  for (let i = state.open; i < asks.length && old < 0; i++) if (asks[i]!.replied !== null) old = i;
  for (let i = state.open; i < asks.length && old < 0; i++) if (asks[i]!.requests === 1) old = i;
  if (old >= 0) { asks.splice(old, 1); asks.push(next); }
}

/** A reply to the device (`c`: the chain of its target MAC) from the address it asked for in its
 *  current exchange, by anyone (the host itself, a router's proxy ARP). */
export function noteArpReply(c: ChainState, a: ArpSeen): void {
  if (c.arp === null || a.operation !== ArpOperation.REPLY) return;
  const asks = c.arp.asks;
  for (let i = asks.length - 1; i >= c.arp.open; i--) {
    const ask = asks[i]!;
    if (ask.target === a.sender4 && ask.replied === null && a.time >= ask.first) { ask.replied = a.time; return; }
  }
}

/** The device opened a DHCPv4 exchange (its IPv4 stack starts over): its asks so far are closed,
 *  and the closed ones compacted. */
export function closeArpAsks(c: ChainState): void {
  if (c.arp === null) return;
  c.arp.asks = compactClosed(c.arp.asks);
  c.arp.open = c.arp.asks.length;
}

/** Closed asks as far as a rule can use them: an unanswered burst (rules-arp.ts: PXE-E11; causes.ts
 *  arpShowsLink) or an answer for its target (arpShowsLink: one per target tells it all); at most
 *  ARP_CLOSED_KEPT, answered non-bursts dropped first, then the oldest. */
function compactClosed(asks: ArpAsk[]): ArpAsk[] {
  const answered = new Set<number>();
  const kept = asks.filter((x) => {
    if (x.replied === null) return x.requests >= ARP_RETRIES;
    if (answered.has(x.target)) return false;
    answered.add(x.target);
    return true;
  });
  for (let i = 0; i < kept.length && kept.length > ARP_CLOSED_KEPT;) {
    if (kept[i]!.requests < ARP_RETRIES) kept.splice(i, 1);
    else i++;
  }
  return kept.length > ARP_CLOSED_KEPT ? kept.slice(-ARP_CLOSED_KEPT) : kept;
}

/** The asks as published by attempt (index as in `attempts`; undefined: none), each in the attempt it
 *  was sent in (the last attempt begun by then; the first for any before it). */
export function publishArp(state: ArpAsks, attempts: readonly AttemptFacts[]): (ArpAskFacts[] | undefined)[] {
  const lists: (ArpAskFacts[] | undefined)[] = [];
  let k = 0;
  for (const x of state.asks) {
    while (k > 0 && attempts[k]!.start > x.first) k--;
    while (k + 1 < attempts.length && attempts[k + 1]!.start <= x.first) k++;
    if (k >= attempts.length) break;
    (lists[k] ??= []).push({ target: ipv4Text(x.target), first: x.first, last: x.last, requests: x.requests, frames: [...x.frames], replied: x.replied });
  }
  return lists;
}

function ipv4Text(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
