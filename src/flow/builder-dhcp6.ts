/**
 * The builder's IPv6 handling: DHCPv6 exchanges as `dhcp6` steps (clients keyed by MAC, relayed
 * messages by the relay's view of the client), and neighbour discovery: RS/RA as `ra` steps and
 * the router table.
 */
import { hex, latin1String } from '../wire/bytes.js';
import {
  asksForBootFile, bootClientProven, bootClientSaid, bootClientMaybe, optionOrderNotIpxe, bootFileUrl, clientArch as v6ClientArch, DhcpV6MsgType, getOption as v6Option, isDhcp6Answer, getOptionValue as v6OptionValue,
  DhcpV6Opt, innermostMessage, msgTypeLabel, userClasses as v6UserClasses, vendorClass as v6VendorClass,
  type DhcpV6Message,
} from '../wire/dhcpv6/index.js';
import {
  clientKeyFallback, duidInfo, failedStatuses, iaids, isUnicastMac, leases, relayChain, relayFacts,
} from './dhcp6-facts.js';
import type { Dhcp6Decoded, NdpDecoded } from '../decode/messages.js';
import { linkOf, raSummary } from './routers.js';
import { REBOOT_GAP_S } from './attempts.js';
import { UNPUBLISHED_FRAMES } from './frames.js';
import type { ChainState, Dhcp6State, RaState } from './state.js';
import type { RaSummary } from './types.js';
import { cutBootStage } from './builder-dhcp4.js';
import { chainFor, noteArch, noteExchange, noteLink, openStep, pushMessage, touch, type FlowState } from './builder-state.js';

const {
  SOLICIT, ADVERTISE, REQUEST, REPLY, RELEASE, DECLINE, RECONFIGURE, INFORMATION_REQUEST,
} = DhcpV6MsgType;
const MAX_ADDRESSES = 8;
/** DHCPv6 transactions remembered (DUID|xid → client) to place server answers. */
const MAX_DHCP6_TX = 4096;

export function dhcp6Message(flow: FlowState, m: Dhcp6Decoded): ChainState | null {
  const inner = innermostMessage(m.msg);
  if (inner.relay) return null;
  const duidOpt = v6Option(inner, 1);
  const relays = m.msg.relay ? relayChain(m.msg) : [];
  const fromServer = isDhcp6Answer(m.msg);
  const duidHex = duidOpt ? hex(duidOpt.data) : '';
  const txKey = `${duidHex}|${inner.xid}`;
  let key: string | null;
  if (fromServer) {
    // The client's own messages decided who it is; a unicast answer goes to the client's MAC.
    key = flow.dhcp6Clients.get(txKey)
      ?? (relays.length === 0 && isUnicastMac(m.dstMac) ? m.dstMac : clientKeyFallback(inner, relays));
  } else {
    key = relays.length === 0 && isUnicastMac(m.srcMac) ? m.srcMac : clientKeyFallback(inner, relays);
    if (key !== null) {
      if (flow.dhcp6Clients.size >= MAX_DHCP6_TX) flow.dhcp6Clients.delete(flow.dhcp6Clients.keys().next().value!);
      flow.dhcp6Clients.set(txKey, key);
    }
  }
  if (key === null) return null;
  const c = chainFor(flow, key, m.time);
  noteLink(c, m.vlans);
  noteExchange(c, !fromServer);
  if (!fromServer) {
    if (inner.msgType === SOLICIT || inner.msgType === REQUEST || inner.msgType === INFORMATION_REQUEST) noteV6(flow, c, m.time);
    const vc = v6VendorClass(inner);
    noteArch(c, v6ClientArch(inner)?.[0], vc?.data[0] ?? null);
    // The client's link-local (or the relay's view of it) joins TFTP/HTTP over IPv6 to the chain.
    const own = relays.length === 0 ? m.srcAddr : relayFacts(relays)?.peerAddress;
    if (own && own !== '::' && !flow.leases.has(own)) flow.leases.set(own, c.key);
    return dhcp6Client(flow, c, m, inner, relays);
  }
  return dhcp6Server(flow, c, m, inner);
}

