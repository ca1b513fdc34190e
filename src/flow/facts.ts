/**
 * What the flow layer publishes: read-only facts about devices, their boot attempts and steps,
 * each with its evidence frames. The findings layer is a pure function of these; nothing here
 * changes after it is published (a live capture takes a new snapshot instead).
 */
import type { WireIssue } from '../wire/issues.js';
import type { Dhcp4State, Dhcp6State, HttpState, ProxyState, RaState, TftpState } from './state.js';
import type { NdpCounts, RouterInfo } from './types.js';
import type { BootStage } from './progress.js';
import type { MtuFacts } from './mtu.js';
import type { SampleFields } from './frames.js';

/** A step's state as published: the builder's bookkeeping with its frame sample resolved into
 *  `step.frames`. */
type Published<S> = Readonly<Omit<S, SampleFields>>;
export type Dhcp4Facts = Published<Dhcp4State>;
export type ProxyFacts = Published<ProxyState>;
export type Dhcp6Facts = Published<Dhcp6State>;
export type RaFacts = Published<RaState>;
export type TftpFacts = Published<TftpState>;
export type HttpFacts = Published<HttpState>;
export type StepFacts = Dhcp4Facts | ProxyFacts | Dhcp6Facts | RaFacts | TftpFacts | HttpFacts;

/** An ICMP destination unreachable that answered a device's boot-chain datagram. */
export interface UnreachableFact {
  /** Where the refused datagram went, its UDP port, and what it was for. */
  server: string;
  port: number;
  service: 'TFTP' | 'TFTP transfer' | 'DHCP' | 'proxyDHCP' | 'DHCPv6';
  /** The ICMP code name: `port unreachable`, `host unreachable`, `communication administratively prohibited`... */
  reason: string;
  /** Who sent the ICMP error: the server itself, or a router/firewall on the way. */
  reporter: string;
  icmpFrame: number;
  time: number;
  /** Frame of the refused request when known (the RRQ, the REQUEST to 4011), else 0. */
  requestFrame: number;
  /** TFTP: the file of the transfer. */
  file: string | null;
  /** TFTP: the transfer it hit completed anyway (the ICMP did not stop it). */
  transferCompleted: boolean;
  /** TFTP: the transfer it hit went on after it (server packets later than the ICMP), completed or not:
   *  a capture that ends mid-transfer cannot show it complete. */
  transferWentOn: boolean;
}

/** `boot`: a network-boot or provisioning client (PXE/UEFI/HTTP boot/iPXE firmware, a phone, a
 *  device that fetched a boot file); `other`: any other DHCP client (an OS, a printer). */
export type DeviceRole = 'boot' | 'other';

/** How a boot attempt began: which boot entry (firmware PXE over IPv4/IPv6, UEFI HTTP boot over
 *  IPv4/IPv6), iPXE on its own (a ROM, or a capture that starts there), a phone, another device
 *  that asks for provisioning (DHCPv6 option 59 in its ORO), a transfer seen
 *  without its DHCP; `os` is a stretch of the device's own DHCP traffic, not a boot. */
export type AttemptEntry = 'pxe4' | 'pxe6' | 'http4' | 'http6' | 'ipxe' | 'phone' | 'provision' | 'transfer' | 'os';

export interface AttemptFacts {
  /** 0-based, in time order. */
  index: number;
  entry: AttemptEntry;
  /** Indexes of its steps in the device's `steps` (a contiguous run). */
  firstStep: number;
  lastStep: number;
  /** Epoch seconds of its first and last packet. */
  start: number;
  end: number;
  /** Furthest stage reached (null for an `os` stretch). */
  stage: BootStage | null;
  /** It reached its goal: the boot program loaded and, after a chainload to iPXE, the kernel or
   *  image its script boots; for a phone, its configuration. */
  loaded: boolean;
  /** The first boot program it fetched. */
  bootProgram: string | null;
  /** Seconds from its first packet to the start of its last boot-program fetch. */
  timeToBootProgram: number | null;
  /** Addresses the device asked for by ARP in this attempt (a few per DHCP exchange at most);
   *  absent when it asked for none. */
  arp?: readonly ArpAskFacts[];
}

export interface DeviceFacts {
  /** MAC, or `ip:ADDR` for a device seen only by its address. */
  key: string;
  arch: number | null;
  archName: string | null;
  vendorClass: string | null;
  role: DeviceRole;
  /** Why it has that role, in a few words. */
  roleReason: string;
  /** VLAN ids of its link joined with '.', '' untagged. */
  link: string;
  first: number;
  last: number;
  /** Time of its first IPv6 boot packet (RS or DHCPv6), null if none. */
  v6First: number | null;
  steps: readonly StepFacts[];
  attempts: readonly AttemptFacts[];
  /** Frames with decode problems attributed to this device. */
  malformed: { frames: number[]; count: number; time: number; what: string[] } | null;
  unreachable: readonly UnreachableFact[];
  /** Path-MTU facts (lost fragments, ICMP too big, TCP black holes); absent when there are none. */
  mtu?: MtuFacts;
  /** Which way its traffic went, and what it did that only an answer could have led to; absent
   *  when the device sent and got no boot-chain message (a device seen only by ICMP). */
  exchange?: ExchangeFacts;
  /** Its frames the capture cut short (snap length); absent when none were. */
  cut?: CutCounts;
  /** Its TCP opens (flow/opens.ts), absent when it sent no SYN. `lastAnswered`: when it sent the
   *  last SYN the capture shows answered (the peer's SYN-ACK, the device's data on it), null when
   *  none was. */
  opened?: { lastAnswered: number | null };
}

