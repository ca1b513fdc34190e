/**
 * The builder's DHCPv4 handling: one `dhcp4` step per client exchange (xid), the proxyDHCP (4011)
 * exchange as a `proxydhcp` step, and the leases that join later TFTP/HTTP traffic to the chain.
 */
import { hex, ipv4FromString, ipv4ToString, latin1String, u32 } from '../wire/bytes.js';
import {
  BootOp, bootClientProven, optionValue as v4OptionValue, firstClientArch as v4FirstArch, clientMac, DhcpV4Code, DhcpV4MessageType, effectiveBootFileBytes, getOption as v4Option, msgType,
  identityWhole, isIpxe, isPxeClient, msgTypeName, optionsWhole, relayInvariantDigest, serverId, userClasses as v4UserClasses, type DhcpV4Message,
} from '../wire/dhcpv4/index.js';
import type { Dhcp4Decoded } from '../decode/messages.js';
import { REBOOT_GAP_S } from './attempts.js';
import { UdpPort } from '../wire/ports.js';
import { UNPUBLISHED_FRAMES } from './frames.js';
import { NO_TEXTS } from './shared-strings.js';
import { clientStage, httpFetched, knownName, looksLikeKernel } from './classify.js';
import type { ChainState, Dhcp4State, ProxyState } from './state.js';
import type { Dhcp4Step, DhcpOfferSummary } from './types.js';
import {
  chainFor, noteArch, noteExchange, noteLink, openStep, pushMessage, touch, PROXY_PORT, type FlowState,
} from './builder-state.js';

const { DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM } = DhcpV4MessageType;
const MAX_OFFERS = 16;
/** DHCP message types 1–18 (RFC 2132, 3203, 4388, 6926) keep their own kind in `Dhcp4State.answerAt`. */
const ANSWER_TYPES = 19;
/** Offer frames kept per step as evidence. */
const MAX_OFFER_FRAMES = 16;

function isZeroAddr(b: Uint8Array): boolean {
  return b.length < 4 || u32(b, 0) === 0;
}

function addrOrNull(b: Uint8Array): string | null {
  return isZeroAddr(b) ? null : ipv4ToString(b, 0);
}

/** The boot file (`effectiveBootFile`), the table's copy: decoded once per distinct name. */
function bootFile(flow: FlowState, msg: DhcpV4Message): string | null {
  const b = effectiveBootFileBytes(msg);
  return b === null ? null : flow.strings.latin1(b);
}

/** The vendor class (option 60, `vendorClass`), the table's copy: decoded once per distinct class. */
function vendorClassText(flow: FlowState, msg: DhcpV4Message): string | null {
  const d = v4Option(msg, DhcpV4Code.VENDOR_CLASS);
  return d === null ? null : flow.strings.latin1(d);
}

/** Option text up to the first NUL, or null. */
function optionText(msg: DhcpV4Message, code: number): string | null {
  const d = v4Option(msg, code);
  if (!d) return null;
  const z = d.indexOf(0);
  return latin1String(z >= 0 ? d.subarray(0, z) : d);
}

/** Option 150's addresses kept per step: a phone tries a few in order. */
const MAX_TFTP_SERVERS = 8;

/** Option 150 (Cisco TFTP server addresses), null when absent or empty. */
/** Option 3's first address (clients use the first), null when absent or 0.0.0.0. */
function firstRouter(msg: DhcpV4Message): string | null {
  const d = v4Option(msg, DhcpV4Code.ROUTER);
  if (d === null) return null;
  // An option 3 that is no list of addresses reads as its hex, as `optionValue` gives it.
  if (d.length === 0 || d.length % 4 !== 0) return hex(d);
  return u32(d, 0) === 0 ? null : ipv4ToString(d, 0);
}

function tftpServerList(msg: DhcpV4Message): string[] | null {
  const v = v4OptionValue(msg, DhcpV4Code.TFTP_SERVER_ADDRESS);
  if (!Array.isArray(v)) return null;
  const out: string[] = [];
  for (const a of v) if (typeof a === 'string' && a !== '0.0.0.0' && out.length < MAX_TFTP_SERVERS) out.push(a);
  return out.length > 0 ? out : null;
}

