/**
 * Keeps the heap near what is live while a long capture streams through. V8 lets the old
 * generation grow to several times the live data before a full collection; a report released in
 * parts makes mostly short-lived garbage, so after a part is released and the heap has grown past
 * `HEAP_SOFT_LIMIT`, a full collection is asked for (at most once per `minGapMs`). The collector
 * is reached through V8's own flag (`--expose-gc` set at run time), nothing else changes.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const HEAP_SOFT_LIMIT = 48 << 20;
/** Old-generation growth after a full collection: 1.1× what stayed live (V8's default: up to 2×+;
 *  V8 still adds its minimum step, so 10 and 20 cost about the same number of collections). */
const HEAP_GROWING_PERCENT = 10;

let gc: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  } catch {
    gc = null;
  }
  return gc;
}

/** A function to call after each released part: collects when the heap grew past the limit. */
export function heapKeeper(minGapMs = 250, now: () => number = Date.now): () => void {
  let last = 0;
  let floor = HEAP_SOFT_LIMIT;
  return () => {
    const used = getHeapStatistics().used_heap_size;
    if (used < floor) return;
    const t = now();
    if (t - last < minGapMs) return;
    const run = collector();
    if (!run) return;
    last = t;
    run();
    // Live data above the limit: collect again only when the heap doubled over it.
    floor = Math.max(HEAP_SOFT_LIMIT, 2 * getHeapStatistics().used_heap_size);
  };
}

/** V8 grows the old generation to about twice what a full collection left live (heap growing
 *  factor ~2); a report released in parts keeps 40-55 MB live on a 10k-device capture, so the
 *  heap peaked near 100 MB over it. At 1.1× it stays ~15 MB lower (peak RSS 156-159 -> 138-142 MB)
 *  for more full collections (5 -> 15 on that capture). Set at run time, for this process until
 *  the returned function puts V8's default back (0: its own dynamic factor). */
export function growHeapSlowly(percent = HEAP_GROWING_PERCENT): () => void {
  const set = (p: number): void => {
    try {
      setFlagsFromString(`--heap-growing-percent=${p}`);
    } catch {
      // an engine without the flag: its default growth
    }
  };
  set(percent);
  return () => set(0);
}

/** A full collection now (once, where the live data is about to be joined by a burst of new:
 *  the last part of a capture). Costs one pause of the size of the live heap. */
export function collectGarbage(): void {
  collector()?.();
}
