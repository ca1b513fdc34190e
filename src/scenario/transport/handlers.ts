/**
 * The handler lists the socket transports (raw/transport.ts, relay.ts) keep: datagrams for the simulated
 * clients, and every frame for `--pcap`. Subclasses call them when something arrives or leaves.
 */
import type { UdpHandler } from './types.js';

export type FrameHandler = (dir: 'sent' | 'received', time: number, linkType: number, frame: Uint8Array) => void;

export class TransportHandlers {
  protected readonly udpHandlers: UdpHandler[] = [];
  protected readonly frameHandlers: FrameHandler[] = [];

  onUdp(handler: UdpHandler): void {
    this.udpHandlers.push(handler);
  }

  onFrame(handler: FrameHandler): void {
    this.frameHandlers.push(handler);
  }
}
