/**
 * TCP opens of the boot devices: their SYNs, and whether the capture shows each answered (the
 * peer's SYN-ACK, the device's data on it) or refused (RST). A client opens several at once (iPXE's
 * kernel and initrd, a SYN retried from a new port), so answers are paired by ports. What the
 * findings read is when the device sent the last SYN that was answered (causes.ts wentOnAfter): it
 * went on after a DHCP exchange the capture cut.
 */
import type { TcpSegmentSeen } from '../decode/messages.js';
import type { DeviceFacts } from './facts.js';
import type { ChainState } from './state.js';

/** SYNs kept per device: a boot client opens a few connections at once (kernel, initrd, a retry). */
export const OPENS_KEPT = 8;

/** A device's SYN: its ports survive any cut that keeps the TCP header (54 bytes), so a cut capture
 *  still shows the device going on to a transfer. */
export interface OpenedConnection {
  time: number;
  port: number;
  peer: string;
  peerPort: number;
  /** The peer's SYN-ACK, or the device's data on it, is in the capture. */
  answered: boolean;
  /** The peer answered it with RST (no later answer counts). */
  refused: boolean;
}

/** A device's latest SYNs, oldest first. */
export interface OpenedConnections {
  recent: OpenedConnection[];
  /** When the device sent the last SYN its peer answered, null before any: a later SYN never
   *  answered does not undo a connection that was made. */
  lastAnswered: number | null;
}

/** The device's SYN (`c`: its chain): a new connection, or its SYN again on the same ports. When
 *  full, a settled one (answered or refused) makes room first: an open one may still be answered. */
export function noteOpen(c: ChainState, s: TcpSegmentSeen): void {
  const o = (c.opened ??= { recent: [], lastAnswered: null });
  const recent = o.recent;
  const known = openOf(o, s.srcPort, s.dst, s.dstPort);
  if (known !== undefined) recent.splice(recent.indexOf(known), 1);
  else if (recent.length >= OPENS_KEPT) {
    const settled = recent.findIndex((x) => x.answered || x.refused);
    recent.splice(settled >= 0 ? settled : 0, 1);
  }
  recent.push({ time: s.time, port: s.srcPort, peer: s.dst, peerPort: s.dstPort, answered: false, refused: false });
}

/** The peer answered the device's SYN (`port` ↔ `peer`:`peerPort`). */
export function noteOpenAnswered(o: OpenedConnections, port: number, peer: string, peerPort: number): void {
  const x = openOf(o, port, peer, peerPort);
  if (x === undefined || x.answered || x.refused) return;
  x.answered = true;
  if (o.lastAnswered === null || x.time > o.lastAnswered) o.lastAnswered = x.time;
}

/** A RST to the device's SYN before its peer answered it: refused (a RST after the handshake ends a
 *  connection that was made). */
export function noteOpenRefused(o: OpenedConnections, port: number, peer: string, peerPort: number): void {
  const x = openOf(o, port, peer, peerPort);
  if (x !== undefined && !x.answered) x.refused = true;
}

/** DeviceFacts.opened. */
export function publishOpened(o: OpenedConnections): NonNullable<DeviceFacts['opened']> {
  return { lastAnswered: o.lastAnswered };
}

/** The device's connection to `peer`:`peerPort` from `port`, the newest one. */
function openOf(o: OpenedConnections, port: number, peer: string, peerPort: number): OpenedConnection | undefined {
  for (let i = o.recent.length - 1; i >= 0; i--) {
    const x = o.recent[i]!;
    if (x.port === port && x.peerPort === peerPort && x.peer === peer) return x;
  }
  return undefined;
}
