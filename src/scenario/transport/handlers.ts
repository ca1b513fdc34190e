/**
 * The handler lists the socket transports (raw/transport.ts, relay.ts) keep: datagrams for the simulated
 * clients, and every frame for `--pcap`. Subclasses call them when something arrives or leaves.
 */
import type { UdpHandler } from './types.js';

/** A frame sent or received. A received raw frame is a view into the capture's batch buffer,
 *  which the next batch overwrites: valid during the call only, copy what is kept. */
export type FrameHandler = (dir: 'sent' | 'received', time: number, linkType: number, frame: Uint8Array) => void;

export class TransportHandlers {
  /** Replaced, never spliced, on unsubscribe: a handler may unsubscribe while the list is iterated. */
  protected udpHandlers: readonly UdpHandler[] = [];
  protected readonly frameHandlers: FrameHandler[] = [];

  onUdp(handler: UdpHandler): () => void {
    this.udpHandlers = [...this.udpHandlers, handler];
    return () => { this.udpHandlers = this.udpHandlers.filter((h) => h !== handler); };
  }

  /** Handlers subscribed now (tests: nothing is left behind). */
  get udpHandlerCount(): number {
    return this.udpHandlers.length;
  }

  onFrame(handler: FrameHandler): void {
    this.frameHandlers.push(handler);
  }
}
