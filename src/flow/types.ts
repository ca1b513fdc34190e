/**
 * Boot chains: what `pxecheck analyze` rebuilds per client. These types are the JSON contract of
 * `analyze --format json` (docs/analyze.schema.json) — field names are public.
 */
import type { FindingCode, Severity } from '../findings/catalogue.js';

/** Which boot stage sent a DHCP message (see flow/stage.ts for how it is decided). */
export type ClientStage = 'ipxe' | 'firmware' | 'httpboot' | 'phone' | 'os';

interface StepBase {
  /** Epoch seconds of the first packet of the step. */
  start: number;
  /** Seconds from the first to the last packet of the step. */
  duration: number;
  ok: boolean;
  /** Frame numbers (as in `decode`) of every packet of the step. Bounded: on a long step, the
   *  first and last frames only (see `frameCount`). */
  frames: number[];
  /** How many packets the step had (≥ frames.length). */
  frameCount?: number;
}

export interface DhcpOfferSummary {
  server: string;
  yiaddr: string;
  frame: number;
  /** Seconds after the first DISCOVER of the transaction. */
  delay: number;
  bootfile: string | null;
  nextServer: string | null;
  /** A proxyDHCP offer: PXEClient vendor class and no address. */
  proxy: boolean;
}

export interface Dhcp4Step extends StepBase {
  kind: 'dhcp4';
  xid: number;
  /** Message type names in the order seen (DISCOVER, OFFER, REQUEST, ACK…). */
  messages: string[];
  offers: DhcpOfferSummary[];
  /** Server chosen by the client (option 54 of its REQUEST), else the server that ACKed. */
  server: string | null;
  yiaddr: string | null;
  /** Effective boot file: option 67, else the `file` field (honouring option 52). */
  bootfile: string | null;
  /** Option 66, else siaddr. */
  nextServer: string | null;
  stage: ClientStage;
  vendorClass: string | null;
  userClass: string[];
  arch: number | null;
  leaseTime: number | null;
  relay: { giaddr: string; circuitId: string | null; remoteId: string | null } | null;
  /** Options of the final ACK (code → JSON value), for phone provisioning and scenario checks. */
  ackOptions: number[];
}

export interface ProxyDhcpStep extends StepBase {
  kind: 'proxydhcp';
  xid: number;
  server: string | null;
  messages: string[];
  bootfile: string | null;
  nextServer: string | null;
}

/** A DHCPv6 Status Code (option 13) other than Success, and where it sat. */
export interface Dhcp6Status {
  code: number;
  /** RFC 8415 name (NoAddrsAvail, UnspecFail...), null for an unassigned code. */
  name: string | null;
  message: string;
  /** `message`: top level; `ia`: inside IA_NA/IA_TA `iaid`; `address`: inside IAADDR `address`. */
  scope: 'message' | 'ia' | 'address';
  iaid: number | null;
  address: string | null;
}

/** An address of an IA_NA/IA_TA of a Reply, with its lifetimes (seconds). */
export interface Dhcp6Lease {
  address: string;
  iaid: number;
  preferred: number;
  valid: number;
}

/** A DUID: its type number and name, and the text form (`DUID-LLT hw 1 time … 52:54:…`). */
export interface Dhcp6Duid {
  type: number;
  typeName: string | null;
  text: string;
}

/** Relay facts of a relayed exchange, from the relay closest to the client. */
export interface Dhcp6Relay {
  linkAddress: string;
  /** The client's address as the relay saw it (its link-local). */
  peerAddress: string;
  /** Relay levels (RELAY-FORW nesting) of the client's message. */
  hops: number;
  /** Option 18, printable text or hex. */
  interfaceId: string | null;
  /** Option 37: `enterprise:id` (id printable or hex). */
  remoteId: string | null;
  /** Option 79 client link-layer address (a MAC), when the relay added it. */
  clientLinkLayer: string | null;
}

export interface Dhcp6Step extends StepBase {
  kind: 'dhcp6';
  xid: number;
  /** Message type names in the order seen; a retransmission (same xid and type) is counted in
   *  `retransmissions`, and only shown again when it repeats the last message (SOLICIT×3). */
  messages: string[];
  server: string | null;
  addresses: string[];
  bootfileUrl: string | null;
  arch: number | null;
  /** A Reply with Rapid Commit (option 14) answered the Solicit. */
  rapidCommit: boolean;
  vendorClass: string | null;
  userClass: string[];
  /** Client messages sent again with the same xid and type. */
  retransmissions: number;
  /** Non-success status codes of the last answer (Advertise/Reply); empty when it succeeded. */
  statuses: Dhcp6Status[];
  leases: Dhcp6Lease[];
  /** Option 60 boot file parameters. */
  bootfileParams: string[];
  /** Enterprise number of option 16 (343: Intel, PXE/HTTP clients). */
  vendorEnterprise: number | null;
  /** The server's option 16 (vendor class) in its last Advertise/Reply, as text; null when absent.
   *  UEFI HTTP boot only takes an answer whose option 16 holds "HTTPClient" (EDK2 HttpBootDxe). */
  serverVendorClass: string | null;
  clientDuid: Dhcp6Duid | null;
  serverDuid: Dhcp6Duid | null;
  /** IAIDs of the client's IA_NA/IA_TA options. */
  iaids: number[];
  relay: Dhcp6Relay | null;
}

/** A prefix information option of a router advertisement (lifetimes in seconds). */
export interface RaPrefix {
  prefix: string;
  length: number;
  onLink: boolean;
  autonomous: boolean;
  valid: number;
  preferred: number;
}

