// A send the kernel refuses in the TFTP worker's driver (offload/drive-blocking.ts) is counted and
// the machine keeps its own retransmission, as on the event loop: here a datagram to the broadcast
// address from a socket without SO_BROADCAST (EACCES), on the real helper over loopback.
import { describe, expect, it } from 'vitest';
import type { ClientMachine, UdpDatagram } from '../../src/scenario/clients/types.js';
import { driveBlocking } from '../../src/scenario/transport/offload/drive-blocking.js';
import { loadUdpSync } from '../../src/scenario/transport/offload/udp-sync.js';

const udp = loadUdpSync();

/** Sends one datagram, resends it `tries - 1` times 10 ms apart, then gives up with how many it sent. */
function resender(tries: number): ClientMachine<string> & { sent: number } {
  let next = 0;
  return {
    sent: 0,
    dispatch(now) {
      if (this.sent >= tries || now < next) return [];
      this.sent++;
      next = now + 0.01;
      const d: UdpDatagram = { src: { addr: '127.0.0.1', port: 40001 }, dst: { addr: '255.255.255.255', port: 9 }, payload: new Uint8Array([1, 2, 3]) };
      return [d];
    },
    process() { /* nothing answers */ },
    pollAt() { return this.sent >= tries ? null : next; },
    done() { return this.sent >= tries ? `gave up after ${this.sent}` : null; },
  };
}

describe.skipIf(udp === null)('driveBlocking, a refused send', () => {
  it('is counted, not thrown: the machine retransmits and ends on its own terms', () => {
    const errors: string[] = [];
    const m = resender(3);
    const r = driveBlocking(m, udp!, {
      local: '127.0.0.1', clientAddr: '127.0.0.1', server: '255.255.255.255', now: () => performance.now() / 1000,
      deadline: performance.now() / 1000 + 60, aborted: () => false, rcvbuf: 0, onSendError: (e) => errors.push(e),
    });
    expect(r).toBe('gave up after 3');
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/sendto/);
  });
});
