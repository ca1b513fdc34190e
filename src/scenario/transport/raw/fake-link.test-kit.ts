/** A LiveInterface for raw transport tests: records what is sent, injects what is received. */
import type { LiveInterface } from '../../../capture/live.js';

export class FakeLink implements LiveInterface {
  readonly name = 'fake0';
  readonly linkType = 1;
  readonly sent: Uint8Array[] = [];
  filter = '';
  closed = false;
  private handler: ((f: Uint8Array, t: number, wireLength: number) => void) | null = null;
  send(frame: Uint8Array): void {
    if (this.sendError !== null) throw new Error(this.sendError);
    this.sent.push(frame.slice());
  }
  onPacket(h: (f: Uint8Array, t: number, wireLength: number) => void): void { this.handler = h; this.views = false; }
  /** As the live binding does: a view into one reused buffer, scribbled over once the call returns,
   *  so that a received frame kept past its call shows up as garbage in the test. */
  onPacketView(h: (f: Uint8Array, t: number, wireLength: number) => void): void { this.handler = h; this.views = true; }
  private views = false;
  private readonly pool = new Uint8Array(1 << 17);
  private errorHandler: ((m: string) => void) | null = null;
  /** Set to make send() throw, as libpcap does on an interface that is gone. */
  sendError: string | null = null;
  onError(h: (m: string) => void): void { this.errorHandler = h; }
  /** The interface goes away: the binding's read error. */
  fail(message: string): void { this.errorHandler?.(message); }
  stats() { return { received: 0, truncated: 0, dropped: null, ifDropped: null, sent: this.sent.length }; }
  close(): void { this.closed = true; }
  inject(frame: Uint8Array): void {
    if (!this.views) { this.handler?.(frame, Date.now() / 1000, frame.length); return; }
    this.pool.set(frame);
    this.handler?.(this.pool.subarray(0, frame.length), Date.now() / 1000, frame.length);
    this.pool.fill(0xa5, 0, frame.length);
  }
  take(): Uint8Array[] { return this.sent.splice(0); }
}
