/**
 * Live capture and frame injection through libpcap, by pxecheck's own small N-API binding
 * (native/pcap_live.c, built by `npm install`; README "Why our own libpcap binding"). The ONLY
 * module that loads it: `pxecheck run` (raw transport) and `pxecheck capture` both go through
 * `openLiveInterface`. Needs root or CAP_NET_RAW (+CAP_NET_ADMIN for promiscuous mode).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LinkType } from '../wire/link-type.js';
import { LiveCaptureError } from '../errors.js';
export { LiveCaptureError } from '../errors.js';

/** The binding's interface version this code speaks (native/pcap_live.c PCAP_ABI). */
export const PCAP_ABI = 4;

/** The binding's functions (native/pcap_live.c). */
interface PcapBinding {
  /** Absent in bindings built before it (their `open` called back once per frame). */
  abi?: number;
  openBatched(device: string, filter: string, snaplen: number, bufferSize: number, promisc: boolean,
    onFrames: (count: number) => void, onError: (message: string) => void,
    inboundOnly?: boolean): { handle: object; linkType: number; pool: Uint8Array; meta: Float64Array };
  send(handle: object, frame: Uint8Array): number;
  sendBatch?(handle: object, frames: Uint8Array[]): number;
  stats(handle: object): { received: number; dropped: number; ifDropped: number } | null;
  close(handle: object): void;
  setFilter(handle: object, filter: string): void;
  openBlocking(device: string, filter: string, snaplen: number, bufferSize: number): object;
  next(handle: object, buf: Uint8Array, timeoutMs: number, spinUs: number): number;
  waits(handle: object): BlockingWaits;
  inject(handle: object, buf: Uint8Array, length: number): void;
  filterBlocking(handle: object, filter: string): void;
  closeBlocking(handle: object): void;
}

/** Where node-gyp puts it, relative to this file in src/capture/ and in dist/capture/ alike. */
const BINDING_PATHS = ['../../build/Release/pcap_live.node', '../../build/Debug/pcap_live.node'];
let binding: PcapBinding | null = null;

function loadBinding(): PcapBinding {
  if (binding) return binding;
  const req = createRequire(import.meta.url);
  const found = BINDING_PATHS.map((p) => new URL(p, import.meta.url)).find((u) => existsSync(u));
  if (found === undefined) {
    throw new Error('the libpcap binding is not built (build/Release/pcap_live.node): run `npm ci` or `npm run install` (needs libpcap-dev and a C compiler: bash scripts/setup.sh)');
  }
  binding = req(found.pathname) as PcapBinding;
  return binding;
}

/** Null when the loaded binding speaks this code's interface; else the one-line error: a binding
 *  built from older sources (or newer ones) than this JavaScript must not be half-understood. */
export function bindingMismatch(loaded: { abi?: unknown }): LiveCaptureError | null {
  if (loaded.abi === PCAP_ABI) return null;
  const which = typeof loaded.abi === 'number' && loaded.abi > PCAP_ABI ? 'pxecheck\'s JavaScript (dist/) is' : 'the libpcap binding (build/Release/pcap_live.node) is';
  return new LiveCaptureError('EPCAP', `${which} out of date (binding interface ${String(loaded.abi ?? 'unnumbered')}, expected ${PCAP_ABI}): rebuild: \`npm run install && npm run build\``);
}

/** The loaded binding, checked to speak this code's interface; LiveCaptureError (EPCAP) if not. */
function checkedBinding(): PcapBinding {
  let pcap: PcapBinding;
  try {
    pcap = loadBinding();
  } catch (e) {
    throw new LiveCaptureError('EPCAP', `the libpcap binding could not be loaded: ${(e as Error).message}`);
  }
  const mismatch = bindingMismatch(pcap);
  if (mismatch !== null) throw mismatch;
  return pcap;
}

/** Received frame: `frame` is a fresh copy, the caller may keep it; `wireLength` is its length on
 *  the wire (more than `frame.length` when the snap length cut it). */
export type LivePacketHandler = (frame: Uint8Array, time: number, wireLength: number) => void;

/** Numbers per frame in the binding's `meta` array: offset, captured length, wire length, seconds. */
const FRAME_META = 4;

export interface LiveStats {
  received: number;
  /** Frames cut to the snap length. */
  truncated: number;
  /** Kernel drops (pcap_stats ps_drop: the ring buffer was full); null when libpcap cannot tell. */
  dropped: number | null;
  /** Drops by the interface or its driver (ps_ifdrop); null when libpcap cannot tell. */
  ifDropped: number | null;
  sent: number;
}

