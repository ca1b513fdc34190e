import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureBuffer } from '../../src/capture/index.js';
import { ROOT } from './fixtures.js';

export interface FixtureFrame {
  file: string;
  frame: number;
  time: number;
  linkType: number;
  data: Uint8Array;
}

/** Every record of a capture, copied out (the reader's views die after its callback). */
export function loadFrames(file: string): FixtureFrame[] {
  const out: FixtureFrame[] = [];
  readCaptureBuffer(new Uint8Array(readFileSync(join(ROOT, file))), (r) => {
    out.push({ file, frame: r.frame, time: r.time, linkType: r.linkType, data: r.data.slice() });
  });
  return out;
}

/** Deterministic PRNG (mulberry32) so every mutation run is reproducible from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
