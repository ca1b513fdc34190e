import { describe, expect, it } from 'vitest';
import { inOrder, type Settled } from './in-order.js';

/** A task whose completion the test controls. */
function controlled() {
  const started: number[] = [];
  const resolvers = new Map<number, { ok: (v: string) => void; fail: (e: Error) => void }>();
  let running = 0;
  let maxRunning = 0;
  const task = (item: string, i: number): Promise<string> => {
    started.push(i);
    running++;
    maxRunning = Math.max(maxRunning, running);
    return new Promise<string>((ok, fail) => resolvers.set(i, { ok: (v) => { running--; ok(v); }, fail: (e) => { running--; fail(e); } }));
  };
  return { task, started, resolvers, max: () => maxRunning };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('inOrder', () => {
  it('hands results back in input order whatever order the tasks finish in, errors in their place', async () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const c = controlled();
    const out: Settled<string>[] = [];
    const run = (async () => { for await (const r of inOrder(items, c.task, { concurrency: 3 })) out.push(r); })();
    // Finish them backwards, one at a time, as far as they have started.
    for (let round = 0; round < 20 && out.length < items.length; round++) {
      await tick();
      const open = [...c.resolvers.keys()].sort((a, b) => b - a);
      const i = open[0];
      if (i === undefined) continue;
      const r = c.resolvers.get(i)!;
      c.resolvers.delete(i);
      if (i === 2) r.fail(new Error('bad capture'));
      else r.ok(items[i]!.toUpperCase());
    }
    await run;
    expect(out.map((r) => (r.ok ? r.value : (r.error as Error).message))).toEqual(['A', 'B', 'bad capture', 'D', 'E', 'F']);
    expect(c.max()).toBeLessThanOrEqual(3);
    expect(c.started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('starts no more than `window` items past the one it waits for', async () => {
    const items = Array.from({ length: 20 }, (_, i) => `f${i}`);
    const c = controlled();
    const out: string[] = [];
    const run = (async () => { for await (const r of inOrder(items, c.task, { concurrency: 2, window: 4 })) if (r.ok) out.push(r.value); })();
    // The first item stays slow; everything else finishes at once.
    for (let round = 0; round < 10; round++) {
      await tick();
      for (const [i, r] of c.resolvers) if (i !== 0) { c.resolvers.delete(i); r.ok(items[i]!); }
    }
    expect(c.started).toEqual([0, 1, 2, 3]);
    c.resolvers.get(0)!.ok('f0');
    c.resolvers.delete(0);
    for (let round = 0; round < 40 && out.length < items.length; round++) {
      await tick();
      for (const [i, r] of c.resolvers) { c.resolvers.delete(i); r.ok(items[i]!); }
    }
    await run;
    expect(out).toEqual(items);
  });

  it('runs one at a time with concurrency 1 and yields nothing for no items', async () => {
    const seen: number[] = [];
    let running = 0;
    const task = async (_: number, i: number) => { running++; expect(running).toBe(1); await tick(); seen.push(i); running--; return i; };
    const out: number[] = [];
    for await (const r of inOrder([1, 2, 3], task, { concurrency: 1 })) if (r.ok) out.push(r.value);
    expect(out).toEqual([0, 1, 2]);
    for await (const _ of inOrder([], task, { concurrency: 4 })) throw new Error('no items, no results');
  });
});
