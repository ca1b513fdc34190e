/**
 * The effective plan of one load run: the scenario's `load:` overridden by the command line, then
 * cut to this host's shard (arrival rate, count and concurrency divided; each group's MACs sliced).
 */
import type { Arrival, LoadBudgets } from '../load-schema.js';
import type { FaultSpec } from './fault-schema.js';
import type { Scenario } from '../schema/index.js';
import type { LoadAsk } from '../safety.js';
import { shareOf, type MixGroup, type Shard } from './arrivals.js';

/** `run --arrival-rate/--concurrency/--count/--duration/--shard`. */
export interface LoadRunSettings {
  arrival?: Arrival;
  concurrency?: number;
  count?: number;
  durationMs?: number;
  shard?: Shard;
  /** `--fault`: injected as well as the scenario's `load.faults` (lab mode). */
  faults?: FaultSpec[];
}

/** Clients in flight when neither the scenario nor the command line says. */
export const DEFAULT_LOAD_CONCURRENCY = 256;

export interface LoadPlan {
  arrival: Arrival | undefined;
  concurrency: number;
  count: number;
  durationMs: number | undefined;
  groups: MixGroup[];
  shard: Shard | undefined;
  budgets: LoadBudgets;
}

function divide(a: Arrival | undefined, n: number): Arrival | undefined {
  if (a === undefined || n === 1) return a;
  return a.kind === 'rate' ? { kind: 'rate', perSecond: a.perSecond / n } : { ...a, from: a.from / n, to: a.to / n };
}

/**
 * `ceiling` (the CLI's load ceiling, src/scenario/safety.ts): what nobody asked for stays within it,
 * so a run without `arrival` starts clients at the ceiling's rate, not as fast as it can.
 */
export function loadPlan(scenario: Scenario, cli: LoadRunSettings = {}, ceiling?: LoadAsk): LoadPlan {
  const shard = cli.shard;
  const n = shard?.count ?? 1;
  const i = shard?.index ?? 0;
  const groups: MixGroup[] = scenario.clients.map((c) => {
    const slice = shareOf(c.mac.count, i, n);
    return { from: slice.from, size: slice.size, weight: c.weight ?? c.mac.count };
  });
  const macs = groups.reduce((t, g) => t + g.size, 0);
  // The scenario and the command line describe the whole storm; every host runs the same command
  // line with its own --shard, so counts and rates are divided here.
  const wanted = cli.count ?? scenario.load?.count;
  const count = Math.min(macs, wanted === undefined ? macs : shareOf(wanted, i, n).size);
  const whole = cli.concurrency ?? scenario.load?.concurrency;
  const concurrency = whole === undefined ? Math.min(DEFAULT_LOAD_CONCURRENCY, ceiling?.concurrency ?? Infinity) : Math.ceil(whole / n);
  const paced = ceiling === undefined || !Number.isFinite(ceiling.arrivalPerSecond) ? undefined : { kind: 'rate' as const, perSecond: ceiling.arrivalPerSecond };
  return {
    arrival: divide(cli.arrival ?? scenario.load?.arrival, n) ?? paced,
    concurrency: Math.max(1, concurrency),
    count,
    durationMs: cli.durationMs ?? scenario.load?.durationMs,
    groups,
    shard,
    budgets: scenario.load?.budgets ?? { latency: {}, rate: {} },
  };
}