/** Why a capture stopped by itself: the interface went down or disappeared (libpcap's message). */
export type LiveErrorHandler = (message: string) => void;

export interface LiveInterface {
  readonly name: string;
  /** Link type number as pcap files store it (1 = Ethernet). */
  readonly linkType: number;
  send(frame: Uint8Array): void;
  /** Several frames in one system call (sendmmsg), in order; absent where the binding lacks it. */
  sendBatch?(frames: Uint8Array[]): void;
  onPacket(handler: LivePacketHandler): void;
  /** Received frame as a view into a buffer the next batch overwrites: valid during the call only
   *  (copy what is kept). No copy, no allocation but the view: the raw transport's fast path. */
  onPacketView?(handler: LivePacketHandler): void;
  /** Called once when reading fails (interface deleted or down); the interface is closed by then. */
  onError(handler: LiveErrorHandler): void;
  stats(): LiveStats;
  /** A new BPF filter (the raw transport leaves a worker's flow out); throws LiveCaptureError. */
  setFilter?(filter: string): void;
  close(): void;
}

/** What a blocking capture's reads did: frames found while spinning, sleeps in poll. */
export interface BlockingWaits { spun: number; slept: number }

/**
 * A capture that BLOCKS (worker threads only, never the event loop): promiscuous, inbound only,
 * read with `next` (poll + libpcap's mmap ring) and written with `inject`. The raw transport's
 * TFTP worker (scenario/transport/offload/raw-link.ts) reads one flow's frames on it.
 */
export interface BlockingCapture {
  /** One frame copied into `buf` (cut to its length): its length, or -1 when `timeoutMs` passed.
   *  For the first `spinUs` microseconds (at most the timeout) it looks at the ring without
   *  sleeping: an answer due within the peer's turn-around is read without a wake-up. */
  next(buf: Uint8Array, timeoutMs: number, spinUs?: number): number;
  /** Frames `next` found while spinning, and the times it slept in poll. */
  waits(): BlockingWaits;
  /** Sends `buf[0..length)`. */
  inject(buf: Uint8Array, length: number): void;
  setFilter(filter: string): void;
  close(): void;
}

/** Opens `iface` for a worker's blocking reads (`filter` from the start: nothing else is queued).
 *  `bufferSize`: the kernel ring, at least the live capture's 32 MiB (one 64 KiB slot per frame on
 *  veth and offloading NICs: 16 MiB held 256 frames, less than a descheduled worker may be sent at
 *  blksize 8192 × windowsize). Throws LiveCaptureError, like openLiveInterface. */
export function openBlockingCapture(iface: string, filter: string, bufferSize: number, snapLength = 65535): BlockingCapture {
  const pcap = checkedBinding();
  let handle: object;
  try {
    handle = pcap.openBlocking(iface, filter, snapLength, Math.max(bufferSize, MIN_RING_BYTES));
  } catch (e) {
    throw classify(iface, e);
  }
  return {
    next: (buf, timeoutMs, spinUs = 0) => pcap.next(handle, buf, timeoutMs, spinUs),
    waits: () => pcap.waits(handle),
    inject: (buf, length) => { pcap.inject(handle, buf, length); },
    setFilter: (f) => { pcap.filterBlocking(handle, f); },
    close: () => { pcap.closeBlocking(handle); },
  };
}

export interface LiveOpenOptions {
  /** BPF filter expression ('' = everything). */
  filter?: string;
  /**
   * Kernel ring buffer in bytes (default and minimum 32 MiB). In immediate mode libpcap uses one
   * slot per frame sized for the largest (64 KiB on interfaces with offloads, veth included): 4 MiB
   * held only 64 frames and a burst of 200 lost 136; 32 MiB holds 512.
   */
  bufferSize?: number;
  /** Largest frame delivered (default 65535). */
  snapLength?: number;
  /** Only frames that arrive, not the ones this host sends (the raw transport: it knows what it sent,
   *  and every sent frame coming back would cost a wakeup). Default false (capture sees both). */
  inboundOnly?: boolean;
}

const MIN_RING_BYTES = 32 << 20;

/** libpcap DLT_ values whose pcap LINKTYPE_ number differs (the rest are equal). */
const DLT_TO_LINKTYPE: Record<number, number> = { 12: LinkType.RAW, 14: LinkType.RAW };

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