/** The fields of a router advertisement that matter for boot. */
export interface RaSummary {
  /** M: addresses by DHCPv6. */
  managed: boolean;
  /** O: other configuration by DHCPv6. */
  other: boolean;
  /** Seconds; 0: not a default router. */
  routerLifetime: number;
  preference: 'high' | 'medium' | 'low' | 'reserved';
  mtu: number | null;
  prefixes: RaPrefix[];
  rdnss: string[];
  dnssl: string[];
}

/** A client's router solicitation and the advertisement that answered it (or, unsolicited, the
 *  first advertisement after its first IPv6 packet). */
export interface RaStep extends StepBase {
  kind: 'ra';
  /** RS and RA in the order seen (RS×2→RA). */
  messages: string[];
  /** Router solicitations the client sent in this step. */
  solicitations: number;
  /** Source address and MAC of the advertising router (null: no RA answered). */
  router: string | null;
  routerMac: string | null;
  advert: RaSummary | null;
}

export interface TftpStep extends StepBase {
  kind: 'tftp';
  file: string;
  server: string;
  /** Options the client asked for, and those the server acknowledged (OACK), as sent. */
  requestedOptions: Record<string, string>;
  acknowledgedOptions: Record<string, string>;
  blksize: number;
  tsize: number | null;
  bytes: number;
  blocks: number;
  retransmits: number;
  /** Transfer completed (last short block acknowledged or seen). */
  complete: boolean;
  error: { code: number; message: string } | null;
  /** A tsize probe ended by the client with ERROR 8. */
  probe: boolean;
  /** Bytes per second over the transfer. */
  throughput: number | null;
}

export interface HttpStep extends StepBase {
  kind: 'http';
  url: string;
  method: string;
  server: string;
  status: number | null;
  bytes: number;
  /** Seconds from request to response head. */
  ttfb: number | null;
  throughput: number | null;
  complete: boolean;
}

export type BootStep = Dhcp4Step | ProxyDhcpStep | Dhcp6Step | RaStep | TftpStep | HttpStep;

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** MAC of the client it concerns, or null for capture-wide findings. */
  client: string | null;
  frames: number[];
  message: string;
  hint: string;
  /** Epoch seconds of the first frame it concerns (findings are sorted by it). */
  time?: number;
}

export interface BootChain {
  mac: string;
  /** Client architecture (option 93 / DHCPv6 61), first seen. */
  arch: number | null;
  archName: string | null;
  vendorClass: string | null;
  steps: BootStep[];
  /** Seconds from the client's first packet to the start of its last boot-program fetch. */
  timeToBootProgram: number | null;
  /** Did the chain reach a boot program transfer that completed without an error finding? */
  booted: boolean;
}

export interface AnalysisSummary {
  clients: number;
  booted: number;
  failed: number;
  errors: number;
  warnings: number;
  infos: number;
  medianTimeToBootProgram: number | null;
  p95TimeToBootProgram: number | null;
  firstPacket: number | null;
  lastPacket: number | null;
}

/** One distinct advertisement of a router (same flags, lifetimes, prefixes, options). */
export interface RouterAdvertSeen extends RaSummary {
  /** Epoch seconds of the first and last time it was sent. */
  first: number;
  last: number;
  count: number;
  /** Frames of the first few copies. */
  frames: number[];
}

/** A router seen sending advertisements, per link (VLAN tags). */
export interface RouterInfo {
  address: string;
  mac: string | null;
  /** VLAN ids of the link, outermost first (empty: untagged). */
  vlans: number[];
  /** Distinct advertisements in order of first appearance (bounded). */
  adverts: RouterAdvertSeen[];
}

/** Neighbour discovery messages counted over the capture. */
export interface NdpCounts {
  rs: number;
  ra: number;
  ns: number;
  na: number;
  redirect: number;
}

export interface Analysis {
  file: string;
  packets: number;
  clients: BootChain[];
  findings: Finding[];
  summary: AnalysisSummary;
  /** Routers that sent advertisements during the capture (always present in reports written by
   *  this version; optional so that older reports still validate). */
  routers?: RouterInfo[];
  ndp?: NdpCounts;
}

/** Thresholds, with documented defaults (README, `analyze --help`). */
export interface AnalysisThresholds {
  /** Seconds from first DISCOVER to first OFFER above which `dhcp.slow-offer` is raised. */
  slowOffer: number;
  /** Seconds without an answer after which a DHCP/proxy/TFTP exchange counts as unanswered. */
  noReply: number;
  /** How many fetches of the same boot program make a loop. */
  loopCount: number;
  /** Seconds of idle after which a TFTP transfer that did not finish is a timeout. */
  tftpIdle: number;
  /** Seconds from the first Solicit to the first Advertise (or Rapid-Commit Reply) above which
   *  `dhcp6.slow-advertise` is raised. */
  slowAdvertise: number;
  /** Seconds on IPv6 (from the first RS/Solicit) without a boot program, before falling back to
   *  IPv4 or ending, above which `ipv6.boot-stall` is raised. */
  ipv6Stall: number;
}

export const DEFAULT_THRESHOLDS: AnalysisThresholds = {
  slowOffer: 1,
  noReply: 4,
  loopCount: 3,
  tftpIdle: 10,
  // RFC 8415 §15/§18.2.1: SOL_TIMEOUT is 1 s and a client collects Advertises for at least that
  // long anyway; an answer later than that delays the boot.
  slowAdvertise: 1,
  ipv6Stall: 10,
};