/** Printable text as is, otherwise hex. */
function printable(d: Uint8Array): string {
  for (let i = 0; i < d.length; i++) if (d[i]! < 0x20 || d[i]! > 0x7e) return hex(d);
  return latin1String(d);
}

/** Option 82 circuit-id (1) and remote-id (2). */
function relayAgentIds(msg: DhcpV4Message): { circuitId: string | null; remoteId: string | null } | null {
  const d = v4Option(msg, 82);
  if (!d) return null;
  let circuitId: string | null = null;
  let remoteId: string | null = null;
  for (let i = 0; i + 2 <= d.length;) {
    const code = d[i]!;
    const len = d[i + 1]!;
    const v = d.subarray(i + 2, Math.min(d.length, i + 2 + len));
    if (code === 1) circuitId = printable(v);
    else if (code === 2) remoteId = printable(v);
    i += 2 + len;
  }
  return { circuitId, remoteId };
}

export function dhcp4Message(flow: FlowState, m: Dhcp4Decoded): ChainState | null {
  const msg = m.msg;
  if (msg.headerLength < 44) return null; // no chaddr: nothing to key on
  const mac = clientMac(msg);
  const c = chainFor(flow, mac, m.time);
  const type = msgType(msg);
  const fromClient = msg.op === BootOp.REQUEST;
  if (fromClient) noteExchange(c, true);
  const proxyPort = m.dstPort === PROXY_PORT || m.srcPort === PROXY_PORT;
  if (fromClient) {
    const arch = v4FirstArch(msg);
    if (c.identity.vendorClass === null) noteArch(c, arch, vendorClassText(flow, msg));
    else noteArch(c, arch, null);
    noteLink(c, m.vlans);
  }
  // A boot server's answer to the 4011 request may come from UDP 67 (real PXE ROMs accept it):
  // pair it by xid and by the address the request went to, not by the port alone.
  if (proxyPort || (!fromClient && answersProxyRequest(c, m))) {
    if (!fromClient) noteExchange(c, false);
    proxyMessage(flow, c, m, fromClient, type);
    return c;
  }
  let st = c.dhcp4;
  if (fromClient) {
    const sameXid = type === DISCOVER && st !== null && st.step.xid === msg.xid;
    const newRound = sameXid && st!.requestSeen;
    if (!st || st.step.xid !== msg.xid || newRound || (sameXid && restartsDiscovery(st, msg.secs, m.time))) st = openDhcp4(flow, c, m);
    if (type === DISCOVER) st.discoverSecs = msg.secs;
    dhcp4Client(flow, c, st, m, type);
  } else {
    if (!st || st.step.xid !== msg.xid) {
      st = findDhcp4(c, msg.xid) ?? openDhcp4(flow, c, m);
    }
    const answer = answerSeen(st, type, m);
    if (answer === 'new') noteExchange(c, false);
    dhcp4Server(flow, c, st, m, type, answer === 'copy');
  }
  return c;
}

/** A DISCOVER with the step's xid whose `secs` (RFC 2131: seconds since the client began) went
 *  back is the first of a new discovery: a machine that rebooted and drew the same xid (EDK2 on a
 *  reset VM) — if the step was quiet long enough for a reboot: 2 s after an OFFER (a reset VM's
 *  firmware starts over within seconds), or, with nothing answered, longer than any retransmission
 *  backoff (64 s; ISC dhclient's cutoff 120 s). A client whose secs jitter (8 then 4, seconds apart,
 *  no answer yet) is retransmitting. 0 after 0 needs that silence too: a client that never counts
 *  keeps sending 0. */
function restartsDiscovery(st: Dhcp4State, secs: number, time: number): boolean {
  const quiet = time - st.last;
  const wentBack = st.discoverSecs > 0 ? secs < st.discoverSecs : st.discoverSecs === 0 && secs === 0;
  if (!wentBack) return false;
  return quiet > 2 * REBOOT_GAP_S || (st.discoverSecs > 0 && st.offerCount > 0 && quiet >= REBOOT_AFTER_OFFER_S);
}

