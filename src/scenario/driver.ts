/**
 * The scenario driver: plays a scenario's clients against a server through an injected transport
 * and clock, checks every step (expectations and the `within` budget) and returns the result in
 * the JSON contract. No sockets, files or real timers here: `ClientTransport` and `Timers` do I/O.
 */
import type { Clock } from './clock.js';
import type { ClientTransport, UdpDatagram } from './transport/types.js';
import type { RandomSource } from './clients/types.js';
import { isIpv6Persona, macAt, stepLabel, type Client, type Scenario, type Step } from './schema/index.js';
import { macVariables } from './vars.js';
import { linkLocalFromMac } from '../wire/ipv6-address.js';
import type { RouterAdvertSeen } from './transport/types.js';
import { timersFor, type Timers } from './run/timers.js';
import { personaOverrides } from './run/dhcp-facts.js';
import type { PersonaOverrides } from './personas.js';
import { runStep, stepTitle, type ClientState, type StepContext } from './run/steps.js';
import type { ClientResult, RunResult, ScenarioResult, StepResult } from './run/result.js';
import type { LoadRunSettings } from './load/settings.js';
import type { LoadHooks } from './load/runner.js';
import type { LoadAsk } from './safety.js';

export type { ClientResult, RunResult, ScenarioResult, StepResult } from './run/result.js';

export interface RunOptions {
  transport: ClientTransport;
  /** A FakeClock gets virtual timers (deterministic tests); pass `Timers` to share them. */
  clock: Clock;
  target: { server: string };
  random?: RandomSource;
  signal?: AbortSignal;
  /** Clients running at once (default 32). */
  concurrency?: number;
  /** Load mode settings from the command line (they override the scenario's `load:`). */
  load?: LoadRunSettings;
  /** Load mode: the live progress line and the wall clock. */
  loadHooks?: LoadHooks;
  /** Load mode: the ceiling in force (`run` checks it before sending); unasked-for pace and concurrency stay within it. */
  loadCeiling?: LoadAsk;
}

/** A scenario with more clients than this runs in load mode even without `load:` (bounded memory). */
export const LOAD_MODE_ABOVE = 4096;

/** Whether a scenario runs as a boot storm (statistics, no per-client report for passing clients). */
export function isLoadMode(scenario: Scenario, opts: Pick<RunOptions, 'load'>): boolean {
  return scenario.load !== undefined || opts.load !== undefined || scenario.clients.reduce((n, c) => n + c.mac.count, 0) > LOAD_MODE_ABOVE;
}

/** Routes datagrams from the transport to the client that owns the MAC (one router per transport). */
export class Router {
  readonly clients = new Map<string, ClientState>();
  constructor(transport: ClientTransport) {
    transport.onUdp((mac, d) => this.clients.get(mac.toLowerCase())?.deliver(d));
    // RAs are link-wide: every client hears the multicast ones, only the addressee a unicast one.
    transport.onRouterAdvert?.((ra) => {
      for (const c of this.clients.values()) {
        if (ra.unicastTo !== null && ra.unicastTo !== linkLocalFromMac(c.mac)) continue;
        if (c.routerAdverts.length < MAX_RAS_PER_CLIENT) c.routerAdverts.push(ra);
        c.kick();
      }
    });
  }
}
/** Bounded: a router flooding RAs must not grow memory without end. */
const MAX_RAS_PER_CLIENT = 256;
const routers = new WeakMap<ClientTransport, Router>();

export function routerFor(t: ClientTransport): Router {
  let r = routers.get(t);
  if (r === undefined) routers.set(t, (r = new Router(t)));
  return r;
}

/** A scenario client expanded over its MAC range: one entry per MAC. */
export function expandClients(scenario: Scenario): Array<{ client: Client; name: string; mac: string }> {
  const out: Array<{ client: Client; name: string; mac: string }> = [];
  for (const client of scenario.clients) {
    for (let i = 0; i < client.mac.count; i++) {
      out.push({ client, name: client.mac.count > 1 ? `${client.name}-${i + 1}` : client.name, mac: macAt(client.mac, i) });
    }
  }
  return out;
}

