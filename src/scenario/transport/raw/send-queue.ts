/**
 * Rate limit for frames we inject (raw) or datagrams we send (relay): a token bucket of `pps`
 * packets per second (bursts up to a tenth of a second's worth) in front of a bounded FIFO; packets
 * beyond the bound are dropped and counted.
 * With `sendBatch`, the frames pushed in one turn (the answers to one wake-up's frames: the clients
 * run as microtasks after the capture callback) leave together from process.nextTick, which runs
 * once the microtasks have drained: one system call, and the server woken once for all of them.
 * `after(run)` is a barrier: `run` is called once every frame pushed before it has been sent; it
 * takes no token and no queue slot, is never dropped and counts in neither `sent` nor `dropped`.
 */
export interface SendQueueOptions<T = Uint8Array> {
  pps: number;
  limit: number;
  send(frame: T): void;
  sendBatch?(frames: T[]): void;
}

export class SendQueue<T = Uint8Array> {
  private readonly queue: T[] = [];
  private head = 0;
  private tokens: number;
  private readonly burst: number;
  private last = performance.now();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Frames ever queued and ever taken from the queue: a barrier waits for `taken` to reach its `at`. */
  private pushed = 0;
  private taken = 0;
  private readonly barriers: { at: number; run: () => void }[] = [];
  private barrierHead = 0;
  dropped = 0;
  sent = 0;
  /** Frames the link refused (the last reason kept). */
  errors = 0;
  lastError: string | null = null;

  constructor(private readonly o: SendQueueOptions<T>) {
    this.burst = Math.max(1, Math.floor(o.pps / 10));
    this.tokens = this.burst;
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  push(frame: T): void {
    if (this.closed) return;
    if (this.length >= this.o.limit) { this.dropped++; return; }
    this.queue.push(frame);
    this.pushed++;
    this.pump();
  }

  /** Calls `run` once everything pushed so far has been sent (at once when nothing waits); not after close(). */
  after(run: () => void): void {
    if (this.closed) return;
    this.barriers.push({ at: this.pushed, run });
    this.runBarriers();
  }

  /** Resolves once the queue is empty or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.head = 0;
    this.barriers.length = 0;
    this.barrierHead = 0;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.o.pps) / 1000);
    this.last = now;
  }

  private flushQueued = false;

  private pump(): void {
    if (this.timer || this.closed) return;
    if (this.o.sendBatch !== undefined) {
      if (!this.flushQueued) { this.flushQueued = true; process.nextTick(this.flush); }
      return;
    }
    this.refill();
    while (this.length > 0 && this.tokens >= 1) {
      const f = this.queue[this.head++]!;
      this.tokens -= 1;
      this.taken++;
      try {
        this.o.send(f);
        this.sent++;
      } catch (e) {
        this.errors++;
        this.lastError = e instanceof Error ? e.message : String(e);
      }
    }
    this.afterSend();
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    if (this.timer || this.closed) return;
    this.refill();
    const n = Math.min(this.length, Math.floor(this.tokens));
    if (n > 0) {
      const frames = this.queue.slice(this.head, this.head + n);
      this.head += n;
      this.tokens -= n;
      this.taken += n;
      try {
        this.o.sendBatch!(frames);
        this.sent += n;
      } catch (e) {
        this.errors++;
        this.lastError = e instanceof Error ? e.message : String(e);
      }
    }
    this.afterSend();
  };

  private afterSend(): void {
    this.runBarriers();
    if (this.head > 1024 && this.head * 2 > this.queue.length) { this.queue.splice(0, this.head); this.head = 0; }
    if (this.head === this.queue.length) { this.queue.length = 0; this.head = 0; }
    if (this.length > 0) {
      const waitMs = Math.max(1, ((1 - this.tokens) * 1000) / this.o.pps);
      this.timer = setTimeout(() => { this.timer = null; this.pump(); }, waitMs);
    }
  }

  private runBarriers(): void {
    while (this.barrierHead < this.barriers.length && this.barriers[this.barrierHead]!.at <= this.taken && !this.closed) {
      const b = this.barriers[this.barrierHead++]!;
      try {
        b.run();
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
      }
    }
    if (this.barrierHead === this.barriers.length) { this.barriers.length = 0; this.barrierHead = 0; }
  }
}