/**
 * Is this answer one more (`ExchangeFacts.answers`), one sent again, or a copy of one seen? The
 * first of its type from its server in the step is new: two servers offering to one DISCOVER are
 * two answers. A repeat from the same server is new only as the answer to a client's
 * retransmission: RFC 2131 §4.1 backs off 4, 8, 16, 32, 64 s (±1 s), so 1 s to 70 s after the
 * previous one. Sooner is a copy of the same answer (a relay's on the same link, within ms); later
 * is no retry of this xid (a lease's ACK seen again, a capture spliced from two). A relay's copy
 * toward the client, within `RELAY_COPY_S` of an answer sent to that relay, is that answer
 * whoever it names: a relay in proxy mode puts its own address in option 54, and a BOOTP reply has
 * none (its source, server or relay, names it). So is one that names only its relay, within
 * `RELAY_COPY_S` of another relay's with the same type and address: two redundant relays (an
 * HSRP/VRRP pair, both helpers to one server) each passing on the server's answer to its copy of
 * the client's broadcast. Answers that name their servers are never merged so. Either copy is the
 * same server's bytes: it merges only when what a relay leaves alone (`relayInvariantDigest`:
 * siaddr, file, sname, the options but 54 and 82) matches too — two servers behind the relays that
 * give one reserved address, or two proxyDHCP offers (yiaddr 0), differ there and stay two.
 */
function answerSeen(st: Dhcp4State, type: number | null, m: Dhcp4Decoded): 'new' | 'repeat' | 'copy' {
  const kind = type !== null && type > 0 && type < ANSWER_TYPES ? type : 0;
  const server = answerer(m);
  const relay = u32(m.msg.giaddr, 0);
  const yiaddr = u32(m.msg.yiaddr, 0);
  const time = m.time;
  const giaddr = relay === 0 ? '' : ipv4ToString(m.msg.giaddr);
  const toRelay = relay !== 0 && m.dstAddr === giaddr ? relay : 0;
  const fromRelay = relay !== 0 && toRelay === 0 && (m.srcAddr === giaddr || m.dstPort === UdpPort.DHCP_CLIENT);
  // Named only by the relay that passed it on: no option 54 (its source then names it), or the
  // relay's own address there.
  const relayNamed = fromRelay && (server === relay || server === u32(ipv4FromString(m.srcAddr), 0)) ? relay : 0;
  // Only relayed answers are compared by content; the digest is taken once per such answer.
  const digest = relay === 0 ? 0 : relayInvariantDigest(m.msg);
  const at = st.answerAt;
  if (fromRelay) {
    for (let k = 0; k < at.length; k += ANSWER_FIELDS) {
      if (at[k] !== kind || at[k + 6] !== digest || time - at[k + 2]! < 0 || time - at[k + 2]! > RELAY_COPY_S) continue;
      if (at[k + 3] === relay) return 'copy';
      if (relayNamed !== 0 && at[k + 5] !== 0 && at[k + 5] !== relayNamed && at[k + 4] === yiaddr) return 'copy';
    }
  }
  let i = 0;
  while (i < at.length && (at[i] !== kind || at[i + 1] !== server)) i += ANSWER_FIELDS;
  if (i === at.length) {
    const entry = [kind, server, time, toRelay, yiaddr, relayNamed, digest];
    // A new array of the exact size: `push` would leave room for 17 numbers in every step kept.
    st.answerAt = at.length === 0 ? entry : [...at, ...entry];
    return 'new';
  }
  const gap = time - at[i + 2]!;
  at[i + 2] = time;
  at[i + 3] = toRelay;
  at[i + 4] = yiaddr;
  at[i + 5] = relayNamed;
  at[i + 6] = digest;
  return gap >= RETRY_MIN_S && gap <= RETRY_MAX_S ? 'new' : 'repeat';
}

/** Numbers per answer in `Dhcp4State.answerAt`. */
const ANSWER_FIELDS = 7;

/** Seconds within which a relay passes on an answer it got (ms in practice; room for a busy one). */
const RELAY_COPY_S = 1;

/** Who sent an answer, as a number: its server identifier (option 54, which a relay's copy keeps
 *  while its source address changes), else its source address (BOOTP has no option 54). */
