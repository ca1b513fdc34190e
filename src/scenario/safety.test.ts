import { describe, expect, it } from 'vitest';
import { LOAD_CEILING, loadCeilingProblem } from './safety.js';

describe('load ceiling', () => {
  it('a load within the default ceiling passes', () => {
    expect(loadCeilingProblem({ arrivalPerSecond: 10, concurrency: 20, count: 100 })).toBeNull();
    expect(loadCeilingProblem({ ...LOAD_CEILING })).toBeNull();
  });

  it('each dimension above the default ceiling is refused with one line naming it and the flag', () => {
    const p = loadCeilingProblem({ ...LOAD_CEILING, arrivalPerSecond: LOAD_CEILING.arrivalPerSecond + 1 }, {}, '--max-load');
    expect(p).toMatch(/new clients per second, above the default ceiling of \d+: raise it on purpose \(--max-load\)/);
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
});
