/** Seeded pseudo-random numbers (mulberry32): tiny, fast, and the same sequence on every run. */

/** Mixes two 32-bit values into a seed (splitmix32 finaliser), so per-client streams differ. */
export function mixSeed(a: number, b: number): number {
  let z = (Math.imul(a >>> 0, 0x9e3779b1) + Math.imul(b >>> 0, 0x85ebca77) + 0x6d2b79f5) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** Uniform numbers in [0, 1) from `seed` (what `new Rng(seed).float()` draws), as a plain function. */
export function seededRandom(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.float();
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** Always consumes one draw, so changing `p` does not shift the rest of the sequence. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** `n` random bytes as lower-case hex (for UUIDs and circuit ids). */
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += (this.u32() & 0xff).toString(16).padStart(2, '0');
    return s;
  }
}