function answerer(m: Dhcp4Decoded): number {
  const id = v4Option(m.msg, DhcpV4Code.SERVER_ID);
  return u32(id !== null && id.length === 4 ? id : ipv4FromString(m.srcAddr), 0);
}

/** The gaps between a client's retransmissions of one xid (RFC 2131 §4.1: 4 s doubling to 64 s,
 *  randomized by ±1 s), with room for a client that retries sooner or a server slow to answer. */
const RETRY_MIN_S = 1;
const RETRY_MAX_S = 70;

/** Quiet seconds after an OFFER before a DISCOVER whose secs went back counts as a new boot. */
const REBOOT_AFTER_OFFER_S = 2;

/** A server message that answers the device's pending proxyDHCP (4011) request: same xid, from
 *  the address the request went to (or, after a broadcast request, an answer without an address). */
function answersProxyRequest(c: ChainState, m: Dhcp4Decoded): boolean {
  const p = c.proxy;
  if (!p || p.pendingRequest === null || p.step.xid !== m.msg.xid) return false;
  const to = p.step.server;
  if (to === m.srcAddr || to === serverId(m.msg)) return true;
  return (to === null || to === '255.255.255.255' || /^2(2[4-9]|3\d)\./.test(to)) && isZeroAddr(m.msg.yiaddr);
}

function findDhcp4(c: ChainState, xid: number): Dhcp4State | null {
  for (let i = c.states.length - 1, n = 0; i >= 0 && n < 8; i--, n++) {
    const s = c.states[i]!;
    if (s.kind === 'dhcp4' && s.step.xid === xid) return s;
  }
  return null;
}

function openDhcp4(flow: FlowState, c: ChainState, m: Dhcp4Decoded): Dhcp4State {
  const st: Dhcp4State = {
    kind: 'dhcp4', frames: [], frameCount: 0, framesTrimmed: false, last: m.time,
    step: {
      kind: 'dhcp4', start: m.time, duration: 0, ok: false, frames: UNPUBLISHED_FRAMES, xid: m.msg.xid, messages: [], offers: [],
      server: null, yiaddr: null, bootfile: null, nextServer: null, stage: 'os', vendorClass: null,
      userClass: NO_TEXTS as never[], arch: null, leaseTime: null, relay: null, ackOptions: NO_TEXTS as never[],
    },
    stageKnown: false, firstDiscover: null, discoverFrame: 0, firstOffer: null, pendingRequest: null,
    requestSeen: false, discoverSecs: -1, discoversAfterOffer: 0, offerVendorClass: NO_TEXTS, offerCount: 0, offerFrames: [], nak: null, ack: null,
    bootfileFrame: 0, decline: null, untypedRequests: 0, cutReply: null, answerAt: [], addressedBy: null,
  };
  c.dhcp4 = st;
  return openStep(flow, c, st);
}

/** Every message of a DHCPv4 step: its frame, its name (BOOTP has none; one whose options the
 *  snap length cut before its type says so), the relay that carried it. */
function noteDhcp4Message(st: Dhcp4State, m: Dhcp4Decoded, unnamed: string, cut: boolean): void {
  touch(st, m);
  pushMessage(st, msgTypeName(m.msg) ?? (cut ? cutName(m.msg) : unnamed));
  noteRelay(st, m.msg);
}

/** A message whose type the snap length cut off: what it was, as far as its header says. */
function cutName(msg: DhcpV4Message): string {
  return msg.op === BootOp.REQUEST ? 'request (type cut)' : 'reply (type cut)';
}

/** The capture cut this message's options short (not merely the padding after END). */
function optionsCut(flow: FlowState, m: Dhcp4Decoded): boolean {
  return flow.cutNow.frame === m.frame && !optionsWhole(m.msg);
}

function noteRelay(st: Dhcp4State, msg: DhcpV4Message): void {
  const giaddr = addrOrNull(msg.giaddr);
  const known = st.step.relay;
  // Both ids kept already: the option's sub-options (hex text for a MAC remote-id) change nothing.
  const ids = known !== null && known.circuitId && known.remoteId ? null : relayAgentIds(msg);
  if (!giaddr && !ids) return;
  const r = (st.step.relay ??= { giaddr: giaddr ?? '0.0.0.0', circuitId: null, remoteId: null });
  if (giaddr && r.giaddr === '0.0.0.0') r.giaddr = giaddr;
  if (ids?.circuitId && !r.circuitId) r.circuitId = ids.circuitId;
  if (ids?.remoteId && !r.remoteId) r.remoteId = ids.remoteId;
}

