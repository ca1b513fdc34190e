/**
 * Bounded frame lists: a step keeps its first and last `FRAME_SAMPLE` frame numbers and a count,
 * so a 100,000-block TFTP transfer costs the same memory as a 10-block one.
 */
export const FRAME_SAMPLE = 32;

/** `step.frames` of a step still being built: its frames are in the state's sample until it
 *  is published (then the step gets an array of its own). One shared empty array (frozen: nothing
 *  may add to it) instead of one per step, ~26,000 steps held at a time at 100,000 clients. */
export const UNPUBLISHED_FRAMES: number[] = Object.freeze([]) as unknown as number[];

/** An evidence list that is still empty (a transfer's resent packets, its ICMP unreachables: most
 *  have none). One frozen array for all: `appendFrame` gives a list of its own at the first frame. */
export const NO_FRAMES: readonly number[] = Object.freeze([]);

/** `list` with `frame` appended while it holds fewer than `max`: the same array, or a new one
 *  for the shared empty one. */
export function appendFrame(list: readonly number[], frame: number, max: number): readonly number[] {
  if (list.length >= max) return list;
  if (list === NO_FRAMES) return [frame];
  (list as number[]).push(frame);
  return list;
}

/**
 * A frame sample as fields of its holder (a step state): one array and a count, no object of its
 * own (an object and a second array per step were ~4 MB of a 55 MB live heap at 100,000 clients).
 * `frames` holds the first `FRAME_SAMPLE` frames in order, then a ring of the most recent ones;
 * where the ring starts follows from `frameCount`.
 */
export interface FrameSampled {
  frames: number[];
  frameCount: number;
  /** No frame added since the sample's arrays were last trimmed (see `compactState`). */
  framesTrimmed: boolean;
}

/** The sample's fields: what a published step leaves out (its `step.frames` holds the frames). */
export type SampleFields = keyof FrameSampled;

export function addFrame(s: FrameSampled, frame: number): void {
  const k = s.frameCount++;
  s.framesTrimmed = false;
  if (k < 2 * FRAME_SAMPLE) s.frames.push(frame);
  else s.frames[FRAME_SAMPLE + ((k - FRAME_SAMPLE) % FRAME_SAMPLE)] = frame;
}

/** The sampled frames in capture order (the head, then the ring unrolled from its oldest). */
export function sampledFrames(s: Readonly<FrameSampled>): number[] {
  const list = s.frames;
  if (s.frameCount <= 2 * FRAME_SAMPLE) return list.slice();
  const oldest = FRAME_SAMPLE + ((s.frameCount - FRAME_SAMPLE) % FRAME_SAMPLE);
  return list.slice(0, FRAME_SAMPLE).concat(list.slice(oldest), list.slice(FRAME_SAMPLE, oldest));
}

/** A sample standing alone (a device's malformed frames, rare): the same fields as a step's. */
export class FrameSample implements FrameSampled {
  frames: number[] = [];
  frameCount = 0;
  framesTrimmed = false;

  get count(): number {
    return this.frameCount;
  }

  add(frame: number): void {
    addFrame(this, frame);
  }

  toArray(): number[] {
    return sampledFrames(this);
  }
}
