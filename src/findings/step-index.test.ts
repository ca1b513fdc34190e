/**
 * The per-attempt step indexes answer what a scan of the steps around step i answers (the scans the
 * rules used before), on random sequences of steps.
 */
import { describe, expect, it } from 'vitest';
import type { StepFacts } from '../flow/facts.js';
import {
  archBefore, laterAnsweredDhcp6, laterDhcp4Step, laterHttpOfUrl, leasedDhcp6From, proxyBootfileAhead, proxyPendingAhead,
} from './step-index.js';

/** A seeded generator: the same cases every run. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

/** Only the fields the indexes read; the rest of a step does not matter to them. */
function randomSteps(r: () => number, n: number): StepFacts[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: unknown[] = [];
  for (let k = 0; k < n; k++) {
    const start = Math.round(r() * 20) / 2;
    switch (pick(['dhcp4', 'dhcp6', 'proxydhcp', 'http', 'tftp'] as const)) {
      case 'dhcp4': out.push({ kind: 'dhcp4', step: { stage: pick(['firmware', 'ipxe']), arch: pick([null, 0, 7, 16]), start } }); break;
      case 'dhcp6': out.push({ kind: 'dhcp6', answered: r() < 0.5, step: { ok: r() < 0.5, leases: r() < 0.5 ? [] : [{}], userClass: [], start } }); break;
      case 'proxydhcp': out.push({ kind: 'proxydhcp', pendingRequest: r() < 0.3 ? { time: start } : null, step: { bootfile: pick([null, '', 'boot.efi']), start } }); break;
      case 'http': out.push({ kind: 'http', step: { url: pick(['http://a/x', 'http://a/y']), start } }); break;
      case 'tftp': out.push({ kind: 'tftp', step: { file: 'f', complete: true, start } }); break;
    }
  }
  return out as StepFacts[];
}

function aheadScan(steps: readonly StepFacts[], i: number, hit: (s: StepFacts) => boolean): boolean {
  for (let k = i + 1; k < steps.length; k++) {
    const s = steps[k]!;
    if (s.kind === 'dhcp4') return false;
    if (s.kind === 'proxydhcp' && hit(s)) return true;
  }
  return false;
}

describe('step indexes', () => {
  it('answer as the scans of the neighbouring steps do', () => {
    const r = rng(15);
    let hits = 0;
    for (let round = 0; round < 300; round++) {
      const steps = randomSteps(r, 1 + Math.floor(r() * 30));
      const leased = steps.filter((x) => x.kind === 'dhcp6' && x.step.ok && x.step.leases.length > 0);
      for (let i = 0; i < steps.length; i++) {
        const later = steps.slice(i + 1);
        expect(laterDhcp4Step(steps, i)).toBe(later.some((x) => x.kind === 'dhcp4'));
        expect(laterAnsweredDhcp6(steps, i)).toBe(later.some((x) => x.kind === 'dhcp6' && x.answered));
        expect(laterHttpOfUrl(steps, i, 'http://a/x')).toBe(later.some((x) => x.kind === 'http' && x.step.url === 'http://a/x'));
        expect(proxyBootfileAhead(steps, i)).toBe(aheadScan(steps, i, (s) => s.kind === 'proxydhcp' && !!s.step.bootfile));
        expect(proxyPendingAhead(steps, i)).toBe(aheadScan(steps, i, (s) => s.kind === 'proxydhcp' && !!s.pendingRequest));
        const before = steps.slice(0, i).reverse().find((x) => x.kind === 'dhcp4' && x.step.arch !== null);
        expect(archBefore(steps, i)).toBe(before?.kind === 'dhcp4' ? before.step.arch : null);
        const time = Math.round(r() * 20) / 2;
        const found = leasedDhcp6From(steps, time);
        expect(found).toBe(leased.find((x) => x.step.start >= time) ?? leased[leased.length - 1]);
        if (found !== undefined && proxyBootfileAhead(steps, i)) hits++;
      }
    }
    // The random steps reach the interesting answers, not only the empty ones.
    expect(hits).toBeGreaterThan(10);
  });
});