function dhcp4Client(flow: FlowState, c: ChainState, st: Dhcp4State, m: Dhcp4Decoded, type: number | null): void {
  const msg = m.msg;
  const cut = optionsCut(flow, m);
  noteDhcp4Message(st, m, 'BOOTREQUEST', cut);
  const step = st.step;
  // A request whose identity the cut took leaves the stage open for the next one of the step.
  const identityCut = cut && !identityWhole(msg);
  if (cut && step.cut !== 'identity') step.cut = identityCut && !st.stageKnown ? 'identity' : 'options';
  // A DECLINE or RELEASE carries no identity (RFC 2131 table 5: no options 60, 77, 93): it says
  // nothing of which stage sent it, and belongs to whatever the device was doing.
  if (!st.stageKnown && type !== DECLINE && type !== RELEASE) {
    // What the cut left may still prove a boot client (its arch, a PXEClient vendor class): the
    // device is judged as one, its stage taken from where it is in its boot unless it said more
    // (the step keeps `cut: identity`). iPXE sends 53, 57, 93 before its 77 and 175.
    const proven = identityCut && bootClientProven(msg);
    st.stageKnown = !identityCut || proven;
    if (!identityCut && step.cut === 'identity') step.cut = 'options';
    step.stage = clientStage(msg);
    if (proven && step.stage === 'os') step.stage = cutBootStage(c);
    step.vendorClass = vendorClassText(flow, msg);
    step.userClass = flow.strings.texts(v4UserClasses(msg));
    step.arch = v4FirstArch(msg) ?? null;
  }
  // A step that was complete holding only a DECLINE or RELEASE (they expect no answer) is open
  // again once a request that expects one joins it (a client reusing the xid for its DISCOVER).
  if (type !== DECLINE && type !== RELEASE && step.ok && st.ack === null) step.ok = false;
  if (type === DISCOVER || (type === null && msg.op === BootOp.REQUEST)) {
    if (type === null && cut) st.untypedRequests++;
    if (st.firstDiscover === null) {
      st.firstDiscover = m.time;
      st.discoverFrame = m.frame;
    } else if (st.firstOffer !== null) st.discoversAfterOffer++;
  } else if (type === REQUEST || type === INFORM) {
    st.requestSeen = true;
    st.pendingRequest ??= { time: m.time, frame: m.frame };
    const sid = serverId(msg);
    if (sid) step.server = sid;
    // Option 54 after a DISCOVER of the same exchange is chosen from an OFFER (RFC 2131 §4.3.2,
    // SELECTING): one the capture does not hold. (An INIT-REBOOT REQUEST has no DISCOVER before it.)
    if (sid && type === REQUEST && st.firstDiscover !== null && st.offerCount === 0) {
      const asked = v4Option(msg, 50);
      noteExchange(c, null).selected ??= {
        frame: m.frame, server: sid, address: asked && asked.length === 4 ? ipv4ToString(asked, 0) : null,
        what: `its REQUEST names server ${sid} (option 54, taken from an OFFER)`,
      };
    }
    const ciaddr = addrOrNull(msg.ciaddr);
    if (type === INFORM && ciaddr) flow.leases.set(ciaddr, c.key);
    // An address the client claims itself (RENEWING's ciaddr, INIT-REBOOT's option 50) may be used
    // unanswered (RFC 2131 §3.2): packets from it prove no ACK the capture lacks.
    if (type === REQUEST && !sid) {
      const asked = v4Option(msg, 50);
      const claimed = ciaddr ?? (asked && asked.length === 4 ? ipv4ToString(asked, 0) : null);
      if (claimed !== null && claimed !== '0.0.0.0') flow.claims.set(claimed, c.key);
    }
  } else if (type === DECLINE) {
    const asked = v4Option(msg, 50);
    st.decline ??= { frame: m.frame, time: m.time, address: asked && asked.length === 4 ? ipv4ToString(asked, 0) : addrOrNull(msg.ciaddr), server: serverId(msg) };
    st.pendingRequest = null;
    // Expects no answer (RFC 2131 §4.4.4): on its own (a new xid, as the RFC has it) a complete step.
    if (step.messages.length === 1) step.ok = true;
  } else if (type === RELEASE && step.messages.length === 1) {
    // A RELEASE expects no answer: on its own it is a complete, successful step.
    step.ok = true;
  }
}