/** A run of ARP requests of the device for one address (retries no more than ARP_RETRY_GAP_S
 *  apart, within one DHCP exchange; probes and gratuitous ARP not counted), and the first reply to
 *  it from anyone. */
export interface ArpAskFacts {
  target: string;
  first: number;
  last: number;
  requests: number;
  /** Its first request frames. */
  frames: readonly number[];
  replied: number | null;
}

/** A device's boot-chain messages each way, and the answers it acted on that the capture does not
 *  hold (the capture saw one side of the exchange only). */
export interface ExchangeFacts {
  /** Messages it sent: DHCPv4/v6 requests, TFTP requests and ACKs, HTTP requests. */
  requests: number;
  /** Messages servers sent it: DHCP offers/ACKs/NAKs (each server's own; a server's repeat of a
   *  type in one DHCPv4 exchange only 1–70 s after the last, as the answer to a retransmission: a
   *  relay's copy of an ACK is no second answer), DHCPv6 answers, TFTP DATA/OACK/ERROR, HTTP
   *  responses. */
  answers: number;
  /** Its first REQUEST that names the server it chose from an answer the exchange has none of in
   *  the capture (DHCPv4 option 54 after a DISCOVER, DHCPv6 Server Identifier after a Solicit):
   *  the server's address (null for DHCPv6: a DUID), the address it asked for, and how it read. */
  selected: { frame: number; server: string | null; address: string | null; what: string } | null;
  /** Its first packet sent from an address no ACK in the capture gave it (joined by its own MAC). */
  unleased: { frame: number; address: string; what: string } | null;
  /** Its first TFTP ACK of a DATA block, climbing from or repeating an earlier ACK, on a transfer the
   *  capture holds no server packet of. */
  acked: { frame: number; what: string } | null;
}

/** Frames cut short by the capture's snap length, by what they carried. A DHCPv4 message cut in
 *  its padding (after END) lost nothing and counts as a frame only. */
export interface CutCounts {
  frames: number;
  /** DHCP messages whose options were cut. */
  dhcp4: number;
  dhcp6: number;
  /** Of those, the device's requests whose identity the cut took (DHCPv4 message type, vendor or
   *  user class, arch; a cut DHCPv6 request that proves no boot client): the stage and attempt
   *  they belong to are not known. */
  identity: number;
  tftp: number;
  /** TCP segments with data (HTTP and other streams). */
  tcp: number;
}

export interface CaptureFacts {
  file: string;
  packets: number;
  /** Times of the first and last record of the capture (any protocol). */
  first: number | null;
  last: number | null;
  truncated: boolean;
  /** What the capture reader warned about (bad lengths, unsupported link types, truncation). */
  warnings: readonly WireIssue[];
  /** Any TFTP or HTTP transfer in the capture so far; absent: judged from the devices given
   *  (set when devices are analyzed in parts, as they finish). */
  transfers?: boolean;
  /** Frames the capture cut short (captured length below the length on the wire); absent when none. */
  cut?: CaptureCutFacts;
  /** Frames with decode problems nobody could attribute to a device. */
  strayMalformed: { frames: number[]; count: number; time: number; what: string[] } | null;
}

export interface CaptureCutFacts extends CutCounts {
  /** Cut frames that may have carried a DHCP message no device can be given: cut before their UDP
   *  ports (or IP header), a later fragment, or a DHCP message cut before its client's key (DHCPv4
   *  chaddr, DHCPv6 transaction). While there are none, a DHCP answer missing is visible. */
  unplaced: number;
  /** The longest captured length of a cut frame: the capture's snap length (of the mirrored frame,
   *  inside a remote-mirror tunnel). */
  snap: number;
  /** Of `frames`, those inside a remote-mirror tunnel: cut by the mirroring switch (ERSPAN's T
   *  bit, a session MTU) and by the collector's snap length, with the most tunnel header bytes the
   *  latter counted in front of the mirrored frame. */
  byMirror: number;
  byCollector: number;
  encapsulation: number;
  /** The first cut frames. */
  sample: number[];
}

export interface FlowFacts {
  capture: CaptureFacts;
  devices: readonly DeviceFacts[];
  routers: readonly RouterInfo[];
  ndp: NdpCounts;
}
