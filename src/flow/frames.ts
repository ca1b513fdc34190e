/**
 * Bounded frame lists: a step keeps its first and last `FRAME_SAMPLE` frame numbers and a count,
 * so a 100,000-block TFTP transfer costs the same memory as a 10-block one.
 */
export const FRAME_SAMPLE = 32;

/** `step.frames` of a step still being built: its frames are in the state's `FrameSample` until it
 *  is published (then the step gets an array of its own). One shared empty array (frozen: nothing
 *  may add to it) instead of one per step, ~26,000 steps held at a time at 100,000 clients. */
export const UNPUBLISHED_FRAMES: number[] = Object.freeze([]) as unknown as number[];

export class FrameSample {
  head: number[] = [];
  /** Ring buffer of the most recent frames once `head` is full. */
  private tail: number[] | null = null;
  private tailPos = 0;
  count = 0;
  /** No frame added since the last `compact()`. */
  compacted = false;

  add(frame: number): void {
    this.count++;
    this.compacted = false;
    if (this.head.length < FRAME_SAMPLE) {
      this.head.push(frame);
      return;
    }
    this.tail ??= [];
    if (this.tail.length < FRAME_SAMPLE) this.tail.push(frame);
    else {
      this.tail[this.tailPos] = frame;
      this.tailPos = (this.tailPos + 1) % FRAME_SAMPLE;
    }
  }

  /** Drops the spare room of the arrays (a finished step's sample is kept, not grown). */
  compact(): void {
    this.head = this.head.slice();
    if (this.tail) this.tail = this.tail.slice();
    this.compacted = true;
  }

  /** Frames in capture order (head, then the ring unrolled). */
  toArray(): number[] {
    if (!this.tail) return this.head.slice();
    return this.head.concat(this.tail.slice(this.tailPos), this.tail.slice(0, this.tailPos));
  }
}