function dhcp6Client(flow: FlowState, c: ChainState, m: Dhcp6Decoded, inner: DhcpV6Message, relays: DhcpV6Message[]): ChainState {
  if (inner.relay) return c;
  const t = inner.msgType;
  const ids = iaids(inner);
  const elapsed = elapsedTime(inner);
  const found = findDhcp6(c, inner.xid);
  const restarted = found !== null && restartsTransaction(found, `${inner.xid}:${t}`, elapsed, m.time);
  let st = restarted ? null : found;
  if (!st && t === REQUEST) {
    const solicited = solicitedStep(c, ids);
    if (solicited !== found) st = solicited;
  }
  if (!st) st = openDhcp6(flow, c, m, inner);
  else if (!st.xids.includes(inner.xid) && st.xids.length < 4) st.xids.push(inner.xid);
  touch(st, m);
  if (elapsed >= 0) st.elapsed = elapsed;
  const seenKey = `${inner.xid}:${t}`;
  const name = msgTypeLabel(t);
  if (st.seen.has(seenKey)) {
    st.step.retransmissions++;
    if (st.step.messages[st.step.messages.length - 1] === name) pushMessage(st, name);
  } else {
    st.seen.add(seenKey);
    pushMessage(st, name);
  }
  const step = st.step;
  if (t === SOLICIT) {
    st.pendingSolicit ??= { time: m.time, frame: m.frame };
    st.firstSolicit ??= { time: m.time, frame: m.frame };
  }
  // A Request after the client's Solicit names the server of an Advertise (RFC 8415 §18.2.2):
  // one the capture may not hold.
  if (t === REQUEST && !st.answered && getOption6(inner, 2) && c.states.some((s) => s.kind === 'dhcp6' && s.firstSolicit !== null)) {
    noteExchange(c, null).selected ??= { frame: m.frame, server: null, address: null, what: 'its DHCPv6 REQUEST names a server (Server Identifier, taken from an ADVERTISE)' };
  }
  if (t === RELEASE || t === DECLINE) {
    // Expects a Reply, but on its own it is a complete step (like a DHCPv4 RELEASE).
    if (step.messages.length === 1) step.ok = true;
  }
  const vc = v6VendorClass(inner);
  const arch = v6ClientArch(inner)?.[0];
  if (arch !== undefined) step.arch ??= arch;
  if (vc && !step.vendorClass) {
    step.vendorClass = vc.data[0] ?? null;
    step.vendorEnterprise = vc.enterprise;
  }
  if (step.userClass.length === 0) step.userClass = v6UserClasses(inner);
  // Read as far as a cut left them (a snap length cuts a Solicit's options, any of them).
  // A cut request whose vendor class the cut ended inside "PXEClient" may be a boot client's.
  if (bootClientSaid(inner) || (flow.cutNow.frame === m.frame && bootClientMaybe(inner))) {
    st.bootClient = true;
    // iPXE sends its user class after its vendor class and arch: a cut request that shows no
    // user class may be iPXE's, as it is after a boot program that is no kernel was fetched,
    // unless its options come in firmware's order (UEFI sends no user class either: a fall-through).
    if (flow.cutNow.frame === m.frame && !step.userClass.includes('iPXE') && !optionOrderNotIpxe(inner) && cutBootStage(c) === 'ipxe') st.ipxeByCut = true;
  }
  if (t === REQUEST) st.chosenServer = serverIdHex(inner) || st.chosenServer;
  if (asksForBootFile(inner)) st.wantsBootfileUrl = true;
  if (flow.cutNow.frame !== m.frame) st.requestWhole = true;
  step.clientDuid ??= duidInfo(v6OptionValue(inner, 1));
  for (const id of ids) if (!step.iaids.includes(id) && step.iaids.length < MAX_ADDRESSES) step.iaids.push(id);
  if (relays.length > 0) step.relay ??= relayFacts(relays);
  return c;
}