/**
 * The stage of a proven boot client whose identity the cut took, from the device's steps before
 * it: after a boot program that is no kernel was fetched, the DHCP is that program's (iPXE,
 * chainloaded); before any, or after a kernel (a reboot), the firmware's.
 */
export function cutBootStage(c: ChainState): 'firmware' | 'ipxe' {
  const named: string[] = [];
  for (const s of c.steps) if ((s.kind === 'dhcp4' || s.kind === 'proxydhcp') && s.bootfile) named.push(s.bootfile);
  for (let i = c.steps.length - 1; i >= 0; i--) {
    const s = c.steps[i]!;
    if (s.kind === 'tftp' && s.direction === 'download' && s.complete && s.error === null && !s.probe) {
      // A cut name DHCP did not name is unknown: no kernel (a kernel would say the OS rebooted).
      const file = knownName(s.file, s.cut === 'file', named);
      return file !== null && looksLikeKernel(file) ? 'firmware' : 'ipxe';
    }
    // A fetch answered 200 whose head the snap length cut counts: its body is not in the capture.
    const x = c.states[i];
    if (x?.kind === 'http' && httpFetched(x)) return looksLikeKernel(x.step.url) ? 'firmware' : 'ipxe';
  }
  return 'firmware';
}

/** `copy`: another relay's copy of an answer the step has (`answerSeen`): no offer of its own. */
function dhcp4Server(flow: FlowState, c: ChainState, st: Dhcp4State, m: Dhcp4Decoded, type: number | null, copy: boolean): void {
  const msg = m.msg;
  const cut = optionsCut(flow, m);
  if (cut) st.step.cut ??= 'options';
  const step = st.step;
  const server = serverId(msg) ?? m.srcAddr;
  const bootfile = bootFile(flow, msg);
  const name66 = optionText(msg, DhcpV4Code.TFTP_SERVER_NAME);
  const nextServer = name66 ?? addrOrNull(msg.siaddr);
  // siaddr kept apart only when option 66 took its place in nextServer (PXE ROMs ignore option 66).
  const siaddr = name66 === null ? undefined : (addrOrNull(msg.siaddr) ?? '0.0.0.0');
  const tftpServers = tftpServerList(msg);
  if (tftpServers !== null && (type === OFFER || type === ACK || type === null)) step.tftpServers = tftpServers;
  if (type === null && cut && msg.op === BootOp.REPLY) {
    cutReply(flow, c, st, m, server, bootfile, nextServer, siaddr);
    return;
  }
  noteDhcp4Message(st, m, 'BOOTREPLY', cut);
  if ((type === OFFER || type === ACK) && !isZeroAddr(msg.yiaddr)) noteAddressedBy(flow, st, m.srcAddr);
  if (type === OFFER && copy) return;
  if (type === OFFER) {
    st.firstOffer ??= m.time;
    st.offerCount++;
    if (st.offerFrames.length < MAX_OFFER_FRAMES) st.offerFrames.push(m.frame);
    const yiaddr = ipv4ToString(msg.yiaddr, 0);
    const vc = vendorClassText(flow, msg);
    const proxy = isZeroAddr(msg.yiaddr) && isPxeClient(msg);
    const dup = step.offers.some((o) => o.server === server && o.proxy === proxy && o.yiaddr === yiaddr);
    if (!dup && step.offers.length < MAX_OFFERS) {
      const t0 = st.firstDiscover ?? step.start;
      step.offers.push({ server, yiaddr, frame: m.frame, delay: m.time - t0, bootfile, nextServer, ...(siaddr === undefined ? {} : { siaddr }), proxy });
      st.offerVendorClass = flow.strings.appended(st.offerVendorClass, vc);
    }
    mergeBootInfo(st);
    return;
  }
  if (type === ACK || (type === null && msg.op === BootOp.REPLY)) {
    st.pendingRequest = null;
    st.ack = { frame: m.frame, time: m.time, bootfile, router: firstRouter(msg) };
    step.ok = true;
    step.server ??= server;
    const yiaddr = addrOrNull(msg.yiaddr) ?? addrOrNull(msg.ciaddr);
    if (yiaddr) {
      step.yiaddr = yiaddr;
      flow.leases.set(yiaddr, c.key);
    }
    const lease = v4Option(msg, 51);
    step.leaseTime = lease && lease.length === 4 ? u32(lease, 0) : null;
    step.ackOptions = optionCodes(flow, msg);
    step.bootfile = bootfile;
    setNextServer(step, nextServer, siaddr);
    if (bootfile !== null) st.bootfileFrame = m.frame;
    mergeBootInfo(st);
    return;
  }
  if (type === NAK) {
    st.pendingRequest = null;
    st.nak ??= { frame: m.frame, time: m.time, server };
    step.ok = false;
  }
}

