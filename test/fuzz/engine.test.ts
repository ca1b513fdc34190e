/**
 * The fuzzer itself: coverage guidance must find what blind mutation would not (a 4-byte magic
 * checked byte by byte: 2^32 inputs blind, a few thousand runs guided), crashes must be reported
 * once each with their input, and a run must stop at its bounds.
 */
import { describe, it, expect } from 'vitest';
// @ts-expect-error plain JavaScript tooling (fuzz/engine.mjs), no type declarations
import { CoverageMap, fuzz, mutate, rng } from '../../fuzz/engine.mjs';

interface Crash { message: string; input: Uint8Array }
interface Result { runs: number; crashes: Crash[]; edges: number; seedEdges: number; corpus: Uint8Array[] }

/** A target with hand-made counters: one per byte of the magic matched so far. */
function magicTarget(): { target: { fuzz(d: Uint8Array): void }; coverage: { reset(): void } } {
  const counters = new Uint32Array(8);
  const magic = [0x50, 0x58, 0x45, 0x21]; // "PXE!"
  const target = {
    fuzz(d: Uint8Array): void {
      counters[0]!++;
      for (let i = 0; i < magic.length; i++) {
        if (d[i] !== magic[i]) return;
        counters[i + 1]!++;
      }
      throw new Error('found the magic');
    },
  };
  return { target, coverage: new CoverageMap([counters]) };
}

describe('fuzz engine', () => {
  it('coverage guidance finds a 4-byte magic within 200,000 runs (blind odds: 1 in 4 billion)', () => {
    const { target, coverage } = magicTarget();
    const r = fuzz(target, coverage, { seed: 7, runs: 200_000, seconds: 120, maxLen: 16, corpus: [] }) as Result;
    expect(r.crashes.map((c) => c.message)).toEqual(['Error: found the magic']);
    expect(Array.from(r.crashes[0]!.input.subarray(0, 4))).toEqual([0x50, 0x58, 0x45, 0x21]);
    expect(r.edges).toBe(5);
  });

  it('without coverage feedback the same budget does not find it (the guidance is what works)', () => {
    const { target } = magicTarget();
    const blind = new CoverageMap([new Uint32Array(1)]);
    const r = fuzz(target, blind, { seed: 7, runs: 20_000, seconds: 60, maxLen: 16, corpus: [] }) as Result;
    expect(r.crashes).toEqual([]);
    expect(r.runs).toBe(20_000);
  });

  it('stops at the run bound, and one crash site is reported once', () => {
    const counters = new Uint32Array(2);
    const target = { fuzz(d: Uint8Array): void { counters[0]!++; if (d.length > 3) throw new RangeError('too long'); } };
    const r = fuzz(target, new CoverageMap([counters]), { seed: 3, runs: 500, seconds: 60, maxLen: 64, corpus: [new Uint8Array(8)] }) as Result;
    expect(r.runs).toBe(500);
    expect(r.crashes).toHaveLength(1);
    expect(r.crashes[0]!.input.length).toBeGreaterThan(3);
  });

  it('expected input errors are not crashes', () => {
    const target = { fuzz(): void { throw new SyntaxError('not a capture'); }, expected: (e: unknown) => e instanceof SyntaxError };
    const r = fuzz(target, new CoverageMap([new Uint32Array(1)]), { seed: 1, runs: 100, seconds: 10, maxLen: 8, corpus: [] }) as Result;
    expect(r.crashes).toEqual([]);
  });

  it('mutations respect the length bound and are reproducible for a seed', () => {
    const run = (): number[] => {
      const r = rng(42);
      let d = new Uint8Array(10);
      const lens: number[] = [];
      for (let i = 0; i < 2000; i++) { d = mutate(d, r, 32, new Uint8Array(40).fill(7), [new Uint8Array([1, 2, 3])]); lens.push(d.length); }
      return lens;
    };
    const a = run();
    expect(Math.max(...a)).toBeLessThanOrEqual(32);
    expect(run()).toEqual(a);
  });
});