function dhcp6Server(flow: FlowState, c: ChainState, m: Dhcp6Decoded, inner: DhcpV6Message): ChainState {
  if (inner.relay) return c;
  const t = inner.msgType;
  const st = findDhcp6(c, inner.xid) ?? openDhcp6(flow, c, m, inner);
  touch(st, m);
  const seenKey = `${inner.xid}:${t}`;
  if (!st.seen.has(seenKey)) {
    st.seen.add(seenKey);
    pushMessage(st, msgTypeLabel(t));
  }
  const step = st.step;
  st.pendingSolicit = null;
  st.answered = true;
  const rapid = t === REPLY && getOption6(inner, 14) && st.firstSolicit !== null;
  if ((t === ADVERTISE || rapid) && st.firstAdvertise === null) st.firstAdvertise = { time: m.time, frame: m.frame };
  if (t === RECONFIGURE) return c;
  step.server ??= m.srcAddr;
  step.serverDuid ??= duidInfo(v6OptionValue(inner, 2));
  const url = bootFileUrl(inner);
  if (url !== undefined) {
    step.bootfileUrl = url;
    st.bootfileUrlFrame = m.frame;
  }
  // A cut answer's options are not all there: it proves nothing of option 59 missing.
  else if (flow.cutNow.frame === m.frame) {
    if (st.cutAnswers.length < MAX_BARE_ANSWERS) st.cutAnswers.push({ server: serverIdHex(inner), address: m.srcAddr });
  } else if ((t === ADVERTISE || t === REPLY) && st.bareAnswers.length < MAX_BARE_ANSWERS) {
    st.bareAnswers.push({ frame: m.frame, reply: t === REPLY, server: serverIdHex(inner), address: m.srcAddr });
  }
  if (t === REPLY) st.chosenServer ??= serverIdHex(inner) || null;
  if (t === ADVERTISE || t === REPLY) noteServerVendorClass(st, inner, m.frame);
  const params = v6OptionValue(inner, 60);
  if (params && step.bootfileParams.length === 0) step.bootfileParams = params.slice(0, MAX_ADDRESSES);
  const failed = failedStatuses(inner);
  step.statuses = failed;
  if (failed.length === 0) st.failure = null;
  else if (st.failure && sameStatuses(st.failure.statuses, failed)) st.failure.lastFrame = m.frame;
  else st.failure = { frame: m.frame, lastFrame: m.frame, time: m.time, type: msgTypeLabel(t), server: m.srcAddr, statuses: failed };
  if (t === REPLY) {
    st.replied = true;
    step.ok = failed.length === 0;
    if (rapid) step.rapidCommit = true;
    for (const l of leases(inner)) {
      if (!step.addresses.includes(l.address) && step.addresses.length < MAX_ADDRESSES) {
        step.addresses.push(l.address);
        step.leases.push(l);
      }
      flow.leases.set(l.address, c.key);
    }
  }
  return c;
}

/** A Request after the Advertise of an earlier step with the same IAID (UEFI PxeBc runs its own
 *  Solicit, lets the DHCPv6 driver bind another address, then requests the first offer). */
function solicitedStep(c: ChainState, ids: number[]): Dhcp6State | null {
  for (let i = c.states.length - 1, n = 0; i >= 0 && n < 8; i--, n++) {
    const s = c.states[i]!;
    // An Advertise whose Solicit is not in the capture starts an exchange too.
    if (s.kind !== 'dhcp6' || !s.answered || s.replied || (s.firstType !== SOLICIT && s.firstType !== ADVERTISE)) continue;
    if (ids.length === 0 || s.step.iaids.length === 0 || ids.some((id) => s.step.iaids.includes(id))) return s;
  }
  return null;
}

/** The client's Elapsed Time (RFC 8415 §21.9, 1/100 s), -1 when it sent none. */
function elapsedTime(inner: DhcpV6Message): number {
  const d = v6Option(inner, DhcpV6Opt.ELAPSED_TIME)?.data;
  return d && d.length >= 2 ? (d[0]! << 8) | d[1]! : -1;
}

