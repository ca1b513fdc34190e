import { describe, expect, it } from 'vitest';
import { onAbort } from './abort-fanout.js';

describe('onAbort', () => {
  it('calls every waiter still registered, once, on abort', () => {
    const ac = new AbortController();
    const calls: string[] = [];
    onAbort(ac.signal, () => calls.push('a'));
    const cancel = onAbort(ac.signal, () => calls.push('b'));
    onAbort(ac.signal, () => calls.push('c'));
    cancel();
    ac.abort();
    ac.abort();
    expect(calls).toEqual(['a', 'c']);
  });
  it('keeps signals apart', () => {
    const a = new AbortController();
    const b = new AbortController();
    let n = 0;
    onAbort(a.signal, () => n++);
    onAbort(b.signal, () => { n += 10; });
    b.abort();
    expect(n).toBe(10);
  });
});
