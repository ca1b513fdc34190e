/** Shapes shared by the I/O-free protocol clients and the transports that drive them. */

export interface Endpoint {
  addr: string;
  port: number;
}

export interface UdpDatagram {
  src: Endpoint;
  dst: Endpoint;
  payload: Uint8Array;
  /** Sent to the limited broadcast address (the L2 transport uses ff:ff:ff:ff:ff:ff). */
  broadcast?: boolean;
}

/**
 * A client in the smoltcp style: no sockets, no timers. The driver calls `dispatch(now)` and
 * sends what it returns, feeds every received datagram to `process`, and calls again no later
 * than `pollAt()` (null: nothing scheduled). `done()` is the result once the operation ended.
 */
export interface ClientMachine<R> {
  dispatch(now: number): UdpDatagram[];
  process(d: UdpDatagram, now: number): void;
  pollAt(): number | null;
  done(): R | null;
  /** Deferred work, called by the driver once what `dispatch` returned was sent (TFTP: the last
   *  block's digest, off the ACK's path). Optional; `process` does it too. */
  idle?(): void;
}

/** The earlier of two optional deadlines (null: none): a client's next retransmission or the end
 *  of its offer/advertise window. */
export function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  return b === null ? a : Math.min(a, b);
}

/** Uniform random number in [0, 1): injected so retransmission jitter is reproducible. */
export type RandomSource = () => number;

/** Relay mode: outgoing DHCP messages look relayed (giaddr, hops, option 82). */
export interface RelayConfig {
  giaddr: string;
  hops?: number;
  /** Option 82 sub-option 1 (text). */
  circuitId?: string;
  /** Option 82 sub-option 2 (text). */
  remoteId?: string;
}

/** One message of an exchange, for the result log. */
export interface ExchangeEntry<M> {
  dir: 'sent' | 'received';
  /** Message type name ('DISCOVER', 'DATA'...). */
  type: string;
  time: number;
  /** 0-based position among all messages this client sent and received. */
  index: number;
  from: Endpoint;
  to: Endpoint;
  msg: M;
}

export const ANY_ADDR = '0.0.0.0';
export const BROADCAST_ADDR = '255.255.255.255';
