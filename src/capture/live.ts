/**
 * Live capture and frame injection through libpcap (npm `cap`). The ONLY module that loads the
 * native binding: `pxecheck run` (raw transport) and the later `pxecheck capture` both go through
 * `openLiveInterface`. Needs root or CAP_NET_RAW (+CAP_NET_ADMIN for promiscuous mode).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LinkType } from './types.js';

/** The part of cap's native `Cap` object we use (the package ships no types). */
interface CapHandle {
  open(device: string, filter: string, bufferSize: number, buffer: Buffer): string;
  send(buffer: Buffer, length?: number): void;
  close(): void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  removeAllListeners(event?: string): void;
}

interface CapModule {
  Cap: new () => CapHandle;
}

let capModule: CapModule | null = null;

function loadCap(): CapModule {
  // createRequire: cap is CommonJS with a native addon; loaded on first use only.
  capModule ??= createRequire(import.meta.url)('cap') as CapModule;
  return capModule;
}

/** Received frame: `frame` is a fresh copy, the caller may keep it. */
export type LivePacketHandler = (frame: Uint8Array, time: number, truncated: boolean) => void;

export interface LiveStats {
  received: number;
  /** Frames cut to the capture buffer. */
  truncated: number;
  /** Kernel drops; null: cap does not expose pcap_stats. */
  dropped: number | null;
  sent: number;
}

export interface LiveInterface {
  readonly name: string;
  /** Link type number as pcap files store it (1 = Ethernet). */
  readonly linkType: number;
  send(frame: Uint8Array): void;
  onPacket(handler: LivePacketHandler): void;
  stats(): LiveStats;
  close(): void;
}

export interface LiveOpenOptions {
  /** BPF filter expression ('' = everything). */
  filter?: string;
  /** Kernel ring buffer in bytes (default 4 MiB). */
  bufferSize?: number;
  /** Largest frame delivered (default 65535). */
  snapLength?: number;
}

/** An error with a stable `code`: ENODEV (no such interface), EPERM (no capture rights), EPCAP. */
export class LiveCaptureError extends Error {
  override name = 'LiveCaptureError';
  constructor(readonly code: 'ENODEV' | 'EPERM' | 'EPCAP', message: string) {
    super(message);
  }
}

const LINK_TYPES: Record<string, number> = {
  ETHERNET: LinkType.ETHERNET,
  NULL: LinkType.NULL,
  RAW: LinkType.RAW,
  LINKTYPE_LINUX_SLL: LinkType.LINUX_SLL,
  IEEE802_11: 105,
  IEEE802_11_RADIO: 127,
};

export const PERMISSION_HINT =
  'run as root, or grant the capability: sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node)); ' +
  'or use relay mode (no raw sockets needed)';

function classify(iface: string, e: unknown): LiveCaptureError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/permission|not permitted|EPERM|EACCES/i.test(msg)) {
    return new LiveCaptureError('EPERM', `cannot open ${iface} for raw capture: ${msg}; ${PERMISSION_HINT}`);
  }
  if (/no such device|doesn't exist|ENODEV/i.test(msg)) {
    return new LiveCaptureError('ENODEV', `no network interface named ${iface}: ${msg}`);
  }
  return new LiveCaptureError('EPCAP', `libpcap could not open ${iface}: ${msg}`);
}

/** Opens `iface` for capture and injection. Throws LiveCaptureError. */
export function openLiveInterface(iface: string, opts: LiveOpenOptions = {}): LiveInterface {
  // /sys/class/net lists interfaces without addresses too (os.networkInterfaces() does not).
  if (process.platform === 'linux' && !existsSync(`/sys/class/net/${iface}`)) {
    throw new LiveCaptureError('ENODEV', `no network interface named ${iface} (see \`ip link\`)`);
  }
  let cap: CapHandle;
  try {
    cap = new (loadCap().Cap)();
  } catch (e) {
    throw new LiveCaptureError('EPCAP', `the libpcap binding (npm cap) could not be loaded: ${(e as Error).message}`);
  }
  const buffer = Buffer.alloc(opts.snapLength ?? 65535);
  let linkName: string;
  try {
    linkName = cap.open(iface, opts.filter ?? '', opts.bufferSize ?? 4 << 20, buffer);
  } catch (e) {
    throw classify(iface, e);
  }
  const stats: LiveStats = { received: 0, truncated: 0, dropped: null, sent: 0 };
  const handlers: LivePacketHandler[] = [];
  let closed = false;
  cap.on('packet', (nbytes, truncated) => {
    stats.received++;
    if (truncated) stats.truncated++;
    if (handlers.length === 0) return;
    // cap reuses `buffer` for the next packet: hand out a copy.
    const frame = new Uint8Array(nbytes);
    frame.set(buffer.subarray(0, nbytes));
    const time = Date.now() / 1000;
    for (const h of handlers) h(frame, time, truncated);
  });
  return {
    name: iface,
    linkType: LINK_TYPES[linkName] ?? LinkType.ETHERNET,
    send(frame: Uint8Array): void {
      if (closed) throw new LiveCaptureError('EPCAP', `${iface} is closed`);
      const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
      try {
        cap.send(b, b.length);
      } catch (e) {
        throw classify(iface, e);
      }
      stats.sent++;
    },
    onPacket(handler: LivePacketHandler): void {
      handlers.push(handler);
    },
    stats: () => ({ ...stats }),
    close(): void {
      if (closed) return;
      closed = true;
      handlers.length = 0;
      cap.removeAllListeners('packet');
      cap.close();
    },
  };
}
