/**
 * A non-blocking IPv4 UDP socket on the event loop through the native helper's batch functions
 * (native/udp_sync.c openBatch/sendBatch): what arrives in one wake-up reaches JS in one call
 * (recvmmsg), and what one turn sends leaves in one sendmmsg. Node's dgram pays, per datagram, a
 * system call, a Buffer, an rinfo object and a callback each way; in a DHCP storm that is most of
 * the client's CPU. The relay transport's DHCPv4 socket uses it when the helper is built.
 */
import { loadUdpSync } from './offload/udp-sync.js';

/** The helper's batch functions (an older build lacks them: then `UdpBatchSocket.available()` is false). */
interface UdpBatchBinding {
  openBatch(address: string, port: number, rcvbufBytes: number, onBatch: (n: number) => void, holdMs: number): { handle: object; pool: Uint8Array; meta: Uint32Array };
  sendBatch(h: object, buf: Uint8Array, meta: Uint32Array, n: number): number;
  batchError(h: object): string | null;
  batchPort(h: object): number;
  closeBatch(h: object): void;
}

/** Where datagram i of a received batch starts in the pool (native BATCH_SLOT). */
const SLOT = 65536;
/** Numbers per datagram: received (length, source address, port), sent (offset, length, address, port). */
const RECV_META = 3;
const SEND_META = 4;

/** One received datagram: a view into the batch pool, valid during the call only (copy what is kept). */
export type BatchReceiver = (payload: Uint8Array, srcAddr: number, srcPort: number) => void;

/** Where a batch goes: the payload, destination address as a host-order number, port. */
export interface BatchOutgoing {
  payload: Uint8Array;
  addr: number;
  port: number;
}

function binding(): UdpBatchBinding | null {
  const b = loadUdpSync() as unknown as Partial<UdpBatchBinding> | null;
  return b !== null && typeof b.openBatch === 'function' ? (b as UdpBatchBinding) : null;
}

export class UdpBatchSocket {
  /** Is the native helper built with the batch functions? */
  static available(): boolean {
    return binding() !== null;
  }

  /** Bound to address:port (SO_REUSEADDR) at once; throws (with `code` EACCES, EADDRINUSE,
   *  EADDRNOTAVAIL when that is the cause) as dgram's bind would report it. `holdMs` > 0: a
   *  wake-up that follows the previous one within holdMs is the last for holdMs (a storm's
   *  datagrams are read several per wake-up; a datagram waits holdMs at most, and only then). */
  static open(address: string, port: number, rcvbufBytes: number, onDatagram: BatchReceiver, holdMs = 0): UdpBatchSocket {
    const b = binding();
    if (b === null) throw new Error('udp batch: the native helper (build/Release/udp_sync.node) is not built');
    return new UdpBatchSocket(b, address, port, rcvbufBytes, onDatagram, holdMs);
  }

  readonly port: number;
  private readonly handle: object;
  private readonly pool: Uint8Array;
  private readonly rmeta: Uint32Array;
  private out = new Uint8Array(64 * 1024);
  private smeta = new Uint32Array(64 * SEND_META);
  private closed = false;

  private constructor(private readonly b: UdpBatchBinding, address: string, port: number, rcvbuf: number, private readonly onDatagram: BatchReceiver, holdMs: number) {
    const o = b.openBatch(address, port, rcvbuf, this.onBatch, holdMs);
    this.handle = o.handle;
    this.pool = o.pool;
    this.rmeta = o.meta;
    this.port = b.batchPort(this.handle);
  }

  private readonly onBatch = (n: number): void => {
    const m = this.rmeta;
    for (let i = 0; i < n && !this.closed; i++) {
      const off = i * SLOT;
      this.onDatagram(this.pool.subarray(off, off + m[i * RECV_META]!), m[i * RECV_META + 1]!, m[i * RECV_META + 2]!);
    }
  };

  /** Sends `list[from, to)` in order with one system call per 64: how many the kernel took (a
   *  refused one is skipped; `lastError` says why). */
  send(list: readonly BatchOutgoing[], from = 0, to = list.length): number {
    const n = to - from;
    if (n <= 0 || this.closed) return 0;
    let bytes = 0;
    for (let i = from; i < to; i++) bytes += list[i]!.payload.length;
    if (bytes > this.out.length) this.out = new Uint8Array(Math.max(bytes, this.out.length * 2));
    if (n * SEND_META > this.smeta.length) this.smeta = new Uint32Array(Math.max(n, this.smeta.length / SEND_META * 2) * SEND_META);
    const out = this.out;
    const meta = this.smeta;
    let at = 0;
    for (let i = 0, k = 0; i < n; i++, k += SEND_META) {
      const o = list[from + i]!;
      out.set(o.payload, at);
      meta[k] = at;
      meta[k + 1] = o.payload.length;
      meta[k + 2] = o.addr;
      meta[k + 3] = o.port;
      at += o.payload.length;
    }
    return this.b.sendBatch(this.handle, out, meta, n);
  }

  /** The kernel's reason for the last datagram it refused (null: none yet). */
  get lastError(): string | null {
    return this.b.batchError(this.handle);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.b.closeBatch(this.handle);
  }
}
