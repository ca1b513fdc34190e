/**
 * Load mode: plays a scenario's clients as a boot storm. Clients arrive at the planned rate (or
 * as fast as the concurrency cap allows), each one's state exists only from its arrival until its
 * last step, and what remains is statistics (src/scenario/load/stats.ts) plus a few failed clients
 * in full. Bounded: by the count, the duration (no arrivals after it), the scenario budget
 * (every step's hard deadline) and the abort signal.
 */
import { STAT_KINDS, type StatKind } from '../load-schema.js';
import { clientVars, ClientStateImpl, notRun, routerFor, type RunOptions } from '../driver.js';
import { macAt, stepLabel, type Client, type Scenario } from '../schema/index.js';
import { onAbort } from '../run/abort-fanout.js';
import type { ClientResult, ScenarioResult, StepResult } from '../run/result.js';
import { runStep, stepOutcome, type StepContext } from '../run/steps.js';
import { timersFor, type Timers } from '../run/timers.js';
import { arrivalOffset, ArrivalPacer, MixPicker } from './arrivals.js';
import { evaluateBudgets, loadOk } from './budgets.js';
import { FaultRun, groupsByMac, retransmitsOf, type FaultInjector } from './faults.js';
import { LOAD_REPORT_VERSION, type LoadClients, type LoadReport } from './report.js';
import { loadPlan, type LoadPlan } from './settings.js';
import { LoadStats } from './stats.js';
import { leanGroup } from './lean-chain.js';
import { LeanDoraEngine, type LeanSink } from './lean-dora.js';

/** What the live progress line shows. */
export interface LoadProgress {
  elapsedSeconds: number;
  started: number;
  planned: number;
  inFlight: number;
  done: number;
  failed: number;
  /** Arrivals per second so far. */
  rate: number;
  /** The first measured kind's p99 so far, ms (DORA when there is one). */
  p99: { kind: StatKind; ms: number } | null;
}

export interface LoadHooks {
  /** Called at most every `progressEverySeconds` (default 0.5) as clients finish, and at the end. */
  progress?: (p: LoadProgress) => void;
  progressEverySeconds?: number;
  /** Epoch milliseconds for `startedAt` (default Date.now). */
  wallClock?: () => number;
  /** Lab mode: executes the scenario's `faults:` and `--fault`s (src/lab/faults.ts). */
  faults?: FaultInjector;
  /**
   * `lean` (default): client groups whose chain is DHCPv4 only run on the lean DORA engine
   * (lean-dora.ts), the others on the general runner; `general`: every group on the general runner.
   */
  engine?: 'lean' | 'general';
}

/** Failed clients reported in full; the others are counted and their messages grouped. */
export const KEPT_FAILED_CLIENTS = 20;
/** Distinct failure messages kept; the rest are counted under "other". */
const MAX_FAILURE_MESSAGES = 50;

const TIMEOUT_RE = /by the deadline|did not finish|timed? ?out|no response/i;

function statKindOf(kind: string): StatKind | null {
  if (kind === 'dhcp') return 'dora';
  return (STAT_KINDS as readonly string[]).includes(kind) ? (kind as StatKind) : null;
}

