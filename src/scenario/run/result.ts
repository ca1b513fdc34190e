/** What `pxecheck run` reports: the JSON contract (docs/scenarios.md "JSON output"). Times in ms. */
import type { StepKind } from '../schema/index.js';
import type { LoadReport } from '../load/report.js';

export interface StepResult {
  name: string;
  kind: StepKind;
  ok: boolean;
  /** Measured duration, milliseconds. */
  duration: number;
  /** The step's `within`, milliseconds; null when it has none. */
  budget: number | null;
  /** Every failure, one per line; null when the step passed. */
  error: string | null;
  /** `expect` (a one-line summary), `observed` (what was seen), `skipped`, kind-specific facts. */
  details: Record<string, unknown>;
  /** Messages the step sent again (DHCP, TFTP), counted as it ran, so load statistics need not
   *  render `details`. Not in the JSON: runStep sets it not enumerable. */
  readonly retransmits?: number;
}

export interface ClientResult {
  name: string;
  persona: string;
  mac: string;
  ok: boolean;
  steps: StepResult[];
}

export interface ScenarioResult {
  name: string;
  file: string;
  ok: boolean;
  duration: number;
  /** Set when the run was cut short (Ctrl-C, the scenario budget). */
  interrupted?: string;
  /** Load mode: only failed clients (a few, in full) are listed; `load` holds the statistics. */
  clients: ClientResult[];
  load?: LoadReport;
}

export interface RunResult {
  ok: boolean;
  scenarios: ScenarioResult[];
}

/** `5412` → `5.412 s`, `5000` → `5 s`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
