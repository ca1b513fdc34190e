// The TFTP worker's warm-up (offload/warm-up.ts) really runs the lock-step path a job runs
// (runTftpJob on the real helper over loopback, the played server's datagrams queued ahead):
// every played transfer completes (a silent failure would leave the worker cold), and the flag a
// posted job sets stops it.
import { describe, expect, it } from 'vitest';
import { loadUdpSync } from '../../src/scenario/transport/offload/udp-sync.js';
import { WARM_UP_BLOCKS, warmUp } from '../../src/scenario/transport/offload/warm-up.js';

const udp = loadUdpSync();
const flag = (v: number): Int32Array => { const f = new Int32Array(new SharedArrayBuffer(4)); f[0] = v; return f; };

describe.skipIf(udp === null)('TFTP worker warm-up', () => {
  it('completes every played transfer (512, 1468, 8192, with and without the hash) through runTftpJob', () => {
    expect(WARM_UP_BLOCKS).toBeGreaterThan(2000);
    // 60 s, not the worker's 1 s: a loaded CI host must not cut the rounds short here.
    expect(warmUp(udp!, flag(0), 60)).toBe(WARM_UP_BLOCKS);
  });

  it('stops at once when a job is posted (the flag is set), and when its time is up', () => {
    expect(warmUp(udp!, flag(1), 60)).toBe(0);
    expect(warmUp(udp!, flag(0), -1)).toBe(0);
  });
});
