/** A LiveInterface for raw transport tests: records what is sent, injects what is received. */
import type { LiveInterface } from '../../../capture/live.js';

export class FakeLink implements LiveInterface {
  readonly name = 'fake0';
  readonly linkType = 1;
  readonly sent: Uint8Array[] = [];
  filter = '';
  closed = false;
  private handler: ((f: Uint8Array, t: number, tr: boolean) => void) | null = null;
  send(frame: Uint8Array): void { this.sent.push(frame.slice()); }
  onPacket(h: (f: Uint8Array, t: number, tr: boolean) => void): void { this.handler = h; }
  onError(): void {}
  stats() { return { received: 0, truncated: 0, dropped: null, ifDropped: null, sent: this.sent.length }; }
  close(): void { this.closed = true; }
  inject(frame: Uint8Array): void { this.handler?.(frame, Date.now() / 1000, false); }
  take(): Uint8Array[] { return this.sent.splice(0); }
}
