import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readCaptureBuffer } from '../../src/capture/index.js';
import { u16 } from '../../src/wire/bytes.js';
import { seededRandom } from '../../src/gen/rng.js';
import { LinkType } from '../../src/wire/link-type.js';
import { ROOT } from './paths.js';

export interface FixtureFrame {
  file: string;
  frame: number;
  time: number;
  linkType: number;
  data: Uint8Array;
}

/** Every record of a capture (path relative to the repo root, or absolute), copied out (the
 *  reader's views die after its callback). */
export function loadFrames(file: string): FixtureFrame[] {
  const out: FixtureFrame[] = [];
  readCaptureBuffer(new Uint8Array(readFileSync(resolve(ROOT, file))), (r) => {
    out.push({ file, frame: r.frame, time: r.time, linkType: r.linkType, data: r.data.slice() });
  });
  return out;
}

/** What follows a plain 14-byte Ethernet header of type `etherType` (no VLAN tags), per frame. */
export function ethernetPayloads(file: string, etherType: number): Uint8Array[] {
  return loadFrames(file)
    .filter((r) => r.linkType === LinkType.ETHERNET && r.data.length >= 14 && u16(r.data, 12) === etherType)
    .map((r) => r.data.subarray(14));
}

/** Every ordering of `xs` (n! of them: keep n small). */
export function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** Deterministic PRNG (mulberry32) so every mutation run is reproducible from its seed. */
export const prng = seededRandom;
