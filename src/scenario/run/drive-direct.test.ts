import { describe, expect, it } from 'vitest';
import type { ClientMachine, UdpDatagram } from '../clients/index.js';
import { SystemClock } from '../clock.js';
import { ClientStateImpl } from '../driver.js';
import type { Client } from '../schema/index.js';
import type { ClientTransport } from '../transport/types.js';
import { drive, type StepContext } from './loop.js';
import { RealTimers } from './timers.js';

const SERVER = { addr: '198.51.100.1', port: 69 };
const ME = { addr: '198.51.100.20', port: 2000 };

/** Sends "start", answers every datagram n with an ack n (in order), done at datagram `last`. */
class Acker implements ClientMachine<number[]> {
  private started = false;
  private readonly out: UdpDatagram[] = [];
  readonly seen: number[] = [];
  constructor(private readonly last: number) {}
  dispatch(): UdpDatagram[] {
    if (!this.started) { this.started = true; this.out.push({ src: ME, dst: SERVER, payload: new Uint8Array([0]) }); }
    return this.out.splice(0);
  }
  process(d: UdpDatagram): void {
    this.seen.push(d.payload[0]!);
    this.out.push({ src: ME, dst: SERVER, payload: new Uint8Array([d.payload[0]!]) });
  }
  pollAt(): number | null { return this.out.length ? 0 : null; }
  done(): number[] | null { return this.seen.at(-1) === this.last ? this.seen : null; }
}

function setup(answer?: (n: number) => number | null) {
  const st = new ClientStateImpl('02:00:00:00:00:01', { persona: 'uefi-x64', options: {} } as unknown as Client, new Map());
  const sent: number[] = [];
  const transport = {
    sendUdp(_mac: string, d: UdpDatagram): void {
      sent.push(d.payload[0]!);
      // A link that answers inside the send (in-memory servers do): the next datagram arrives re-entrantly.
      const next = answer?.(d.payload[0]!);
      if (next != null) st.deliver({ src: SERVER, dst: ME, payload: new Uint8Array([next]) });
    },
  } as unknown as ClientTransport;
  const timers = new RealTimers(new SystemClock());
  const ctx: StepContext = { transport, timers, random: () => 0.5, signal: undefined, scenarioDeadline: Infinity, budgetMs: 60_000 };
  return { st, sent, ctx, hard: timers.now() + 60 };
}

const data = (n: number): UdpDatagram => ({ src: SERVER, dst: ME, payload: new Uint8Array([n]) });

describe('drive, direct mode', () => {
  it('answers a datagram inside deliver, before any promise turn', async () => {
    const { st, sent, ctx, hard } = setup();
    const m = new Acker(3);
    const run = drive(m, st, ctx, hard, true);
    expect(sent).toEqual([0]);
    st.deliver(data(1));
    expect(sent).toEqual([0, 1]); // sent synchronously from the receive path
    st.deliver(data(2));
    st.deliver(data(3));
    expect(sent).toEqual([0, 1, 2, 3]);
    expect(await run).toEqual([1, 2, 3]);
    // Once the step is over, datagrams go to the mailbox again.
    expect(st.direct).toBeNull();
    st.deliver(data(9));
    expect(st.mailbox.length).toBe(1);
  });

  it('without direct, a datagram waits for the loop (the mailbox), as before', async () => {
    const { st, sent, ctx, hard } = setup();
    const run = drive(new Acker(1), st, ctx, hard);
    st.deliver(data(1));
    expect(sent).toEqual([0]);
    expect(await run).toEqual([1]);
    expect(sent).toEqual([0, 1]);
  });

  it('a machine that throws on a datagram: the error comes out of drive, not out of deliver', async () => {
    const { st, ctx, hard } = setup();
    const m = new Acker(3);
    m.process = () => { throw new Error('bad datagram'); };
    const run = drive(m, st, ctx, hard, true);
    expect(() => st.deliver(data(1))).not.toThrow();
    await expect(run).rejects.toThrow('bad datagram');
  });

  it('a link answering inside sendUdp: every datagram processed once, in order, no recursion', async () => {
    const { st, sent, ctx, hard } = setup((n) => (n < 50 ? n + 1 : null));
    const m = new Acker(50);
    const r = await drive(m, st, ctx, hard, true);
    expect(r).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(sent).toEqual(Array.from({ length: 51 }, (_, i) => i));
  });
});