/**
 * A reply whose type the snap length cut: the server answered, with what is not known. Not an ACK
 * (a NAK or an ACK that never came would vanish): the step stays unjudged, the request it answers
 * is no longer waiting, and its address still joins the device's later traffic to it (an OFFER's
 * or an ACK's yiaddr is the address the client takes).
 */
function cutReply(flow: FlowState, c: ChainState, st: Dhcp4State, m: Dhcp4Decoded, server: string, bootfile: string | null, nextServer: string | null, siaddr: string | undefined): void {
  const msg = m.msg;
  const step = st.step;
  const yiaddr = addrOrNull(msg.yiaddr);
  // A NAK's yiaddr and ciaddr are 0 (RFC 2131 table 3). So are a proxyDHCP server's offers, also
  // to a DISCOVER sent again (siaddr is no sign: real servers set it in their NAKs too). A zero
  // reply is probably a NAK only from a server that already gave this step an address (its OFFER,
  // then its NAK to the REQUEST), and not where the step had proxy-like zero answers before.
  const lastIsRequest = step.messages.length > 0 && isRequestName(step.messages[step.messages.length - 1]!);
  const proxyLike = (st.cutReply?.proxyLike ?? false) || step.offers.some((o) => o.proxy);
  const zero = yiaddr === null && isZeroAddr(msg.ciaddr);
  const addressed = st.addressedBy?.includes(m.srcAddr) ?? false;
  const probablyNak = zero && addressed && lastIsRequest && !proxyLike;
  touch(st, m);
  pushMessage(st, probablyNak ? 'reply (type cut, probably NAK)' : 'reply (type cut)');
  noteRelay(st, msg);
  st.cutReply = { frame: m.frame, time: m.time, yiaddr, probablyNak, proxyLike: proxyLike || (zero && !probablyNak) };
  st.pendingRequest = null;
  step.server ??= server;
  if (yiaddr) {
    step.yiaddr = yiaddr;
    flow.leases.set(yiaddr, c.key);
    noteAddressedBy(flow, st, m.srcAddr);
  }
  if (bootfile !== null) {
    step.bootfile = bootfile;
    st.bootfileFrame = m.frame;
  }
  if (nextServer !== null) setNextServer(step, nextServer, siaddr);
}

/** The next server and, when option 66 named it, the siaddr beside it (see Dhcp4Step.siaddr). */
function setNextServer(step: Dhcp4Step | DhcpOfferSummary, nextServer: string | null, siaddr: string | undefined): void {
  step.nextServer = nextServer;
  if (siaddr === undefined) delete step.siaddr;
  else step.siaddr = siaddr;
}

/** Servers kept per step: a step hears from a few (a DHCP server or two, a proxy). */
const MAX_ADDRESSED_BY = 8;

function noteAddressedBy(flow: FlowState, st: Dhcp4State, src: string): void {
  const list = st.addressedBy ?? NO_TEXTS;
  if (list.length < MAX_ADDRESSED_BY && !list.includes(src)) st.addressedBy = flow.strings.appended(list, src);
}

