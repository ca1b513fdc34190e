import { describe, expect, it } from 'vitest';
import { LOAD_CEILING, loadAskOf, loadCeilingProblem, maxLoadText, parseMaxLoad } from './safety.js';

describe('load ceiling', () => {
  it('a load within the default ceiling passes', () => {
    expect(loadCeilingProblem({ arrivalPerSecond: 10, concurrency: 20, count: 100 })).toBeNull();
    expect(loadCeilingProblem({ ...LOAD_CEILING })).toBeNull();
  });

  it('each dimension above the default ceiling is refused with one line naming it and the flag', () => {
    const p = loadCeilingProblem({ ...LOAD_CEILING, arrivalPerSecond: LOAD_CEILING.arrivalPerSecond + 1 }, {}, '--max-load');
    expect(p).toMatch(/new clients per second, above the default ceiling of \d+: raise it on purpose \(--max-load arrival-rate=101\)/);
    expect(p).not.toContain('\n');
    expect(loadCeilingProblem({ ...LOAD_CEILING, concurrency: 1e6 })).toMatch(/clients at once/);
    expect(loadCeilingProblem({ ...LOAD_CEILING, count: 1e6 })).toMatch(/clients in all/);
    expect(loadCeilingProblem({ ...LOAD_CEILING, count: Number.NaN })).not.toBeNull();
  });

  it('raised on purpose, the raised ceiling applies (and is still a ceiling)', () => {
    expect(loadCeilingProblem({ arrivalPerSecond: 5000, concurrency: 20, count: 100 }, { arrivalPerSecond: 10_000 })).toBeNull();
    expect(loadCeilingProblem({ arrivalPerSecond: 20_000, concurrency: 20, count: 100 }, { arrivalPerSecond: 10_000 }))
      .toMatch(/above the ceiling of 10000/);
  });

  it('what a plan asks for: the peak of a ramp, unpaced is unbounded, never more at once than in all', () => {
    expect(loadAskOf({ arrival: { kind: 'ramp', from: 50, to: 400, overMs: 1000 }, concurrency: 256, count: 100 }))
      .toEqual({ arrivalPerSecond: 400, concurrency: 100, count: 100 });
    expect(loadAskOf({ arrival: undefined, concurrency: 10, count: 100 }).arrivalPerSecond).toBe(Infinity);
    expect(loadCeilingProblem(loadAskOf({ arrival: undefined, concurrency: 10, count: 100 }))).toMatch(/--max-load arrival-rate=none/);
  });

  it('--max-load text: none, or keys; round-trips for the lab\'s child run', () => {
    expect(parseMaxLoad('none')).toEqual({ arrivalPerSecond: Infinity, concurrency: Infinity, count: Infinity });
    expect(parseMaxLoad('arrival-rate=2000/s, count=1_000_000')).toEqual({ arrivalPerSecond: 2000, count: 1_000_000 });
    expect(parseMaxLoad('concurrency=none')).toEqual({ concurrency: Infinity });
    for (const bad of ['', 'fast', 'rate=5', 'count=0', 'count=-1', 'count=2.5', 'concurrency=1,concurrency=2', 'arrival-rate=lots']) {
      expect(typeof parseMaxLoad(bad), bad).toBe('string');
    }
    const raised = { arrivalPerSecond: 500, count: Infinity };
    expect(parseMaxLoad(maxLoadText(raised))).toEqual(raised);
  });
});
