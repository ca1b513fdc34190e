/**
 * What the scenario driver needs from a network. Two real implementations: raw layer 2 through
 * libpcap (`raw/transport.ts`, any client MAC, broadcast DHCP as a real client) and relay mode over plain
 * UDP/TCP sockets (`relay.ts`, pxecheck acts as a DHCP relay agent: no root needed). Tests use the
 * in-memory network. The driver never touches sockets itself.
 */
import type { Endpoint, UdpDatagram } from '../clients/types.js';
import type { TftpClientConfig, TftpResult } from '../clients/tftp.js';

export type { Endpoint, UdpDatagram };

/** A received datagram for one simulated client. `time` is epoch seconds from the transport's clock. */
export type UdpHandler = (clientMac: string, d: UdpDatagram, time: number) => void;

/** An HTTP-capable byte stream to a server (TCP). */
export interface ByteStream {
  write(data: Uint8Array): void;
  /** Bytes from the server, in order: a view valid during the call only (relay mode reads every
   *  stream into one reused buffer; raw mode hands over views into received frames). */
  onData(handler: (data: Uint8Array, time: number) => void): void;
  /** The server closed (or reset: `error` set). */
  onEnd(handler: (time: number, error?: string) => void): void;
  close(): void;
}

/** Lease facts a transport needs after DHCP: source address, ARP answers, the route. */
export interface ClientAddress {
  addr: string;
  /** Prefix length, e.g. 24. */
  prefix: number;
  router?: string;
}

/** An IPv6 address the client obtained (DHCPv6 IA_NA): raw mode answers neighbour solicitations
 *  for it and uses it as the source of unicast traffic to global addresses. */
export interface ClientAddress6 {
  addr: string;
  /** On-link prefix length (from the RA prefix when known, else 64). */
  prefix: number;
}

/** A router advertisement as the client saw it (raw mode: every RA on the link). */
export interface RouterAdvertSeen {
  time: number;
  /** Source (router link-local) address and MAC. */
  router: string;
  routerMac: string | null;
  /** Sent to this client's link-local address (solicited, unicast) rather than ff02::1. */
  unicastTo: string | null;
  managed: boolean;
  other: boolean;
  /** Seconds; 0 = not a default router. */
  lifetime: number;
  preference: 'high' | 'medium' | 'low' | 'reserved';
  prefixes: Array<{ prefix: string; length: number; onLink: boolean; autonomous: boolean; valid: number; preferred: number }>;
}

export type RouterAdvertHandler = (ra: RouterAdvertSeen) => void;

export interface ClientTransport {
  readonly kind: 'raw' | 'relay' | 'memory';
  /** Start answering/receiving for this client MAC (raw: frames to this MAC or broadcast). */
  addClient(mac: string): void;
  /** The client is done (load mode): release what the transport holds for it (relay: its UDP sockets). */
  removeClient?(mac: string): void;
  /** A transfer from the client's UDP port `clientPort` ended: release what the transport holds for it (relay: that flow's socket). */
  endUdpFlow?(mac: string, clientPort: number): void;
  /** The client's lease (null to forget it): raw mode answers ARP for it and uses it as source. */
  setClientAddress(mac: string, lease: ClientAddress | null): void;
  /** Send a datagram on behalf of a client. In relay mode DHCP to 67 goes to the server as relayed. */
  sendUdp(mac: string, d: UdpDatagram): void;
  /** Receive every client's datagrams; returns the unsubscribe (a load run's engine lets go when it ends). */
  onUdp(handler: UdpHandler): () => void;
  /** A TCP connection from the client's leased address (HTTP steps). */
  connectTcp(mac: string, dst: Endpoint, timeoutMs: number): Promise<ByteStream>;
  /** Every frame sent or received, for `--pcap` (raw: the real frames; relay: synthesized). A
   *  received raw frame is a view the next capture batch overwrites: valid during the call only. */
  onFrame?(handler: (dir: 'sent' | 'received', time: number, linkType: number, frame: Uint8Array) => void): void;
  /** Called once when the transport can no longer work (raw: the interface went down or vanished). */
  onFailure?(handler: (message: string) => void): void;
  now(): number;
  close(): Promise<void>;
  /**
   * Runs a whole TFTP read off the event loop (relay: a worker thread on blocking kernel sockets;
   * raw: one on a blocking capture handle filtered to the flow; transport/offload/): the result (null: unfinished by `deadline`), or null instead of a promise
   * when it cannot (no native helper, no worker free, `--pcap`, a lowered send rate): the caller
   * then drives the machine itself, as it does when the promise gives 'not-run' (the worker failed
   * before it sent anything: its capture would not open). `now`/`deadline`: seconds on the runner's clock.
   */
  offloadTftp?(mac: string, cfg: TftpClientConfig, now: number, deadline: number, signal: AbortSignal | undefined): Promise<TftpResult | null | 'not-run'> | null;

  // ---- IPv6 (raw and memory transports; relay mode has no link, so no RAs) ----
  /** The client's global IPv6 address (null to forget). Its link-local address (EUI-64 of the MAC,
   *  src/wire/ipv6-address.ts) is always in use once `addClient` ran. */
  setClientAddress6?(mac: string, lease: ClientAddress6 | null): void;
  /** Every router advertisement seen on the link (multicast, or unicast to a client). */
  onRouterAdvert?(handler: RouterAdvertHandler): void;
  /** Send a router solicitation from the client's link-local address to ff02::2. */
  solicitRouters?(mac: string): void;
}