/** A message the step already holds, sent again with Elapsed Time 0, is the first of a new
 *  transaction with the same id (RFC 8415 §21.9: a retransmission carries the time since the
 *  first): a machine that rebooted and re-seeded its generator the same way (iPXE and EDK2 on a
 *  reset VM do). 0 after 0 only after a reboot-sized silence: a client that never counts
 *  retransmits with 0 each time. */
function restartsTransaction(st: Dhcp6State, seenKey: string, elapsed: number, time: number): boolean {
  return elapsed === 0 && st.seen.has(seenKey) && (st.elapsed > 0 || time - st.last > REBOOT_GAP_S);
}

/** A client's message that a cut took options of still says what it is: what is left proves a
 *  boot client, or its exchange said what it is (a Request joins its Solicit's step). */
export function dhcp6RequestIdentified(c: ChainState, msg: DhcpV6Message): boolean {
  const inner = innermostMessage(msg);
  if (bootClientProven(inner)) return true;
  const st = inner.relay ? null : findDhcp6(c, inner.xid);
  return st !== null && (st.bootClient || st.wantsBootfileUrl || st.requestWhole);
}

function findDhcp6(c: ChainState, xid: number): Dhcp6State | null {
  for (let i = c.states.length - 1, n = 0; i >= 0 && n < 8; i--, n++) {
    const s = c.states[i]!;
    if (s.kind === 'dhcp6' && s.xids.includes(xid)) return s;
  }
  return null;
}

/** EDK2 HttpBootDxe (HttpBootDhcp6.c) takes an answer as an HTTP boot offer only when its
 *  option 16 is at least 16 bytes with "HTTPClient" at byte 6 (after enterprise and length). */
function noteServerVendorClass(st: Dhcp6State, inner: DhcpV6Message, frame: number): void {
  const opt = v6Option(inner, 16);
  const data = opt?.data;
  const vc = v6VendorClass(inner);
  st.step.serverVendorClass = vc !== undefined ? vc.data.join(',') : data === undefined ? null : latin1String(data);
  if (st.httpClassProblems.length >= MAX_ADDRESSES) return;
  if (data === undefined) st.httpClassProblems.push({ frame, why: 'it has no vendor class (option 16)' });
  else if (data.length < 16 || latin1String(data.subarray(6, 16)) !== 'HTTPClient') {
    st.httpClassProblems.push({ frame, why: `its vendor class (option 16) does not hold "HTTPClient" after the enterprise number and length (bytes ${hex(data.subarray(0, 16))})` });
  }
}

function openDhcp6(flow: FlowState, c: ChainState, m: Dhcp6Decoded, inner: DhcpV6Message): Dhcp6State {
  const xid = inner.relay ? 0 : inner.xid;
  const st: Dhcp6State = {
    kind: 'dhcp6', frames: [], frameCount: 0, framesTrimmed: false, last: m.time, xids: [xid], seen: new Set(), elapsed: -1, pendingSolicit: null,
    firstSolicit: null, firstAdvertise: null, answered: false, bareAnswers: [], cutAnswers: [], chosenServer: null, bootfileUrlFrame: 0, replied: false, bootClient: false, ipxeByCut: false, requestWhole: false, wantsBootfileUrl: false,
    firstType: inner.msgType, failure: null, httpClassProblems: [],
    step: {
      kind: 'dhcp6', start: m.time, duration: 0, ok: false, frames: UNPUBLISHED_FRAMES, xid, messages: [], server: null,
      addresses: [], bootfileUrl: null, arch: null, rapidCommit: false, vendorClass: null, userClass: [],
      retransmissions: 0, statuses: [], leases: [], bootfileParams: [], vendorEnterprise: null, serverVendorClass: null,
      clientDuid: null, serverDuid: null, iaids: [], relay: null,
    },
  };
  c.dhcp6 = st;
  return openStep(flow, c, st);
}

// ---- Neighbour discovery ----

