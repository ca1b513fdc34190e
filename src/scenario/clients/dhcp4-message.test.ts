/** The offer-choice rule both DHCPv4 engines use (prefersOffer), and the shared give-up text. */
import { describe, expect, it } from 'vitest';
import { noAnswerError, prefersOffer } from './dhcp4-message.js';

describe('prefersOffer', () => {
  it('folded over offers in arrival order: PXE takes the first address offer with a boot file, else the first address offer; others the first', () => {
    type Offer = { address: boolean; boot: boolean };
    let seed = 11;
    const rnd = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    let switched = 0;
    for (let n = 0; n < 500; n++) {
      const offers: Offer[] = Array.from({ length: Math.floor(rnd() * 6) }, () => ({ address: rnd() < 0.7, boot: rnd() < 0.4 }));
      for (const pxe of [false, true]) {
        let held: Offer | null = null;
        for (const o of offers) if (prefersOffer(pxe, held !== null, held?.boot ?? false, o.address, o.boot)) held = o;
        const address = offers.filter((o) => o.address);
        const want = pxe ? address.find((o) => o.boot) ?? address[0] ?? null : address[0] ?? null;
        expect(held, JSON.stringify({ pxe, offers })).toBe(want);
        if (pxe && want !== address[0]) switched++;
      }
    }
    expect(switched).toBeGreaterThan(10); // the boot-file preference was exercised
  });
});

describe('noAnswerError', () => {
  it('names what was sent, what did not come, how often and for how long (whole seconds)', () => {
    expect(noAnswerError('DISCOVER', 4, 59.6)).toBe('no OFFER after 4 DISCOVERs in 60 s');
    expect(noAnswerError('REQUEST', 2, 12)).toBe('no ACK after 2 REQUESTs in 12 s');
    expect(noAnswerError('INFORM', 1, 4.2)).toBe('no ACK after 1 INFORMs in 4 s');
  });
});
