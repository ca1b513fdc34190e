import { describe, expect, it } from 'vitest';
import { collapseAlike, MAX_ALIKE } from './collapse.js';
import type { RootCauses } from './causes.js';
import type { Finding } from './types.js';

function finding(id: number, over: Partial<Finding> = {}): Finding {
  return {
    id: `F${id}`, code: 'tftp.timeout', severity: 'info', client: 'aa', attempt: 0, causedBy: 'F1', pxeError: null,
    frames: [id], message: `RRQ ${id} never answered`, hint: '', time: id, ...over,
  };
}

describe('collapseAlike', () => {
  it('leaves groups of up to MAX_ALIKE alone', () => {
    const fs = [finding(1, { severity: 'error', causedBy: null }), ...Array.from({ length: MAX_ALIKE }, (_, i) => finding(i + 2))];
    const roots: RootCauses = new Map([['aa', new Map([[0, 'F1']])]]);
    const out = collapseAlike(fs, roots);
    expect(out).toHaveLength(MAX_ALIKE + 1);
    expect(out.every((f) => f.count === undefined)).toBe(true);
  });

  it('rolls the rest of a big group into one finding with a count; ids, causes and roots follow', () => {
    const n = 1000;
    const fs = [finding(1, { severity: 'error', causedBy: null }), ...Array.from({ length: n }, (_, i) => finding(i + 2)),
      finding(n + 2, { code: 'http.error', severity: 'error', causedBy: null, client: 'bb' }),
      finding(n + 3, { code: 'http.error', client: 'bb', causedBy: `F${n + 2}` })];
    const roots: RootCauses = new Map([['aa', new Map([[0, 'F1']])], ['bb', new Map([[0, `F${n + 2}`]])]]);
    const out = collapseAlike(fs, roots);
    expect(out).toHaveLength(1 + MAX_ALIKE + 2);
    expect(out.map((f) => f.id)).toEqual(out.map((_, i) => `F${i + 1}`));
    const rolled = out.filter((f) => f.count !== undefined);
    expect(rolled).toHaveLength(1);
    expect(rolled[0]!.count).toBe(n - (MAX_ALIKE - 1));
    expect(rolled[0]!.message).toContain(`×${n - (MAX_ALIKE - 1)}`);
    expect(rolled[0]!.frames.length).toBeLessThanOrEqual(10);
    // The other device's root moved to its new id, and its consequence points at it.
    const bbRoot = roots.get('bb')!.get(0)!;
    expect(out.find((f) => f.id === bbRoot)?.code).toBe('http.error');
    expect(out.find((f) => f.client === 'bb' && f.causedBy !== null)?.causedBy).toBe(bbRoot);
    expect(roots.get('aa')!.get(0)).toBe('F1');
    // Every cause names a finding of the output.
    const ids = new Set(out.map((f) => f.id));
    for (const f of out) if (f.causedBy !== null) expect(ids.has(f.causedBy)).toBe(true);
  });
});
