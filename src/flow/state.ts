import type { HttpRequestHead } from '../wire/http/index.js';
/**
 * Internal per-chain and per-step state of the builder: the public step objects plus the small
 * facts the rules need (times of the first unanswered request, counters). Only strings and numbers:
 * nothing here may point into a capture buffer.
 */
import type { FrameSample, FrameSampled } from './frames.js';
import type { ArpAsks } from './arp.js';
import type { OpenedConnections } from './opens.js';
import type { CutCounts, ExchangeFacts } from './facts.js';
import type {
  BootStep, Dhcp4Step, Dhcp6Status, Dhcp6Step, HttpStep, ProxyDhcpStep, RaStep, TftpStep,
} from './types.js';

/** Its frames: `frames`, `frameCount`, `framesTrimmed` (a sample, see frames.ts). */
interface StateBase extends FrameSampled {
  /** Time of the last packet of the step. */
  last: number;
}

export interface Dhcp4State extends StateBase {
  kind: 'dhcp4';
  step: Dhcp4Step;
  stageKnown: boolean;
  firstDiscover: number | null;
  discoverFrame: number;
  firstOffer: number | null;
  /** First REQUEST not yet answered by ACK/NAK (time, frame), null once answered. */
  pendingRequest: { time: number; frame: number } | null;
  requestSeen: boolean;
  /** `secs` of the client's last DISCOVER in the step; -1 before one. */
  discoverSecs: number;
  /** DISCOVERs sent after an offer had arrived (the client ignored the offers). */
  discoversAfterOffer: number;
  /** Option 60 of each offer, parallel to `step.offers` (a shared frozen list: replaced, never changed). */
  offerVendorClass: readonly (string | null)[];
  /** Every OFFER received, repeats of the same server's offer included (`step.offers` lists
   *  distinct ones), and the first few of their frames. */
  offerCount: number;
  offerFrames: number[];
  nak: { frame: number; time: number; server: string } | null;
  /** `router`: the ACK's first router (option 3), the address an off-link server is reached through. */
  ack: { frame: number; time: number; bootfile: string | null; router: string | null } | null;
  /** The frame of the message that carried `step.bootfile` (the ACK, an offer, a proxy answer). */
  bootfileFrame: number;
  /** A DHCPDECLINE: the client found the offered address in use. */
  decline: { frame: number; time: number; address: string | null; server: string | null } | null;
  /** The client's messages whose type the snap length cut off (they count as DISCOVERs). */
  untypedRequests: number;
  /** When the step last got each answer type from each server, as septuples (DHCP message type,
   *  0 for BOOTP replies and types past the table; the server identifier, else the source address,
   *  as a number; time; the relay it was sent to (its giaddr) as a number, 0 if none; its yiaddr;
   *  the relay that passed it on when only that relay names it, 0 if not; for a relayed answer its
   *  `relayInvariantDigest`, else 0) for those
   *  seen only (a step sees one or two: no table per step, ~10 MB on a 10k-client capture):
   *  `ExchangeFacts.answers` counts a server's repeat only as the answer to a retransmission, a
   *  relay's copy of an answer sent to it not at all. */
  answerAt: number[];
  /** The last server reply whose type the snap length cut (null: none). It proves the server
   *  answered (xid, chaddr, yiaddr survive), not that it ACKed: an OFFER, an ACK or a NAK.
   *  `probablyNak`: yiaddr 0 from a server that already gave this step an address (RFC 2131
   *  table 3: a NAK's yiaddr is 0, an OFFER's never is). `proxyLike`: a reply with yiaddr 0 came
   *  that was no NAK (a proxyDHCP offer): later ones are not called NAKs. */
  cutReply: { frame: number; time: number; yiaddr: string | null; probablyNak: boolean; proxyLike: boolean } | null;
  /** Source addresses of the replies that gave this step an address (yiaddr not 0), null: none.
   *  Only such a server's reply with yiaddr 0 may be its NAK; another's may be a proxyDHCP offer
   *  to a DISCOVER sent again (EDK2 resends while it has no PXE offer; WDS answers late). */
  addressedBy: readonly string[] | null;
}

export interface ProxyState extends StateBase {
  kind: 'proxydhcp';
  step: ProxyDhcpStep;
  pendingRequest: { time: number; frame: number } | null;
  /** The request came from iPXE (user class iPXE / option 175). */
  fromIpxe: boolean;
  /** Source port and frame of the boot server's answer (4011 by the PXE spec), null before one. */
  answer: { port: number; frame: number } | null;
}

export interface Dhcp6State extends StateBase {
  kind: 'dhcp6';
  step: Dhcp6Step;
  /** Transaction ids of the step (Solicit and Request use different ones). */
  xids: number[];
  /** `xid:type` of every message seen (a repeat is a retransmission). */
  seen: Set<string>;
  /** Elapsed Time (option 8, 1/100 s) of the client's last message in the step; -1 before one. */
  elapsed: number;
  pendingSolicit: { time: number; frame: number } | null;
  /** First Solicit of the step, and the first Advertise / Rapid-Commit Reply answering it. */
  firstSolicit: { time: number; frame: number } | null;
  firstAdvertise: { time: number; frame: number } | null;
  answered: boolean;
  /** The first few Advertises/Replies the capture holds whole that carried no option 59, with the
   *  answering server's id (option 2, hex; '' without one). A cut one proves nothing of option 59:
   *  it is not counted, only noted in `cutAnswer`. */
  bareAnswers: { frame: number; reply: boolean; server: string; address: string }[];
  /** Servers of the answers the snap length cut (id, or '' where the cut took it, and address). */
  cutAnswers: { server: string; address: string }[];
  /** The server the client chose: the Server Identifier of its Request, or of a Reply (hex). */
  chosenServer: string | null;
  /** The answer that carried the boot file URL (option 59), 0 before one did. */
  bootfileUrlFrame: number;
  replied: boolean;
  /** A network-boot client: option 61 (arch), vendor class PXEClient/HTTPClient or user class iPXE. */
  bootClient: boolean;
  /** A cut request of a boot client, read as iPXE's from where the device is in its boot (the
   *  cut may have taken its user class iPXE). */
  ipxeByCut: boolean;
  /** A client message of the step was seen whole: it said what the client is. */
  requestWhole: boolean;
  /** The client asked for option 59 (boot file URL) in its ORO: a boot or provisioning client. */
  wantsBootfileUrl: boolean;
  /** Type of the first client message (Solicit, Request, Release...). */
  firstType: number;
  /** The first of the latest run of answers with the same non-success statuses (frame, time, type
   *  name; `lastFrame`: the run's last answer), null once a later answer succeeds. */
  failure: { frame: number; lastFrame: number; time: number; type: string; server: string; statuses: Dhcp6Status[] } | null;
  /** Advertise/Reply frames whose option 16 an HTTP boot client would not accept, and why. */
  httpClassProblems: { frame: number; why: string }[];
}

