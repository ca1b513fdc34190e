/** onUdp's unsubscribe on the socket transports' handler list and on the loopback transport. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { TransportHandlers } from './handlers.js';
import { LoopbackTransport } from './loopback.js';
import type { UdpDatagram } from './types.js';

const D: UdpDatagram = { src: { addr: '198.51.100.1', port: 67 }, dst: { addr: '255.255.255.255', port: 68 }, payload: Uint8Array.of(2) };

/** Delivers as relay.ts and raw/transport.ts do: every handler in the list. */
class Delivering extends TransportHandlers {
  deliver(): void {
    for (const h of this.udpHandlers) h('02:00:00:00:00:01', D, 0);
  }
}

describe('onUdp unsubscribe', () => {
  it('removes only that handler, even from inside a delivery, and twice is harmless', () => {
    const t = new Delivering();
    const got: string[] = [];
    const offA = t.onUdp(() => { got.push('a'); offA(); });
    const offB = t.onUdp(() => got.push('b'));
    t.onUdp(() => got.push('c'));
    t.deliver();
    expect(got).toEqual(['a', 'b', 'c']); // a left mid-delivery: b and c still heard this one
    t.deliver();
    expect(got).toEqual(['a', 'b', 'c', 'b', 'c']);
    offB();
    offB();
    t.deliver();
    expect(got.slice(5)).toEqual(['c']);
    expect(t.udpHandlerCount).toBe(1);
  });

  it('the loopback transport: an unsubscribed handler hears nothing more', async () => {
    const t = new LoopbackTransport(new FakeClock(10), { udp: [{ addr: '198.51.100.1', ports: [67], handle: () => [D] }] });
    const got: string[] = [];
    const off = t.onUdp(() => got.push('x'));
    t.onUdp(() => got.push('y'));
    t.addClient('02:00:00:00:00:01');
    t.sendUdp('02:00:00:00:00:01', { ...D, src: { addr: '0.0.0.0', port: 68 }, dst: { addr: '255.255.255.255', port: 67 } });
    await new Promise((r) => setTimeout(r, 20));
    off();
    expect(t.udpHandlerCount).toBe(1);
    t.sendUdp('02:00:00:00:00:01', { ...D, src: { addr: '0.0.0.0', port: 68 }, dst: { addr: '255.255.255.255', port: 67 } });
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['x', 'y', 'y']);
    await t.close();
  });
});
