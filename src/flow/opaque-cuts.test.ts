/**
 * Opaque cut frames (cut before their UDP ports, later fragments) may hide a DHCP answer when
 * their addresses are where answers go. Not only limited broadcast: the directed broadcast of a
 * leased subnet (relays and servers send there), and any pair once the server list overflowed.
 */
import { describe, expect, it } from 'vitest';
import { Sim, dora } from './sim.test-kit.js';

const MAC = '52:54:00:00:0e:f1';

/** Cut frames that may have held a DHCP answer no device can be given. */
function unplaced(sim: Sim): number {
  return sim.facts().capture.cut?.unplaced ?? 0;
}

describe('opaque cut frames that may hold a DHCP answer', () => {
  it('the directed broadcast of a leased subnet (its mask from option 1) may hold one; an unrelated subnet\'s does not', () => {
    const sim = new Sim();
    dora(sim, { xid: 1, mac: MAC, yiaddr: '198.51.100.130', t: 0, server: [{ code: 1, value: '255.255.255.192' }] });
    sim.builder.frameCut(100, 96, 400, true, '198.51.100.20', '203.0.113.255');
    expect(unplaced(sim)).toBe(0);
    sim.builder.frameCut(101, 96, 400, true, '198.51.100.20', '198.51.100.191');
    expect(unplaced(sim)).toBe(1);
  });

  it('where no mask survived, x.y.z.255 of a lease\'s /24 is the guess', () => {
    const sim = new Sim();
    dora(sim, { xid: 1, mac: MAC, yiaddr: '198.51.100.130', t: 0 });
    sim.builder.frameCut(100, 96, 400, true, '198.18.0.9', '198.51.100.255');
    expect(unplaced(sim)).toBe(1);
  });

  it('once more servers answered than are kept, every opaque pair may hold an answer (an unrecorded server\'s)', () => {
    const sim = new Sim();
    const servers = 1100;
    for (let i = 0; i < servers; i++) {
      const addr = `198.18.${i >> 8}.${(i & 255) + 0}`;
      dora(sim, { xid: i + 1, mac: `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, yiaddr: '203.0.113.7', t: i * 0.001, serverAddr: addr, until: 'offer' });
    }
    // From the last server (past the cap) to a unicast address nothing else names.
    sim.builder.frameCut(900_000, 96, 400, true, `198.18.${(servers - 1) >> 8}.${(servers - 1) & 255}`, '198.19.7.7');
    expect(unplaced(sim)).toBe(1);
  });
});