/** Run one scenario. Never throws for a failing server: failures are in the result. */
export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  if (isLoadMode(scenario, opts)) {
    const { runLoad } = await import('./load/runner.js');
    return runLoad(scenario, opts);
  }
  const timers: Timers = timersFor(opts.clock);
  const start = timers.now();
  const deadline = start + scenario.budgetMs / 1000;
  const router = routerFor(opts.transport);
  const random = opts.random ?? Math.random;
  const ctx: StepContext = { transport: opts.transport, timers, random, signal: opts.signal, scenarioDeadline: deadline, budgetMs: scenario.budgetMs };

  const expanded = expandClients(scenario);
  const results: ClientResult[] = new Array(expanded.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < expanded.length) {
      const i = next++;
      const e = expanded[i]!;
      results[i] = await runClient(e.client, e.name, e.mac, scenario, opts, ctx, router);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 32, expanded.length));
  await Promise.all(Array.from({ length: n }, worker));

  const end = timers.now();
  const ok = results.every((c) => c.ok);
  const res: ScenarioResult = { name: scenario.name, file: scenario.file, ok, duration: round((end - start) * 1000), clients: results };
  if (opts.signal?.aborted) res.interrupted = 'interrupted (SIGINT): partial results';
  else if (end >= deadline && !ok) res.interrupted = `the scenario budget (${scenario.budgetMs / 1000} s) ran out`;
  return res;
}

/** Run several scenarios one after another on the same transport. */
export async function runScenarios(scenarios: readonly Scenario[], opts: RunOptions): Promise<RunResult> {
  const out: ScenarioResult[] = [];
  for (const s of scenarios) {
    if (opts.signal?.aborted) break;
    out.push(await runScenario(s, opts));
  }
  return { ok: out.length === scenarios.length && out.every((s) => s.ok), scenarios: out };
}

async function runClient(
  client: Client, name: string, mac: string, scenario: Scenario, opts: RunOptions, ctx: StepContext, router: Router,
): Promise<ClientResult> {
  const state: ClientState = new ClientStateImpl(mac, client, clientVars(scenario, client, name, mac, opts.target.server));
  router.clients.set(mac, state);
  opts.transport.addClient(mac);

  const steps: StepResult[] = [];
  let failedAt: number | null = null;
  try {
    for (let i = 0; i < client.steps.length; i++) {
      const step = client.steps[i]!;
      if (failedAt !== null || opts.signal?.aborted) {
        steps.push(notRun(step, failedAt === null ? 'not run: interrupted' : `not run: step ${failedAt + 1} failed`));
        continue;
      }
      const r = await runStep(step, stepLabel({ name }, step, i), state, ctx);
      steps.push(r);
      if (!r.ok) failedAt = i;
    }
  } finally {
    router.clients.delete(mac);
  }
  return { name, persona: client.persona, mac, ok: steps.every((s) => s.ok), steps };
}

/** A client's variables at its start: the scenario's, then the built-ins. */
export function clientVars(scenario: Scenario, client: Client, name: string, mac: string, server: string): Map<string, string> {
  const vars = new Map<string, string>(Object.entries(scenario.vars));
  vars.set('server', server);
  vars.set('client', name);
  vars.set('persona', client.persona);
  for (const [k, v] of Object.entries(macVariables(mac))) vars.set(k, v);
  vars.set('hostname', client.hostname ?? name);
  return vars;
}

export function notRun(step: Step, why: string): StepResult {
  return {
    name: step.name ?? stepTitle(step), kind: step.kind, ok: false, duration: 0,
    budget: 'within' in step ? (step.within ?? null) : null, error: why, details: { skipped: true },
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** One scenario client's option overrides, shared by every MAC of its range (never mutated: a step replaces them). */
const overridesByClient = new WeakMap<Client, PersonaOverrides>();
function groupOverrides(client: Client): PersonaOverrides {
  let o = overridesByClient.get(client);
  if (o === undefined) overridesByClient.set(client, (o = personaOverrides([client.options], client.hostname)));
  return o;
}

export class ClientStateImpl implements ClientState {
  persona: Client['persona'];
  firmware: Client['persona'];
  overrides;
  lease: ClientState['lease'] = null;
  lease6: ClientState['lease6'] = null;
  readonly routerAdverts: RouterAdvertSeen[] = [];
  readonly mailbox: UdpDatagram[] = [];
  private wake: (() => void) | null = null;

  constructor(readonly mac: string, readonly client: Client, readonly vars: Map<string, string>) {
    this.persona = client.persona;
    this.firmware = client.persona;
    this.overrides = groupOverrides(client);
  }

  get v6(): boolean {
    return isIpv6Persona(this.persona);
  }

  deliver(d: UdpDatagram): void {
    this.mailbox.push(d);
    this.kick();
  }

  kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  arrival(): Promise<void> {
    return new Promise((r) => { this.wake = r; });
  }
}
