/** `run --format json`: the RunResult as documented in docs/scenarios.md ("JSON output"). */
import type { RunResult } from '../scenario/run/result.js';

export function renderRunJson(r: RunResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2);
}
