/**
 * The state the boot-chain builder shares across its protocol handlers (builder-dhcp4, -dhcp6,
 * -transfer) and the helpers they all use to find a client's chain and open steps in it.
 * Only strings and numbers copied out of the messages, never a message or a byte view.
 */
import { clientArchName, PXE_BOOT_SERVER_PORT } from '../wire/dhcpv4/index.js';
import type { ExchangeFacts, UnreachableFact } from './facts.js';
import { phoneVendor } from './classify.js';
import { RouterTable } from './routers.js';
import { SharedStrings } from './shared-strings.js';
import { addFrame } from './frames.js';
import type { ChainState, DeviceIdentity, HttpState, StepState, TftpState } from './state.js';
import type { BootStep, NdpCounts } from './types.js';
import type { HttpRequestHead } from '../wire/http/index.js';

/** UDP port of proxyDHCP / the PXE boot server. */
export const PROXY_PORT = PXE_BOOT_SERVER_PORT;

/** An unreachable as the builder keeps it: the transfer it hit is resolved when published
 *  (whether it completed is only known later). */
export interface UnreachableRecord extends Omit<UnreachableFact, 'transferCompleted' | 'transferWentOn'> {
  transfer: TftpState | null;
}

export interface FlowState {
  readonly chains: Map<string, ChainState>;
  /** Leased address → chain key (latest lease wins). */
  readonly leases: Map<string, string>;
  /** Addresses DHCPv4 clients claimed themselves (INFORM/RENEWING ciaddr, INIT-REBOOT option 50)
   *  → chain key: packets from them prove no answer the capture lacks. */
  readonly claims: Map<string, string>;
  /** `client DUID hex|xid` → chain key of the client that sent it (server answers follow it). */
  readonly dhcp6Clients: Map<string, string>;
  readonly routers: RouterTable;
  readonly ndpCounts: NdpCounts;
  /** IPv6 clients whose next RA on their link becomes an `ra` step (they sent an RS, or have not
   *  seen an RA since their first IPv6 packet). */
  readonly raWaiting: Set<ChainState>;
  readonly tftp: Map<number, TftpState>;
  /** `addr|port` of a TFTP client endpoint → its latest transfer (to match ICMP quotes). */
  readonly tftpByClient: Map<string, TftpState>;
  /** Chain key → ICMP unreachables answering that client's boot-chain datagrams. */
  readonly unreachable: Map<string, UnreachableRecord[]>;
  readonly http: Map<number, HttpState[]>;
  /** Connection → its step whose response the snap length cut, until the decoder says whether the
   *  body was delivered (`httpCutDelivery`), with the request that step answered. */
  readonly httpCut: Map<number, { st: HttpState; request: HttpRequestHead | null }>;
  /** Texts many devices repeat, kept once (see shared-strings). */
  readonly strings: SharedStrings;
  /** The frame being decoded when the capture cut it short (0: it was not) and how many of its
   *  bytes are missing: a TFTP block's size then comes from its headers. */
  readonly cutNow: { frame: number; missing: number };
  /** The builder's options, read when a step opens. */
  readonly opts: { readonly onStep?: (device: DeviceIdentity, step: BootStep) => void };
}

export function newFlowState(opts: FlowState['opts']): FlowState {
  return {
    chains: new Map(), leases: new Map(), claims: new Map(), dhcp6Clients: new Map(), routers: new RouterTable(),
    ndpCounts: { rs: 0, ra: 0, ns: 0, na: 0, redirect: 0 }, raWaiting: new Set(), tftp: new Map(),
    tftpByClient: new Map(), unreachable: new Map(), http: new Map(), httpCut: new Map(), strings: new SharedStrings(),
    cutNow: { frame: 0, missing: 0 }, opts,
  };
}

export function chainFor(flow: FlowState, key: string, time: number): ChainState {
  let c = flow.chains.get(key);
  if (!c) {
    c = {
      key,
      identity: { key, arch: null, archName: null, vendorClass: null },
      steps: [],
      first: time, last: time, states: [], dhcp4: null, proxy: null, dhcp6: null, ra: null,
      v6First: null, raSeen: false, link: '', linkKnown: false,
      malformed: null, malformedTime: 0, malformedWhat: null, exchange: null, cut: null, opened: null, arp: null,
    };
    flow.chains.set(key, c);
  }
  if (time > c.last) c.last = time;
  return c;
}

