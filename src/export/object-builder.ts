/**
 * The bookkeeping every exported object shares, whatever its protocol: bytes go to the sink as
 * they arrive (nothing is held), the sha256 and size follow them, frames are counted. The sink
 * hears of the object at its first byte or its end, so one dropped before either (a TFTP size
 * probe) leaves no trace.
 */
import { createHash, type Hash } from 'node:crypto';
import type { ObjectResult, ObjectSink, ObjectStart } from './objects.js';

export class ObjectBuilder {
  private readonly hash: Hash = createHash('sha256');
  size = 0;
  expectedSize: number | null = null;
  status: number | null = null;
  private frames = 0;
  private lastCounted = -1;
  private firstFrame: number;
  private lastFrame: number;
  private start: number;
  private end: number;
  private closed = false;
  private info: ObjectStart | null = null;

  constructor(
    private readonly sink: ObjectSink,
    private readonly describe: Omit<ObjectStart, 'id'>,
    private readonly nextId: () => number,
    frame: number,
    time: number,
  ) {
    this.firstFrame = this.lastFrame = frame;
    this.start = this.end = time;
    this.touch(frame, time);
  }

  private opened(): ObjectStart {
    if (!this.info) {
      this.info = { id: this.nextId(), ...this.describe };
      this.sink.open(this.info);
    }
    return this.info;
  }

  /** A frame that belongs to the transfer (request, data, ack…). Each frame counts once. */
  touch(frame: number, time: number): void {
    if (frame !== this.lastCounted) {
      this.frames++;
      this.lastCounted = frame;
    }
    if (frame < this.firstFrame) this.firstFrame = frame;
    if (frame > this.lastFrame) this.lastFrame = frame;
    if (time > this.end) this.end = time;
  }

  write(data: Uint8Array, frame: number, time: number): void {
    this.touch(frame, time);
    if (data.length === 0) return;
    this.hash.update(data);
    this.size += data.length;
    this.sink.write(this.opened().id, data);
  }

  /** Ends the object once; later calls do nothing. */
  finish(complete: boolean, problem: string | null): ObjectResult | null {
    if (this.closed) return null;
    this.closed = true;
    const result: ObjectResult = {
      ...this.opened(),
      size: this.size,
      expectedSize: this.expectedSize,
      sha256: this.hash.digest('hex'),
      complete,
      problem: complete ? null : (problem ?? 'incomplete'),
      status: this.status,
      firstFrame: this.firstFrame,
      lastFrame: this.lastFrame,
      frames: this.frames,
      start: this.start,
      end: this.end,
    };
    this.sink.close(result);
    return result;
  }

  /** Ends an object that was never a transfer; nothing reaches the sink if no byte did. */
  drop(): void {
    if (this.info) this.finish(false, 'dropped');
    this.closed = true;
  }
}
