// The TFTP worker's warm-up (offload/warm-up.ts) really runs the lock-step path, over loopback and
// from a server played in memory: every played transfer completes (a silent failure would leave the
// worker cold), and a posted job stops it.
import { describe, expect, it } from 'vitest';
import { loadUdpSync } from '../../src/scenario/transport/offload/udp-sync.js';
import { WARM_UP_BLOCKS, warmUp } from '../../src/scenario/transport/offload/warm-up.js';

const udp = loadUdpSync();

describe.skipIf(udp === null)('TFTP worker warm-up', () => {
  it('completes its played transfers (512, 1468, 8192) through driveBlocking, over the helper and in memory', () => {
    expect(WARM_UP_BLOCKS).toBeGreaterThan(5000);
    // 60 s, not the worker's 1 s: a loaded CI host must not cut the rounds short here.
    expect(warmUp(udp!, () => false, 60)).toBe(WARM_UP_BLOCKS);
  });

  it('stops at once when a job is posted', () => {
    expect(warmUp(udp!, () => true)).toBe(0);
    let calls = 0;
    // Stopped after a few blocks of the first transfer: nothing completes.
    expect(warmUp(udp!, () => ++calls > 20, 60)).toBe(0);
  });

  it('stops in the rounds played in memory too', () => {
    let calls = 0;
    const warmed = warmUp(udp!, () => ++calls > 1500, 60);
    expect(warmed).toBeLessThan(WARM_UP_BLOCKS - 1000);
    expect(calls).toBeLessThan(1510);
  });
});
