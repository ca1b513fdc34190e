/**
 * What the scenario driver needs from a network. Two real implementations: raw layer 2 through
 * libpcap (`raw.ts`, any client MAC, broadcast DHCP as a real client) and relay mode over plain
 * UDP/TCP sockets (`relay.ts`, pxecheck acts as a DHCP relay agent: no root needed). Tests use the
 * in-memory network. The driver never touches sockets itself.
 */
import type { Endpoint, UdpDatagram } from '../clients/types.js';

export type { Endpoint, UdpDatagram };

/** A received datagram for one simulated client. `time` is epoch seconds from the transport's clock. */
export type UdpHandler = (clientMac: string, d: UdpDatagram, time: number) => void;

/** An HTTP-capable byte stream to a server (TCP). */
export interface ByteStream {
  write(data: Uint8Array): void;
  /** Bytes from the server, in order. */
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

export interface ClientTransport {
  readonly kind: 'raw' | 'relay' | 'memory';
  /** Start answering/receiving for this client MAC (raw: frames to this MAC or broadcast). */
  addClient(mac: string): void;
  /** The client's lease (null to forget it): raw mode answers ARP for it and uses it as source. */
  setClientAddress(mac: string, lease: ClientAddress | null): void;
  /** Send a datagram on behalf of a client. In relay mode DHCP to 67 goes to the server as relayed. */
  sendUdp(mac: string, d: UdpDatagram): void;
  onUdp(handler: UdpHandler): void;
  /** A TCP connection from the client's leased address (HTTP steps). */
  connectTcp(mac: string, dst: Endpoint, timeoutMs: number): Promise<ByteStream>;
  /** Every frame sent or received, for `--pcap` (raw: the real frames; relay: synthesized). */
  onFrame?(handler: (dir: 'sent' | 'received', time: number, linkType: number, frame: Uint8Array) => void): void;
  now(): number;
  close(): Promise<void>;
}