/** Opens `iface` for capture and injection. Throws LiveCaptureError. Prints nothing, ever. */
export function openLiveInterface(iface: string, opts: LiveOpenOptions = {}): LiveInterface {
  // /sys/class/net lists interfaces without addresses too (os.networkInterfaces() does not).
  if (process.platform === 'linux' && !existsSync(`/sys/class/net/${iface}`)) {
    throw new LiveCaptureError('ENODEV', `no network interface named ${iface} (see \`ip link\`)`);
  }
  const pcap = checkedBinding();
  const snapLength = opts.snapLength ?? 65535;
  const stats = { received: 0, truncated: 0, sent: 0 };
  const handlers: LivePacketHandler[] = [];
  const viewHandlers: LivePacketHandler[] = [];
  const errorHandlers: LiveErrorHandler[] = [];
  let closed = false;
  let failure: string | null = null;
  let pool: Uint8Array | undefined;
  let meta: Float64Array | undefined;
  // One call per batch: the frames are in `pool`, described by `meta` (native/pcap_live.c).
  // A handler that throws does not cost the batch's other frames (the pool is overwritten next
  // time): every frame goes to every handler, then the first error is thrown on.
  const onFrames = (count: number): void => {
    let failed = false;
    let firstError: unknown;
    for (let i = 0, m = 0; i < count && !closed; i++, m += FRAME_META) {
      const offset = meta![m]!;
      const length = meta![m + 1]!;
      const wireLength = meta![m + 2]!;
      const time = meta![m + 3]!;
      const view = pool!.subarray(offset, offset + length);
      stats.received++;
      if (wireLength > length) stats.truncated++;
      for (const h of viewHandlers) {
        try {
          h(view, time, wireLength);
        } catch (e) {
          if (!failed) { failed = true; firstError = e; }
        }
      }
      if (handlers.length === 0) continue;
      // These handlers may keep the frame: one copy of it for them all.
      const frame = view.slice();
      for (const h of handlers) {
        try {
          h(frame, time, wireLength);
        } catch (e) {
          if (!failed) { failed = true; firstError = e; }
        }
      }
    }
    if (failed) throw firstError;
  };
  const onError = (message: string): void => {
    closed = true;
    const vanished = process.platform === 'linux' && !existsSync(`/sys/class/net/${iface}`) && !/disappeared/i.test(message);
    failure = vanished ? `the interface disappeared (${message})` : message;
    for (const h of errorHandlers) h(`${iface}: ${failure}`);
  };
  let opened: ReturnType<PcapBinding['openBatched']>;
  try {
    // Promiscuous: scenario clients use MAC addresses that are not the interface's.
    opened = pcap.openBatched(iface, opts.filter ?? '', snapLength, Math.max(opts.bufferSize ?? 0, MIN_RING_BYTES), true, onFrames, onError, opts.inboundOnly ?? false);
  } catch (e) {
    throw classify(iface, e);
  }
  pool = opened.pool;
  meta = opened.meta;
  const { handle } = opened;
  return {
    name: iface,
    linkType: DLT_TO_LINKTYPE[opened.linkType] ?? opened.linkType,
    send(frame: Uint8Array): void {
      if (closed) throw new LiveCaptureError(failure === null ? 'EPCAP' : 'ENODEV', failure === null ? `${iface} is closed` : `${iface}: ${failure}`);
      try {
        pcap.send(handle, frame);
      } catch (e) {
        throw classify(iface, e);
      }
      stats.sent++;
    },
    ...(pcap.sendBatch === undefined ? {} : {
      sendBatch(frames: Uint8Array[]): void {
        if (closed) throw new LiveCaptureError(failure === null ? 'EPCAP' : 'ENODEV', failure === null ? `${iface} is closed` : `${iface}: ${failure}`);
        try {
          stats.sent += pcap.sendBatch!(handle, frames);
        } catch (e) {
          throw classify(iface, e);
        }
      },
    }),
    onPacket(handler: LivePacketHandler): void {
      handlers.push(handler);
    },
    onPacketView(handler: LivePacketHandler): void {
      viewHandlers.push(handler);
    },
    onError(handler: LiveErrorHandler): void {
      errorHandlers.push(handler);
    },
    setFilter(filter: string): void {
      if (closed) return;
      try {
        pcap.setFilter(handle, filter);
      } catch (e) {
        throw classify(iface, e);
      }
    },
    stats: () => {
      const k = pcap.stats(handle);
      return { ...stats, dropped: k?.dropped ?? null, ifDropped: k?.ifDropped ?? null };
    },
    close(): void {
      if (closed && failure === null) return;
      closed = true;
      handlers.length = 0;
      viewHandlers.length = 0;
      errorHandlers.length = 0;
      pcap.close(handle);
    },
  };
}