/** The client's first IPv6 boot packet: from now on, the next RA on its link is a step. */
function noteV6(flow: FlowState, c: ChainState, time: number): void {
  if (c.v6First !== null) return;
  c.v6First = time;
  if (!c.raSeen) flow.raWaiting.add(c);
}

/**
 * RS from a client: an `ra` step (repeated RS before an answer stay in it, unless a reboot-sized
 * silence came between). RA: the router table,
 * and the `ra` step of every client waiting on that link (a unicast RA: its addressee only).
 * NS/NA/Redirect are counted only; they never create a chain.
 */
export function ndpMessage(flow: FlowState, m: NdpDecoded): ChainState | null {
  const msg = m.msg;
  flow.ndpCounts[msg.kind]++;
  if (msg.kind === 'rs') {
    if (!isUnicastMac(m.srcMac)) return null;
    const c = chainFor(flow, m.srcMac, m.time);
    noteLink(c, m.vlans);
    noteV6(flow, c, m.time);
    if (m.srcAddr !== '::' && !flow.leases.has(m.srcAddr)) flow.leases.set(m.srcAddr, c.key);
    let st = c.ra;
    // An RS after a reboot-sized silence opens a step of its own rather than stretching one over
    // that silence: a later boot, or iPXE soliciting in the same power-on (RFC 7559 hosts back
    // off to minutes, so a gap this long says nothing of a restart by itself).
    if (!st || st.answered || m.time - st.last > REBOOT_GAP_S) st = openRa(flow, c, m);
    touch(st, m);
    st.step.solicitations++;
    pushMessage(st, 'RS');
    flow.raWaiting.add(c);
    return c;
  }
  if (msg.kind === 'ra') {
    const sum = raSummary(msg);
    flow.routers.note(m.vlans, m.srcAddr, m.srcMac, m.time, m.frame, sum);
    if (isUnicastMac(m.dstMac)) {
      const c = flow.chains.get(m.dstMac);
      if (c && flow.raWaiting.has(c)) attachRa(flow, c, m, sum);
      return c ?? null;
    }
    const link = linkOf(m.vlans);
    for (const c of flow.raWaiting) if (c.link === link) attachRa(flow, c, m, sum);
    return null;
  }
  return isUnicastMac(m.srcMac) ? flow.chains.get(m.srcMac) ?? null : null;
}

function attachRa(flow: FlowState, c: ChainState, m: NdpDecoded, sum: RaSummary): void {
  flow.raWaiting.delete(c);
  c.raSeen = true;
  let st = c.ra;
  if (!st || st.answered) st = openRa(flow, c, m);
  if (m.time > c.last) c.last = m.time;
  touch(st, m);
  pushMessage(st, 'RA');
  st.answered = true;
  const step = st.step;
  step.ok = true;
  step.router = m.srcAddr;
  step.routerMac = m.srcMac;
  step.advert = sum;
}

function openRa(flow: FlowState, c: ChainState, m: NdpDecoded): RaState {
  const st: RaState = {
    kind: 'ra', frames: [], frameCount: 0, framesTrimmed: false, last: m.time, answered: false,
    step: { kind: 'ra', start: m.time, duration: 0, ok: false, frames: UNPUBLISHED_FRAMES, messages: [], solicitations: 0, router: null, routerMac: null, advert: null },
  };
  c.ra = st;
  return openStep(flow, c, st);
}

function sameStatuses(a: readonly { code: number; scope: string; message: string }[], b: readonly { code: number; scope: string; message: string }[]): boolean {
  return a.length === b.length && a.every((x, i) => x.code === b[i]!.code && x.scope === b[i]!.scope && x.message === b[i]!.message);
}

/** Answers without option 59 kept per step: one per server of a crowded link is enough. */
const MAX_BARE_ANSWERS = 4;

/** The Server Identifier (option 2) as hex, '' without one. */
function serverIdHex(msg: DhcpV6Message): string {
  const d = v6Option(msg, DhcpV6Opt.SERVERID)?.data;
  return d === undefined ? '' : hex(d);
}

function getOption6(msg: DhcpV6Message, code: number): boolean {
  return v6Option(msg, code) !== undefined;
}
