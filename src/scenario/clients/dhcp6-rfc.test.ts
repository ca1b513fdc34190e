// RFC 8415 timing of the DHCPv6 client on an injected clock and random source: the random
// SOL_MAX_DELAY wait before the first Solicit (§18.2.1) and the §15 retransmission (RT with RAND).
import { describe, expect, it } from 'vitest';
import { seededRandom as seeded } from '../../gen/rng.js';
import { Dhcp6Client } from './dhcp6.js';

const MAC = '52:54:00:12:34:56';

/** Send times of a client nobody answers, on a virtual clock starting at `t0`. */
function solicitTimes(c: Dhcp6Client, t0 = 100): number[] {
  const times: number[] = [];
  let now = t0;
  for (let i = 0; i < 100 && c.done() === null; i++) {
    for (const d of c.dispatch(now)) if (d.payload[0] === 1) times.push(now - t0);
    const next = c.pollAt();
    if (next === null) break;
    now = Math.max(now, next);
  }
  return times;
}

describe('DHCPv6 client timing (RFC 8415)', () => {
  it('holds the first Solicit back a random time within solicitDelay, differently per client', () => {
    const firsts = [1, 2, 3, 4, 5, 6].map((seed) => solicitTimes(new Dhcp6Client({ mac: MAC, persona: 'uefi-x64-v6', random: seeded(seed), solicitDelay: 1, maxAttempts: 1 }, { kind: 'sarr' }))[0]!);
    for (const t of firsts) {
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThanOrEqual(1);
    }
    expect(new Set(firsts).size).toBeGreaterThan(1);
    const c = new Dhcp6Client({ mac: MAC, persona: 'uefi-x64-v6', random: seeded(1), solicitDelay: 1, maxAttempts: 1 }, { kind: 'sarr' });
    solicitTimes(c);
    expect(c.solicitDelayed).toBeCloseTo(firsts[0]!, 9);
  });

  it('sends the first Solicit at once by default (firmware does not wait)', () => {
    const c = new Dhcp6Client({ mac: MAC, persona: 'uefi-x64-v6', random: seeded(1), maxAttempts: 1 }, { kind: 'sarr' });
    expect(solicitTimes(c)[0]).toBe(0);
    expect(c.solicitDelayed).toBe(0);
  });

  it('retransmits Solicit with RT = IRT(1 + RAND>0), then 2·RT ± 10 %, bounded by MRC', () => {
    for (const seed of [11, 12, 13]) {
      const times = solicitTimes(new Dhcp6Client({ mac: MAC, persona: 'uefi-x64-v6', random: seeded(seed), maxAttempts: 5 }, { kind: 'sarr' }));
      expect(times).toHaveLength(5);
      const rts = times.slice(1).map((t, i) => t - times[i]!);
      expect(rts[0]).toBeGreaterThan(1);
      expect(rts[0]).toBeLessThanOrEqual(1.1);
      for (let i = 1; i < rts.length; i++) {
        expect(rts[i]! / rts[i - 1]!).toBeGreaterThanOrEqual(1.9 - 1e-9);
        expect(rts[i]! / rts[i - 1]!).toBeLessThanOrEqual(2.1 + 1e-9);
      }
    }
  });
});
