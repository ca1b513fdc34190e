/**
 * pxecheck's blocking UDP helper (native/udp_sync.c, built by `npm install` beside the libpcap
 * binding): a socket, and send + a receive with a timeout into a caller-owned buffer in one call. It BLOCKS:
 * only worker threads use it (offload/tftp-worker.ts), never the main thread's event loop.
 * `loadUdpSync()` is null when the helper is not built: callers keep their event-loop path.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The helper's functions; a handle is an opaque external. */
export interface UdpSyncBinding {
  /** Bound to `address` (IPv4 or IPv6 by its form) and `port` (0: any); receive buffer asked in bytes. */
  open(address: string, port: number, rcvbufBytes: number): object;
  port(h: object): number;
  /** Where send and sendRecv send to. */
  peer(h: object, address: string, port: number): void;
  /** Send to where the last datagram came from. */
  peerFromLast(h: object): void;
  send(h: object, buf: Uint8Array, len: number): void;
  /** One datagram into buf (truncated to its length): its length, or -1 when `timeoutMs` passed. */
  recv(h: object, buf: Uint8Array, timeoutMs: number): number;
  /** The last datagram's source address (4 or 16 bytes into `out`); its port is returned. */
  lastFrom(h: object, out: Uint8Array): number;
  close(h: object): void;
}

/** Where node-gyp puts it, from dist/scenario/transport/offload/ and from a bundle in dist/bundle/. */
const PATHS = ['../../../../build/Release/udp_sync.node', '../../build/Release/udp_sync.node'];
let binding: UdpSyncBinding | null | undefined;

export function loadUdpSync(): UdpSyncBinding | null {
  if (binding !== undefined) return binding;
  const found = PATHS.map((p) => new URL(p, import.meta.url)).find((u) => existsSync(u));
  try {
    binding = found === undefined ? null : (createRequire(import.meta.url)(fileURLToPath(found)) as UdpSyncBinding);
  } catch {
    binding = null; // built for another Node ABI, or damaged: the event-loop path still works
  }
  return binding;
}
