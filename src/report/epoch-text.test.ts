import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers/frames.js';
import { epochSecondsText } from './epoch-text.js';

/** Every way a reader makes a time: microsecond and nanosecond fractions, other eras, edges. */
function* times(): Generator<number> {
  const rnd = prng(12);
  for (let i = 0; i < 200_000; i++) {
    const sec = 2 ** 30 + Math.floor(rnd() * (2 ** 33 - 2 ** 30));
    const us = Math.floor(rnd() * 1e6);
    yield sec + us * 1e-6;
    yield sec + us / 1e6;
    yield sec + Math.floor(rnd() * 1e9) * 1e-9;
    yield sec + rnd();
    yield rnd() * 1e10;
  }
  for (const t of [0, 1, 0.5, 1e-7, 2 ** 30, 2 ** 31, 2 ** 32, 2 ** 33, 2 ** 30 - 1e-6, 2 ** 31 - 1e-6, 2 ** 32 - 1e-6,
    2 ** 33 - 1e-6, 1700000000, 1700000000.000001, 1700000000.999999, 1e21, -1.5]) yield t;
}

describe('epochSecondsText', () => {
  it('is String(t) for every capture time, whichever path it takes', () => {
    let n = 0;
    for (const t of times()) {
      const got = epochSecondsText(t);
      if (got !== String(t)) expect(got, `time ${t}`).toBe(String(t));
      n++;
    }
    expect(n).toBeGreaterThan(1_000_000);
  });
});
