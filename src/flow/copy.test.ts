import { describe, it, expect } from 'vitest';
import { deepCopy } from './copy.js';

describe('deepCopy', () => {
  const state = () => ({
    kind: 'dhcp6', last: 1.5, answered: undefined, xids: [1, 2], seen: new Set(['1:1', '2:3']),
    byServer: new Map([['2001:db8::1', { n: 1 }]]), failure: null,
    step: { kind: 'dhcp6', messages: ['SOLICIT'], options: { '7': 'x', b: [{ c: 1 }] }, bytes: new Uint8Array([1, 2]) },
  });

  it('gives what structuredClone gives: same values, same key order, undefined kept', () => {
    const s = state();
    const c = deepCopy(s);
    expect(c).toEqual(structuredClone(s));
    expect(JSON.stringify(c)).toBe(JSON.stringify(structuredClone(s)));
    expect(Object.keys(c)).toEqual(Object.keys(s));
    expect('answered' in c).toBe(true);
  });

  it('shares nothing with the original: later changes to the state never reach the copy', () => {
    const s = state();
    const c = deepCopy(s);
    s.xids.push(3);
    s.seen.add('3:1');
    s.byServer.get('2001:db8::1')!.n = 2;
    s.step.messages.push('REPLY');
    s.step.options.b[0]!.c = 9;
    s.step.bytes[0] = 7;
    expect(c.xids).toEqual([1, 2]);
    expect([...c.seen]).toEqual(['1:1', '2:3']);
    expect(c.byServer.get('2001:db8::1')).toEqual({ n: 1 });
    expect(c.step.messages).toEqual(['SOLICIT']);
    expect(c.step.options.b[0]!.c).toBe(1);
    expect(c.step.bytes[0]).toBe(1);
  });
});