/** A client message's name in a step (a request whose type was cut included). */
function isRequestName(name: string): boolean {
  return name === 'request (type cut)' || name === 'DISCOVER' || name === 'REQUEST' || name === 'BOOTREQUEST';
}

/** The message's option codes (PAD and END left out), each once, ascending: the table's list for
 *  their set, marked in one scratch bitmap (a list and a key string per ACK were ~75 ms of the
 *  10k-client capture's run). */
function optionCodes(flow: FlowState, msg: DhcpV4Message): number[] {
  const bits = codeBits.fill(0);
  for (const o of msg.options) {
    const code = o.code;
    if (code === DhcpV4Code.PAD || code === DhcpV4Code.END) continue;
    bits[code >>> 4] = bits[code >>> 4]! | (1 << (code & 15));
  }
  return flow.strings.codes(bits);
}

/** 256 bits, one per option code (`optionCodes`); 16 to a word, every word a small integer. */
const codeBits = new Uint16Array(16);

/** Boot file and next server: the ACK's, else the chosen offer's, else a proxy offer's. */
function mergeBootInfo(st: Dhcp4State): void {
  const step = st.step;
  if (step.bootfile !== null) return;
  const chosen = step.offers.find((o) => !o.proxy && (step.server === null || o.server === step.server));
  const fromOffer = chosen?.bootfile ? chosen : step.offers.find((o) => o.proxy && o.bootfile);
  if (st.ack?.bootfile) return;
  if (fromOffer?.bootfile) {
    step.bootfile = fromOffer.bootfile;
    if (fromOffer.nextServer !== null) setNextServer(step, fromOffer.nextServer, fromOffer.siaddr);
    st.bootfileFrame = fromOffer.frame;
  }
}

function proxyMessage(flow: FlowState, c: ChainState, m: Dhcp4Decoded, fromClient: boolean, type: number | null): void {
  const msg = m.msg;
  let st = c.proxy;
  if (!st || st.step.xid !== msg.xid || (fromClient && st.pendingRequest === null && st.step.messages.length > 1)) {
    if (!fromClient && st && st.step.xid === msg.xid) {
      // late duplicate answer: same step
    } else {
      st = openStep(flow, c, {
        kind: 'proxydhcp', frames: [], frameCount: 0, framesTrimmed: false, last: m.time, pendingRequest: null, fromIpxe: false, answer: null,
        step: { kind: 'proxydhcp', start: m.time, duration: 0, ok: false, frames: UNPUBLISHED_FRAMES, xid: msg.xid, server: null, messages: [], bootfile: null, nextServer: null },
      } satisfies ProxyState);
      c.proxy = st;
    }
  }
  touch(st, m);
  pushMessage(st, msgTypeName(msg) ?? (optionsCut(flow, m) ? cutName(msg) : fromClient ? 'BOOTREQUEST' : 'BOOTREPLY'));
  if (fromClient) {
    st.pendingRequest ??= { time: m.time, frame: m.frame };
    st.step.server ??= m.dstAddr;
    if (isIpxe(msg)) st.fromIpxe = true;
    const ciaddr = addrOrNull(msg.ciaddr);
    if (ciaddr && !flow.leases.has(ciaddr)) flow.leases.set(ciaddr, c.key);
    return;
  }
  if (type === ACK || type === null) {
    st.pendingRequest = null;
    st.answer ??= { port: m.srcPort, frame: m.frame };
    // iPXE takes a boot server's answer only from port 4011 (dhcp_proxy_rx): for it, none came.
    st.step.ok = !(st.fromIpxe && m.srcPort !== PROXY_PORT);
    st.step.server = serverId(msg) ?? m.srcAddr;
    st.step.bootfile = bootFile(flow, msg);
    st.step.nextServer = optionText(msg, DhcpV4Code.TFTP_SERVER_NAME) ?? addrOrNull(msg.siaddr);
    // The boot server's answer completes the round's boot info when neither DHCP nor proxy offer had it.
    const round = c.dhcp4;
    if (round && round.step.bootfile === null && st.step.bootfile) {
      round.step.bootfile = st.step.bootfile;
      round.step.nextServer = st.step.nextServer ?? round.step.nextServer;
      round.bootfileFrame = m.frame;
    }
  }
}
