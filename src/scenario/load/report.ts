/** The `load` section of a scenario's JSON result (docs/load.md, "JSON"). Times in ms unless named. */
import type { Arrival, LoadBudgets, StatKind } from '../load-schema.js';
import type { FaultReport } from './faults.js';
import type { KindReport } from './stats.js';

export const LOAD_REPORT_VERSION = 1;

export interface BudgetResult {
  /** `dora p99`, `failed`, `dora rate`. */
  what: string;
  /** `≤ 1 s`, `< 1%`, `≥ 2000/s`. */
  limit: string;
  /** What the run measured, in the same unit; `no samples` when nothing was measured. */
  actual: string;
  ok: boolean;
}

export interface LoadClients {
  started: number;
  ok: number;
  failed: number;
  timedOut: number;
  /** Clients of the plan never started (the duration or budget ran out, Ctrl-C). */
  notStarted: number;
  peakInFlight: number;
  /** Achieved arrivals per second. */
  arrivalsPerSecond: number;
}

/** One client group of the mix (the scenario's `clients:` entry, by name): its clients and its
 *  step statistics ("500 UEFI PCs and 2,000 phones": how each side fared). */
export interface GroupReport {
  persona: string;
  started: number;
  ok: number;
  failed: number;
  timedOut: number;
  kinds: Partial<Record<StatKind, KindReport>>;
}

export interface LoadReport {
  version: typeof LOAD_REPORT_VERSION;
  /** Wall-clock start (ISO 8601) and epoch ms: merged shards span min(start) … max(end). */
  startedAt: string;
  startedAtMs: number;
  durationMs: number;
  /** This run's slice (1-based index, like `--shard 2/4`); absent for a whole run. */
  shard?: { index: number; count: number };
  /** How many reports were merged into this one (`pxecheck merge`). */
  merged?: number;
  settings: { arrival: Arrival | null; concurrency: number; count: number; durationMs: number | null };
  clients: LoadClients;
  kinds: Partial<Record<StatKind, KindReport>>;
  /** Per client group, by name (absent in reports written before it existed). */
  groups?: Record<string, GroupReport>;
  budgets: BudgetResult[];
  /** The budgets as written (for `merge` to evaluate them on the whole). */
  budgetSpec: LoadBudgets;
  /** Failure messages with addresses and numbers blanked, most frequent first (bounded). */
  failures: Array<{ kind: string; message: string; count: number }>;
  /** Faults injected during the run (lab mode) and what each did, window by window. */
  faults?: FaultReport[];
}
