/**
 * Boot traffic for many clients, merged in time order. Each lease slot (one address) runs its
 * clients back to back; a min-heap keyed by each slot's next frame time does the k-way merge, so
 * memory stays proportional to the number of slots, not to the capture.
 */
import { ClientRun, type ClientProfile } from './client.js';
import { FrameFactory } from './frames.js';
import TinyQueue from 'tinyqueue';
import {
  DEFAULT_START_TIME, FAULT_NAMES, faultRate, resolveMix, type BootTrafficOptions, type FaultName, type ResolvedMix,
} from './options.js';
import { clientMac, LEASE_SLOTS, slotAddress, slotSubnet } from './plan.js';
import { mixSeed, Rng } from './rng.js';

export type FrameSink = (time: number, frame: Uint8Array) => void;

export interface GenerateSummary {
  frames: number;
  /** Clients that sent at least one frame. */
  clients: number;
  /** Time of the last frame (epoch seconds). */
  endTime: number;
}

interface SlotCursor {
  id: number;
  /** µs after start of `frame`. */
  time: number;
  frame: Uint8Array;
  frames: Generator<Uint8Array, void, void>;
  run: { t: number } | null;
}

/** Gap between one holder of an address finishing and the next client starting on it. */
const REUSE_GAP_US: [number, number] = [500_000, 3_000_000];
/** First clients arrive one every ~50 ms per slot. */
const ARRIVAL_SPACING_US = 50_000;

export function generateBootTraffic(opts: BootTrafficOptions, emit: FrameSink): GenerateSummary {
  const mix = resolveMix(opts.mix);
  const start = opts.startTime ?? DEFAULT_START_TIME;
  const maxFrames = opts.maxFrames ?? Infinity;
  const clients = Math.max(0, Math.floor(opts.clients));
  const seed = opts.seed >>> 0;
  const content = fileContent(seed, mix.fileMax);
  const factory = new FrameFactory();
  const macBase = mixSeed(seed, 0xffffffff) & 0xffffff;
  const slots = Math.min(clients, LEASE_SLOTS);
  const started = { count: 0 };

  const heap = new TinyQueue<SlotCursor>([], byTimeThenId);
  for (let s = 0; s < slots; s++) {
    const cursor: SlotCursor = { id: s, time: 0, frame: EMPTY, frames: EMPTY_GEN, run: null };
    cursor.frames = slotTimeline(s, slots, clients, seed, macBase, mix, factory, content, opts, cursor, started);
    if (advance(cursor)) heap.push(cursor);
  }
  let frames = 0;
  let last = start;
  while (heap.length > 0 && frames < maxFrames) {
    const top = heap.peek()!;
    last = start + top.time / 1e6;
    emit(last, top.frame);
    frames++;
    heap.pop();
    if (advance(top)) heap.push(top); // its key grew: back in at its new place
  }
  return { frames, clients: started.count, endTime: last };
}

const EMPTY = new Uint8Array(0);
const EMPTY_GEN = (function* (): Generator<Uint8Array, void, void> {})();

function advance(c: SlotCursor): boolean {
  const r = c.frames.next();
  if (r.done) return false;
  c.frame = r.value;
  c.time = c.run!.t;
  return true;
}

/** Clients slot, slot + slots, slot + 2·slots … one after another on the same address. */
function* slotTimeline(
  slot: number,
  slots: number,
  clients: number,
  seed: number,
  macBase: number,
  mix: ResolvedMix,
  factory: FrameFactory,
  content: Uint8Array,
  opts: BootTrafficOptions,
  cursor: SlotCursor,
  started: { count: number },
): Generator<Uint8Array, void, void> {
  const slotRng = new Rng(mixSeed(seed, 0x51075107 ^ slot));
  let t = slot * ARRIVAL_SPACING_US + slotRng.int(0, ARRIVAL_SPACING_US - 1);
  for (let index = slot; index < clients; index += slots) {
    const rng = new Rng(mixSeed(seed, index));
    const profile = clientProfile(index, slot, macBase, mix, opts, rng);
    const run = new ClientRun(profile, rng, factory, mix, content, t);
    cursor.run = run;
    started.count++;
    yield* run.run();
    t = run.t + slotRng.int(REUSE_GAP_US[0], REUSE_GAP_US[1]);
  }
}

function clientProfile(
  index: number,
  slot: number,
  macBase: number,
  mix: ResolvedMix,
  opts: BootTrafficOptions,
  rng: Rng,
): ClientProfile {
  const m = clientMac(macBase, index);
  const faults = new Set<FaultName>();
  for (const name of FAULT_NAMES) {
    // Always draw, so turning one fault on does not reshuffle the others' clients.
    const draw = rng.float();
    const rate = faultRate(opts.faults, name);
    if (rate >= 1 || draw < rate) faults.add(name);
  }
  return {
    index,
    slot,
    mac: m,
    addr: slotAddress(slot),
    subnet: slotSubnet(slot),
    arch: rng.chance(mix.uefi) ? 7 : 0,
    http: rng.chance(mix.http),
    fileSize: rng.int(mix.fileMin, mix.fileMax),
    faults,
  };
}

/** Loader bytes: one seeded buffer shared by every transfer (subarrays, no copies). */
function fileContent(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const rng = new Rng(mixSeed(seed, 0xf11e));
  for (let i = 0; i < size; i += 4) {
    const v = rng.u32();
    out[i] = v & 0xff;
    if (i + 1 < size) out[i + 1] = (v >>> 8) & 0xff;
    if (i + 2 < size) out[i + 2] = (v >>> 16) & 0xff;
    if (i + 3 < size) out[i + 3] = v >>> 24;
  }
  return out;
}

/** The k-way merge order: time, then slot id (equal times always come out in the same order). */
function byTimeThenId(a: SlotCursor, b: SlotCursor): number {
  return a.time - b.time || a.id - b.id;
}