export interface RaState extends StateBase {
  kind: 'ra';
  step: RaStep;
  /** The RA arrived (the step is complete: a later RS opens a new one). */
  answered: boolean;
}

export interface TftpState extends StateBase {
  kind: 'tftp';
  step: TftpStep;
  clientAddr: string;
  clientPort: number;
  requestFrame: number;
  /** Highest DATA block seen, unwrapped past 65535 (0: none yet). */
  highestBlock: number;
  lastBlockLen: number;
  /** Highest ACK seen, unwrapped (-1: none yet). */
  highestAck: number;
  oack: boolean;
  /** The snap length cut the request or the OACK: options past the cut, and the value it went
   *  through, are not in the capture (an option missing there was not refused). */
  optionsCut: boolean;
  /** The block size in effect is known: an OACK seen whole, or one whose cut left blksize whole,
   *  or a whole request answered by DATA 1 without an OACK (512). */
  blksizeKnown: boolean;
  /** The cut took the request's options past some point (tsize may have been among them). */
  requestCut: boolean;
  /** The transfer was opened by its request as the capture holds it (not by a later packet). */
  requestSeen: boolean;
  /** The first DATA block longer than the block size in effect, when that size is known. */
  oversize: { frame: number; block: number; length: number; limit: number } | null;
  /** The client aborted after the server's OACK (or none) with the cut request: a tsize probe if
   *  it requests the same file again (only then), else a refusal. */
  probeIfAgain: boolean;
  serverAnswered: boolean;
  errorFrame: number;
  errorFromClient: boolean;
  /** Time of the first DATA (for throughput). */
  firstData: number | null;
  /** Time the transfer last moved on: its request, the OACK, a new DATA block or a higher ACK.
   *  Packets sent again are no progress: a server resending one block for a minute is stalled. */
  progressTime: number;
  /** DATA blocks sent again since the transfer last moved on (a stall's resends of one block). */
  resentSinceProgress: number;
  /** Frames of the packets sent again (the first few). */
  retransmitFrames: readonly number[];
  /** ICMP unreachables that answered datagrams of the transfer (frames). */
  icmpFrames: readonly number[];
  /** Time of the first such ICMP (null: none). */
  firstIcmp: number | null;
  /** Time of the server's last packet (null: it never answered): only the server's packets show
   *  that a transfer went on after an ICMP; the client resending its request does not. */
  serverLast: number | null;
}

export interface HttpState extends StateBase {
  kind: 'http';
  step: HttpStep;
  connection: number;
  /** The request head as the HTTP parser queued it: responses and completions find their step by
   *  it (the parser alone pairs them). Dropped once the step leaves the connection's queue. */
  request: HttpRequestHead | null;
  requestFrame: number;
  responded: boolean;
  responseTime: number | null;
  responseFrame: number;
  /** The connection closed (RST, FIN, idle) inside the response: it ended short, not cut by the
   *  end of the capture nor by segments the capture lost. */
  endedShort: boolean;
}

export type StepState = Dhcp4State | ProxyState | Dhcp6State | RaState | TftpState | HttpState;

/** Who a device is, as far as its packets said (filled in as they arrive). */
export interface DeviceIdentity {
  key: string;
  arch: number | null;
  archName: string | null;
  vendorClass: string | null;
}

export interface ChainState {
  key: string;
  identity: DeviceIdentity;
  /** Public steps, parallel to `states`. */
  steps: BootStep[];
  first: number;
  last: number;
  states: StepState[];
  dhcp4: Dhcp4State | null;
  proxy: ProxyState | null;
  dhcp6: Dhcp6State | null;
  ra: RaState | null;
  /** Time of the client's first IPv6 boot packet (RS or DHCPv6), null before. */
  v6First: number | null;
  /** An RA reached this client since its first IPv6 packet (the first one becomes a step). */
  raSeen: boolean;
  /** VLAN ids of the client's link (of its first packet), joined with '.', '' untagged. */
  link: string;
  linkKnown: boolean;
  /** Frames with decode problems attributed to this client. */
  malformed: FrameSample | null;
  malformedTime: number;
  malformedWhat: Set<string> | null;
  /** Its messages each way (null before the first); see ExchangeFacts. */
  exchange: ExchangeFacts | null;
  /** Its frames cut short by the snap length, null when none. */
  cut: CutCounts | null;
  /** The TCP connections it opened (its SYNs; flow/opens.ts), null before any. */
  opened: OpenedConnections | null;
  /** Addresses it asked for by ARP and whether anyone answered (flow/arp.ts), null before any. */
  arp: ArpAsks | null;
}
