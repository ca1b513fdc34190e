/**
 * The per-step event loop and the state it works on. A client machine is driven smoltcp-style:
 * process what arrived, dispatch and send, then sleep until `pollAt()`, an arrival or the deadline.
 */
import type { ClientMachine, RandomSource, UdpDatagram } from '../clients/index.js';
import type { Observed } from '../expect.js';
import type { PersonaOverrides } from '../personas.js';
import type { Client } from '../schema/index.js';
import type { ClientTransport, RouterAdvertSeen } from '../transport/types.js';
import type { Timers } from './timers.js';
import { onAbort } from './abort-fanout.js';

export interface StepContext {
  transport: ClientTransport;
  timers: Timers;
  random: RandomSource;
  signal: AbortSignal | undefined;
  scenarioDeadline: number;
  budgetMs: number;
}

export interface Lease {
  addr: string;
  serverId: string | null;
  prefix: number;
  router?: string;
}

/** What a DHCPv6 Reply gave: the renew/release steps and IPv6 transfers use it. */
export interface Lease6 {
  addr: string;
  prefix: number;
  serverDuid: Uint8Array | null;
  /** Where the Reply came from (the server's link-local address, or the relay's peer). */
  server: string | null;
}

/** A running client: identity, variables, lease, and its mailbox of received datagrams. */
export interface ClientState {
  readonly mac: string;
  readonly client: Client;
  readonly vars: Map<string, string>;
  persona: Client['persona'];
  /** The persona before any `become` (iPXE's platform/buildarch come from it). */
  firmware: Client['persona'];
  overrides: PersonaOverrides;
  lease: Lease | null;
  lease6: Lease6 | null;
  /** Router advertisements this client heard (multicast, or unicast to it), oldest first. */
  readonly routerAdverts: RouterAdvertSeen[];
  readonly v6: boolean;
  readonly mailbox: UdpDatagram[];
  /** Set while a step handles datagrams in the transport's receive callback (`drive`'s `direct`). */
  direct: ((d: UdpDatagram) => void) | null;
  deliver(d: UdpDatagram): void;
  /** Wake the step loop (stream data, arrivals). */
  kick(): void;
  arrival(): Promise<void>;
}

/** A failure that ends the step at once (bad configuration, missing lease). */
export class StepFailure extends Error {}


export interface Outcome {
  observed: Observed;
  /** Facts that do not fit Observed (message logs, URLs). */
  facts: Record<string, unknown>;
  /** Protocol failures the expectations cannot express (a timeout, a refused connection). */
  problems: string[];
  /** The step ran into its hard deadline without finishing. */
  unfinished?: string;
  /** Seconds the client itself chose to wait (the DHCP offer window): not the server's time. */
  clientWait?: number;
  /** Messages the client sent again (DHCP retransmissions, TFTP resends). */
  retransmits?: number;
}

// ---------------------------------------------------------------------------------------------
// The event loop

export async function sleepUntil(st: ClientState, ctx: StepContext, t: number, wakeOnArrival: boolean): Promise<void> {
  if (ctx.signal?.aborted || (wakeOnArrival && st.mailbox.length > 0)) return;
  const timer = ctx.timers.at(t);
  const waits: Array<Promise<void>> = [timer.fired];
  if (wakeOnArrival) waits.push(st.arrival());
  let cancelAbort: (() => void) | undefined;
  const signal = ctx.signal;
  if (signal) waits.push(new Promise<void>((r) => { cancelAbort = onAbort(signal, r); }));
  await Promise.race(waits);
  timer.cancel();
  cancelAbort?.();
}

/**
 * Drive a UDP client machine until it is done or `hard` passes; null when unfinished.
 * `direct`: each datagram is processed, and the answer sent, inside the transport's receive
 * callback (a TFTP ACK leaves without a promise turn or a timer per block); the loop itself only
 * wakes for the machine's own deadlines (`pollAt`, one timer re-armed) and for the end.
 */
export async function drive<R>(m: ClientMachine<R>, st: ClientState, ctx: StepContext, hard: number, direct = false): Promise<R | null> {
  st.mailbox.length = 0; // late answers to an earlier step are not this step's
  let busy = false;
  const step = (now: number, d: UdpDatagram | null): void => {
    busy = true;
    try {
      if (st.mailbox.length > 0) for (const x of st.mailbox.splice(0)) m.process(x, now);
      if (d !== null) m.process(d, now);
      for (const o of m.dispatch(now)) ctx.transport.sendUdp(st.mac, o);
    } finally {
      busy = false;
    }
  };
  // A throw inside the transport's callback must not escape into it: the loop rethrows it, as when
  // the machine runs in the loop itself.
  const fault: { thrown: boolean; error: unknown } = { thrown: false, error: undefined };
  if (direct) {
    st.direct = (d) => {
      // Re-entered (a link that answers inside sendUdp) or finished: the loop takes it from the mailbox.
      if (busy || fault.thrown || m.done() !== null) { st.mailbox.push(d); st.kick(); return; }
      try {
        step(ctx.timers.now(), d);
      } catch (error) {
        fault.thrown = true;
        fault.error = error;
      }
      if (fault.thrown || m.done() !== null) st.kick();
    };
  }
  try {
    for (;;) {
      if (fault.thrown) throw fault.error;
      const now = ctx.timers.now();
      step(now, null);
      const r = m.done();
      if (r !== null) return r;
      if (now >= hard || ctx.signal?.aborted) return null;
      const poll = m.pollAt();
      await sleepUntil(st, ctx, Math.min(poll === null ? Infinity : Math.max(poll, now), hard), true);
    }
  } finally {
    if (direct) st.direct = null;
  }
}
