/**
 * Boot-chain steps: what `pxecheck analyze` rebuilds per client, as the flow layer publishes them.
 * These types are part of the JSON contract of `analyze --format json`
 * (docs/analyze.schema.json) — field names are public.
 */

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
  /** siaddr when option 66 is `nextServer`; see Dhcp4Step.siaddr. */
  siaddr?: string;
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
  /** siaddr ('0.0.0.0' when zero) of the answer whose option 66 is `nextServer`; absent when
   *  `nextServer` is siaddr (no option 66). PXE ROMs load from siaddr (EDK2: else option 54), iPXE
   *  too: option 66 is for phones and some loaders, so both are the device's possible servers. */
  siaddr?: string;
  stage: ClientStage;
  vendorClass: string | null;
  userClass: string[];
  arch: number | null;
  leaseTime: number | null;
  relay: { giaddr: string; circuitId: string | null; remoteId: string | null } | null;
  /** Options of the final ACK (code → JSON value), for phone provisioning and scenario checks. */
  ackOptions: number[];
  /** Option 150 (Cisco TFTP server addresses, in the order the phone tries them) of its last
   *  answer that had it; absent when none did. A phone's config servers beside `nextServer`. */
  tftpServers?: string[];
  /** The capture's snap length cut options off its messages (absent when it did not):
   *  `identity` — of the client's requests, what says which boot stage sent them (message type,
   *  vendor or user class, arch), so `stage` is not known (`os` unless something said otherwise);
   *  `options` — only other options (a boot file, a lease time may be missing). */
  cut?: 'identity' | 'options';
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
  /** The request that opened the transfer: RRQ (download by the client) or WRQ (upload). */
  opcode: 'RRQ' | 'WRQ';
  direction: 'download' | 'upload';
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
  /** A TFTP ERROR packet of the transfer (from either side); `cut`: the capture cut its message
   *  (shown ending in "…"). */
  error: { code: number; message: string; cut?: true } | null;
  /** An ICMP unreachable that answered a datagram of the transfer (`ICMP port unreachable from
   *  ADDR`); it failed the step only when the transfer did not complete. */
  unreachable: string | null;
  /** The server's port for the transfer (RFC 1350: a fresh TID; 69 when it answered from the
   *  request port), null before it answered. */
  serverPort: number | null;
  /** A tsize probe ended by the client with ERROR 8. */
  probe: boolean;
  /** Bytes per second over the transfer. */
  throughput: number | null;
  /** The snap length cut the request or the OACK: `file` — within the file name (`file` is the
   *  part captured, ending in "…", never compared as a whole name); `options` — only options.
   *  Absent when nothing was cut. */
  cut?: 'file' | 'options';
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
  /** The capture's snap length cut the response head (`status` is what the cut left, null when it
   *  took the code) or its body's framing (chunk sizes): its end is not in the capture. Absent when
   *  whole; body bytes cut inside a framed body count as sent (TCP sequence numbers show them).
   *  `complete` (and `ok` for a 2xx/3xx) where the sequence space and the client's ACKs show the
   *  body delivered (decode/http-cut-delivery.ts); `bytes` its Content-Length when the head showed it. */
  cut?: true;
}

export type BootStep = Dhcp4Step | ProxyDhcpStep | Dhcp6Step | RaStep | TftpStep | HttpStep;

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