/** The chain of the client using `addr` now: its lease holder, else `ip:<addr>`. A packet the
 *  client sent (`mac`: its source MAC, `what` it was) from an address no answer in the capture gave
 *  joins the DHCP client of that MAC when that client got no address answer the capture holds, or
 *  its answers were cut short: one device, not an `ip:` twin. Only a boot client's DHCP of the
 *  same family: on the far side of a router every routed client's packets carry the router's MAC,
 *  and a router may run a DHCP client of its own (no boot identity). Not an
 *  address the client claimed itself (no unseen answer gave it): that stays as it always was. */
export function chainForAddr(flow: FlowState, addr: string, time: number, mac: string | null = null, what = '', frame = 0): ChainState {
  const leased = flow.leases.get(addr);
  if (leased !== undefined) return chainFor(flow, leased, time);
  const own = mac === null ? undefined : flow.chains.get(mac);
  if (own !== undefined && (addr.includes(':') ? own.dhcp6 !== null : own.dhcp4 !== null) && flow.claims.get(addr) !== own.key
    && (answersCut(own) || (isBootIdentity(own) && !addressAnswerSeen(own)))) {
    flow.leases.set(addr, own.key);
    noteExchange(own, null).unleased ??= { frame, address: addr, what };
    return chainFor(flow, own.key, time);
  }
  return chainFor(flow, `ip:${addr}`, time);
}

/** A DHCPv4 ACK or a DHCPv6 answer reached the client in the capture (a client given an address
 *  the capture shows, a router among them, is never joined to other addresses by its MAC). */
function addressAnswerSeen(c: ChainState): boolean {
  for (const s of c.states) if ((s.kind === 'dhcp4' && s.ack !== null) || (s.kind === 'dhcp6' && s.answered)) return true;
  return false;
}

/** Its DHCP says it boots from the network: a PXE/HTTP boot arch (options 93 / 61) or a phone. */
function isBootIdentity(c: ChainState): boolean {
  return c.identity.arch !== null || phoneVendor(c.identity.vendorClass) !== null;
}

/** Its DHCP answers were cut by the snap length: the addresses they gave are not in the capture. */
function answersCut(c: ChainState): boolean {
  return c.cut !== null && c.cut.dhcp4 + c.cut.dhcp6 > 0;
}

/** Counts a message of the device's exchange: sent by it (true), sent to it (false), or neither
 *  (null: only the record is wanted). */
export function noteExchange(c: ChainState, fromDevice: boolean | null): ExchangeFacts {
  const x = (c.exchange ??= { requests: 0, answers: 0, selected: null, unleased: null, acked: null });
  if (fromDevice === true) x.requests++;
  else if (fromDevice === false) x.answers++;
  return x;
}

export function noteLink(c: ChainState, vlans: number[]): void {
  if (c.linkKnown) return;
  c.linkKnown = true;
  c.link = vlans.join('.');
}

export function openStep<S extends StepState>(flow: FlowState, c: ChainState, s: S): S {
  const prev = c.states[c.states.length - 1];
  if (prev) compactState(prev);
  c.states.push(s);
  c.steps.push(s.step);
  flow.opts.onStep?.(c.identity, s.step);
  return s;
}

export function noteArch(c: ChainState, arch: number | undefined, vc: string | null): void {
  const id = c.identity;
  if (id.arch === null && arch !== undefined) {
    id.arch = arch;
    id.archName = clientArchName(arch);
  }
  if (id.vendorClass === null && vc) id.vendorClass = vc;
}

export function touch(st: StepState, m: { frame: number; time: number }): void {
  touchAt(st, m.frame, m.time);
}

export function touchAt(st: StepState, frame: number, time: number): void {
  addFrame(st, frame);
  if (time > st.last) st.last = time;
  st.step.duration = st.last - st.step.start;
}

export function pushMessage(st: { step: { messages: string[] } }, name: string): void {
  const list = st.step.messages;
  // Bounded: a client retrying forever still shows its pattern, not every retry.
  if (list.length < 64) list.push(name);
}

/**
 * Trims the arrays of a step that a newer step followed (or that went quiet): an array that grew by `push` keeps spare
 * room (17 slots after its first push), a third of a kept device's memory in a capture of many
 * clients. Same values, same keys in the same order; a later packet of the step still appends.
 */
export function compactState(st: StepState): void {
  // Every packet of a step adds a frame: a sample compacted since holds a step left as it was.
  if (st.framesTrimmed) return;
  st.framesTrimmed = true;
  trimArrays(st as unknown as Record<string, unknown>);
  trimArrays(st.step as unknown as Record<string, unknown>);
}

function trimArrays(o: Record<string, unknown>): void {
  for (const k in o) {
    const v = o[k];
    // A frozen list is a shared copy (SharedStrings): already exact, and a copy would unshare it.
    if (Array.isArray(v) && v.length > 0 && !Object.isFrozen(v)) o[k] = v.slice();
  }
}
