// Running `pxecheck run` (a private build) inside a lab's client namespace, and reading its JSON:
// shared by the scenario × server matrix and the IPv6 integration tests.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { LabInfo } from '../../src/lab/index.js';
import { ROOT } from './paths.js';
import type { PrivateBuild } from './private-build.js';

export const RUN_TIMEOUT_MS = 60_000;
/** A bit more than a run, so the run's own kill fires first and the test reports it. */
export const TEST_TIMEOUT_MS = RUN_TIMEOUT_MS + 10_000;

export interface StepJson { readonly name: string; readonly ok: boolean; readonly error?: string | null; readonly details?: Record<string, unknown> }
export interface RunJson {
  readonly ok: boolean;
  readonly scenarios: readonly { readonly clients: readonly { readonly name?: string; readonly steps: readonly StepJson[] }[] }[];
}
export interface CliRun { readonly code: number | null; readonly json: RunJson | undefined; readonly stdout: string; readonly stderr: string }

/** `pxecheck run SCENARIO --interface <client if> --server ADDR --format json [extra]` inside the lab's client namespace. */
export function runInLab(build: PrivateBuild, lab: LabInfo, scenario: string, extra: readonly string[] = [], server = lab.serverAddr): Promise<CliRun> {
  const file = scenario.includes('/') ? scenario : join(ROOT, 'scenarios', `${scenario}.yaml`);
  const args = ['netns', 'exec', lab.clientNs, process.execPath, ...build.cliArgs([
    'run', file, '--interface', lab.clientIface, '--server', server, '--format', 'json', ...extra])];
  return new Promise((resolve) => {
    const child = spawn('ip', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('close', (c) => {
      clearTimeout(timer);
      let json: RunJson | undefined;
      try {
        json = JSON.parse(stdout) as RunJson;
      } catch {
        json = undefined;
      }
      resolve({ code: c, json, stdout, stderr });
    });
  });
}

export function allSteps(r: RunJson): (StepJson & { client: string })[] {
  return r.scenarios.flatMap((s) => s.clients.flatMap((c) => c.steps.map((st) => ({ ...st, client: c.name ?? '?' }))));
}

/** Failing steps as one line each, so a red test says which step and why. */
export function failures(r: CliRun): string {
  if (r.json === undefined) return `exit ${String(r.code)}, no JSON; stderr: ${r.stderr.slice(0, 800)}`;
  return allSteps(r.json).filter((s) => !s.ok).map((s) => `${s.client} / ${s.name}: ${s.error ?? ''}`).join('\n');
}

export function expectPassed(r: CliRun): void {
  expect(r.json, failures(r)).toBeDefined();
  const json = r.json as RunJson;
  const steps = allSteps(json);
  expect(steps.length).toBeGreaterThan(0);
  expect(steps.filter((s) => !s.ok), failures(r)).toEqual([]);
  expect(json.ok, failures(r)).toBe(true);
  expect(r.code).toBe(0);
}