function serverOf(r: StepResult): string | undefined {
  // The unrendered outcome when runStep made the result (no report rendering per step), else the details.
  const o = stepOutcome(r);
  const observed = (o?.observed ?? r.details['observed']) as Record<string, unknown> | undefined;
  const facts = o?.facts ?? r.details;
  const id = observed?.['serverId'] ?? facts['server'];
  if (typeof id === 'string') return id;
  const url = facts['url'];
  if (typeof url === 'string') {
    try {
      return new URL(url).host;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function bytesOf(r: StepResult): number {
  const o = stepOutcome(r);
  const size = ((o?.observed ?? r.details['observed']) as Record<string, unknown> | undefined)?.['size'];
  return typeof size === 'number' ? size : 0;
}

/** Addresses, MACs and numbers blanked so that one cause groups into one line. */
export function failureShape(message: string): string {
  return message.split('\n')[0]!
    .replace(/\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b/gi, '<mac>')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '<addr>')
    .replace(/\b[0-9a-f]*:[0-9a-f:]*:[0-9a-f:]+\b/gi, '<addr6>')
    .replace(/\d+(?:\.\d+)?/g, 'N')
    .slice(0, 200);
}

/** A client group's own tally (per-group step statistics). */
interface GroupTally {
  persona: string;
  started: number;
  ok: number;
  failed: number;
  timedOut: number;
  stats: LoadStats;
}

class Tally {
  readonly stats = new LoadStats();
  readonly groups = new Map<string, GroupTally>();

  group(client: Client): GroupTally {
    let g = this.groups.get(client.name);
    if (g === undefined) this.groups.set(client.name, (g = { persona: client.persona, started: 0, ok: 0, failed: 0, timedOut: 0, stats: new LoadStats() }));
    return g;
  }
  readonly clients: LoadClients = { started: 0, ok: 0, failed: 0, timedOut: 0, notStarted: 0, peakInFlight: 0, arrivalsPerSecond: 0 };
  readonly kept: ClientResult[] = [];
  faults: FaultRun | null = null;
  private readonly messages = new Map<string, { kind: string; message: string; count: number }>();

  failure(kind: string, error: string): void {
    let key = `${kind}\u0000${failureShape(error)}`;
    if (!this.messages.has(key) && this.messages.size >= MAX_FAILURE_MESSAGES) key = `${kind}\u0000other`;
    const m = this.messages.get(key);
    if (m !== undefined) m.count++;
    else this.messages.set(key, { kind, message: key.split('\u0000')[1]!, count: 1 });
  }

  failures(): LoadReport['failures'] {
    return [...this.messages.values()].sort((a, b) => b.count - a.count);
  }
}

export async function runLoad(scenario: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  const plan = loadPlan(scenario, opts.load, opts.loadCeiling);
  const hooks: LoadHooks = opts.loadHooks ?? {};
  const timers: Timers = timersFor(opts.clock);
  const startedAtMs = (hooks.wallClock ?? Date.now)();
  const start = timers.now();
  const deadline = start + scenario.budgetMs / 1000;
  const stopArrivals = plan.durationMs === undefined ? deadline : Math.min(deadline, start + plan.durationMs / 1000);
  let router: ReturnType<typeof routerFor> | null = null;
  const ctx: StepContext = {
    transport: opts.transport, timers, random: opts.random ?? Math.random, signal: opts.signal, scenarioDeadline: deadline, budgetMs: scenario.budgetMs,
  };
  const tally = new Tally();
  for (const c of scenario.clients) tally.group(c); // the report lists the groups in scenario order
  const picker = new MixPicker(plan.groups);
  tally.faults = startFaults(scenario, opts, plan, timers, start);
  const groupTallies = scenario.clients.map((c) => tally.group(c));
  // Faults read each exchange's step result (retransmissions, windows): the general runner keeps them.
  const leanGroups = hooks.engine === 'general' || tally.faults !== null ? [] : scenario.clients.map(leanGroup);
  const sink: LeanSink = {
    exchange: (g, kind, o, us, server) => {
      tally.stats.kind(kind).record(o, us, 0, server);
      groupTallies[g]!.stats.kind(kind).record(o, us, 0, server);
    },
    ended: (g, mac, index, outcome, t0, t1, failure, steps) => {
      const client = scenario.clients[g]!;
      if (failure !== null) tally.failure(failure.kind, failure.message);
      clientEnded(tally, groupTallies[g]!, client, outcome, t1 - t0, false, () => ({
        name: clientName(client, index), persona: client.persona, mac, ok: false, steps: withNotRun(client, steps()),
      }));
      finished();
    },
  };
  const lean = leanGroups.some((g) => g !== null)
    ? new LeanDoraEngine({
      transport: opts.transport, timers, random: ctx.random, scenarioDeadline: deadline, server: opts.target.server,
      groups: leanGroups, capacity: plan.concurrency, sink,
    })
    : null;
  const stopLean = lean === null || opts.signal === undefined ? undefined : onAbort(opts.signal, () => lean.abort());
  const every = hooks.progressEverySeconds ?? 0.5;
  let lastProgress = -Infinity;
  let inFlight = 0;
  let done = 0;
  let wakeSlot: (() => void) | null = null;

  const progress = (force: boolean): void => {
    if (hooks.progress === undefined) return;
    const now = timers.now();
    if (!force && now - lastProgress < every) return;
    lastProgress = now;
    const elapsed = now - start;
    const first = tally.stats.kinds.get('dora') !== undefined ? 'dora' : [...tally.stats.kinds.keys()][0];
    const p99 = first === undefined ? null : tally.stats.kind(first).percentileMs('p99');
    hooks.progress({
      elapsedSeconds: elapsed, started: tally.clients.started, planned: plan.count, inFlight, done,
      failed: tally.clients.failed + tally.clients.timedOut, rate: elapsed > 0 ? tally.clients.started / elapsed : 0,
      p99: first === undefined || p99 === null ? null : { kind: first, ms: p99 },
    });
  };

  const finished = (): void => {
    inFlight--;
    done++;
    const w = wakeSlot;
    wakeSlot = null;
    w?.();
    progress(false);
  };

  // Late arrivals (the process was not scheduled, a GC pause) catch up spread out, not in a
  // burst that overflows the server's socket (ArrivalPacer).
  const pacer = plan.arrival === undefined ? null : new ArrivalPacer(plan.arrival);
  let allowed = 0;
  for (let k = 0; k < plan.count; k++) {
    if (opts.signal?.aborted) break;
    if (start + arrivalOffset(plan.arrival, k) >= stopArrivals) break;
    // `woke`: the time slept for; timers may fire up to a millisecond early, and an early wake-up
    // must not find nothing due and sleep again.
    let woke = 0;
    while (pacer !== null && allowed === 0 && !opts.signal?.aborted && timers.now() < stopArrivals) {
      allowed = pacer.release(Math.max(timers.now() - start, woke));
      if (allowed > 0) break;
      woke = Math.min(pacer.wakeAt(), stopArrivals - start);
      await sleep(timers, start + woke, opts.signal);
    }
    allowed--;
    while (inFlight >= plan.concurrency && !opts.signal?.aborted) await new Promise<void>((r) => { wakeSlot = r; });
    if (opts.signal?.aborted || timers.now() >= stopArrivals) break;
    const pick = picker.next();
    if (pick === null) break;
    inFlight++;
    tally.clients.started++;
    if (inFlight > tally.clients.peakInFlight) tally.clients.peakInFlight = inFlight;
    tally.faults?.arrived(tally.clients.started);
    if (lean?.takes(pick.group)) {
      groupTallies[pick.group]!.started++;
      lean.start(pick.group, pick.index);
      continue;
    }
    const client = scenario.clients[pick.group]!;
    router ??= routerFor(opts.transport);
    void playClient(client, pick.index, scenario, opts, ctx, router, tally).then(finished, finished);
  }
  lean?.close();
  while (inFlight > 0) await new Promise<void>((r) => { wakeSlot = r; });
  stopLean?.();
  const faults = await tally.faults?.finish();

  const end = timers.now();
  const seconds = end - start;
  tally.clients.notStarted = plan.count - tally.clients.started;
  tally.clients.arrivalsPerSecond = seconds > 0 ? Math.round((tally.clients.started / seconds) * 1000) / 1000 : 0;
  progress(true);
  const rateScale = plan.shard === undefined ? 1 : 1 / plan.shard.count;
  const budgets = evaluateBudgets(plan.budgets, tally.stats, tally.clients, seconds, rateScale);
  const load = loadReport(plan, tally, startedAtMs, seconds, budgets);
  if (faults !== undefined) load.faults = faults;
  // With a `failed:` budget the budget decides (a storm tolerates its share); without, every failure counts.
  const ok = loadOk(load) && (faults ?? []).every((f) => f.error === undefined);
  const res: ScenarioResult = { name: scenario.name, file: scenario.file, ok, duration: Math.round(seconds * 1e6) / 1e3, clients: tally.kept, load };
  if (opts.signal?.aborted) res.interrupted = 'interrupted (SIGINT): partial results';
  else if (end >= deadline && tally.clients.notStarted > 0) res.interrupted = `the scenario budget (${scenario.budgetMs / 1000} s) ran out with ${tally.clients.notStarted} clients not started`;
  return res;
}

function loadReport(plan: LoadPlan, tally: Tally, startedAtMs: number, seconds: number, budgets: LoadReport['budgets']): LoadReport {
  const r: LoadReport = {
    version: LOAD_REPORT_VERSION,
    startedAt: new Date(startedAtMs).toISOString(),
    startedAtMs,
    durationMs: Math.round(seconds * 1e6) / 1e3,
    settings: { arrival: plan.arrival ?? null, concurrency: plan.concurrency, count: plan.count, durationMs: plan.durationMs ?? null },
    clients: tally.clients,
    kinds: tally.stats.report(seconds),
    groups: Object.fromEntries([...tally.groups].map(([name, g]) => [name, {
      persona: g.persona, started: g.started, ok: g.ok, failed: g.failed, timedOut: g.timedOut, kinds: g.stats.report(seconds),
    }])),
    budgets,
    budgetSpec: plan.budgets,
    failures: tally.failures(),
  };
  if (plan.shard !== undefined) r.shard = { index: plan.shard.index + 1, count: plan.shard.count };
  return r;
}

/** The scenario's and the command line's faults; only shard 1 of a sharded storm injects them. */
function startFaults(scenario: Scenario, opts: RunOptions, plan: LoadPlan, timers: Timers, start: number): FaultRun | null {
  const specs = [...(scenario.load?.faults ?? []), ...(opts.load?.faults ?? [])];
  if (specs.length === 0 || (plan.shard !== undefined && plan.shard.index > 0)) return null;
  const injector: FaultInjector = opts.loadHooks?.faults ?? {
    apply: () => Promise.reject(new Error('faults act on a lab: run with --lab, or --lab-name NAME inside a lab from `pxecheck lab up`')),
  };
  return new FaultRun(specs, injector, timers, start, plan.count, groupsByMac(scenario.clients));
}

function sleep(timers: Timers, t: number, signal: AbortSignal | undefined): Promise<void> {
  const timer = timers.at(t);
  if (signal === undefined) return timer.fired;
  let cancel: (() => void) | undefined;
  return Promise.race([timer.fired, new Promise<void>((r) => { cancel = onAbort(signal, r); })]).finally(() => {
    timer.cancel();
    cancel?.();
  });
}

/** One client from arrival to its last step; its state is dropped when it returns. */
async function playClient(
  client: Client, index: number, scenario: Scenario, opts: RunOptions, ctx: StepContext, router: ReturnType<typeof routerFor>, tally: Tally,
): Promise<void> {
  const mac = macAt(client.mac, index);
  const name = clientName(client, index);
  const t0 = ctx.timers.now();
  const group = tally.group(client);
  group.started++;
  const state = new ClientStateImpl(mac, client, clientVars(scenario, client, name, mac, opts.target.server));
  router.clients.set(mac, state);
  opts.transport.addClient(mac);
  const steps: StepResult[] = [];
  let failedAt: number | null = null;
  let outcome: 'ok' | 'failed' | 'timed-out' = 'ok';
  let booted = false;
  let retransmitted = false;
  let failure: { kind: string; message: string } | null = null;
  const faults = tally.faults;
  try {
    for (let i = 0; i < client.steps.length && failedAt === null; i++) {
      const step = client.steps[i]!;
      if (opts.signal?.aborted) break;
      const r = await runStep(step, stepLabel({ name }, step, i), state, ctx);
      steps.push(r);
      const kind = statKindOf(step.kind);
      const timedOut = !r.ok && TIMEOUT_RE.test(r.error ?? '');
      const o = r.ok ? 'ok' : timedOut ? 'timed-out' : 'failed';
      if (kind !== null) {
        tally.stats.kind(kind).record(o, timedOut ? null : r.duration * 1000, bytesOf(r), serverOf(r));
        group.stats.kind(kind).record(o, timedOut ? null : r.duration * 1000, bytesOf(r), serverOf(r));
      }
      if (faults !== null) {
        if (kind !== null) faults.exchange(kind, o, timedOut ? null : r.duration * 1000, r, ctx.timers.now());
        retransmitted ||= retransmitsOf(r) > 0;
        if (!r.ok) failure = { kind: kind ?? step.kind, message: failureShape(r.error ?? 'failed') };
      }
      if (!r.ok) {
        failedAt = i;
        outcome = o;
        tally.failure(kind ?? step.kind, r.error ?? 'failed');
      } else if (!booted && (step.kind === 'tftp' || step.kind === 'http')) {
        booted = true;
        tally.stats.kind('boot').record('ok', (ctx.timers.now() - t0) * 1e6);
        group.stats.kind('boot').record('ok', (ctx.timers.now() - t0) * 1e6);
      }
    }
  } finally {
    router.clients.delete(mac);
    opts.transport.setClientAddress(mac, null);
    opts.transport.setClientAddress6?.(mac, null);
    opts.transport.removeClient?.(mac);
  }
  if (opts.signal?.aborted && failedAt === null && steps.length < client.steps.length) outcome = 'failed';
  faults?.clientEnded(mac, outcome, t0, ctx.timers.now(), retransmitted, failure);
  const unbooted = !booted && client.steps.some((s) => s.kind === 'tftp' || s.kind === 'http');
  clientEnded(tally, group, client, outcome, ctx.timers.now() - t0, unbooted, () => {
    for (let i = steps.length; i < client.steps.length; i++) {
      steps.push(notRun(client.steps[i]!, failedAt === null ? 'not run: interrupted' : `not run: step ${failedAt + 1} failed`));
    }
    return { name, persona: client.persona, mac, ok: false, steps };
  });
}

function clientName(client: Client, index: number): string {
  return client.mac.count > 1 ? `${client.name}-${index + 1}` : client.name;
}

/** A client's end in the tally: its outcome, the chain's time, a boot that never came; failed ones kept in full while few. */
function clientEnded(
  tally: Tally, group: GroupTally, client: Client, outcome: 'ok' | 'failed' | 'timed-out', seconds: number, unbooted: boolean, full: () => ClientResult,
): void {
  const chain = tally.stats.kind('chain');
  const groupChain = group.stats.kind('chain');
  if (outcome === 'ok') {
    tally.clients.ok++;
    group.ok++;
    chain.record('ok', seconds * 1e6);
    groupChain.record('ok', seconds * 1e6);
    return;
  }
  if (outcome === 'timed-out') { tally.clients.timedOut++; group.timedOut++; } else { tally.clients.failed++; group.failed++; }
  chain.record(outcome, null);
  groupChain.record(outcome, null);
  if (unbooted) {
    tally.stats.kind('boot').record(outcome, null);
    group.stats.kind('boot').record(outcome, null);
  }
  if (tally.kept.length < KEPT_FAILED_CLIENTS) tally.kept.push(full());
}

/** The lean engine's step results of a failed client, the steps it never reached after them. */
function withNotRun(client: Client, steps: StepResult[]): StepResult[] {
  const failedAt = steps.length;
  for (let i = steps.length; i < client.steps.length; i++) steps.push(notRun(client.steps[i]!, `not run: step ${failedAt} failed`));
  return steps;
}
