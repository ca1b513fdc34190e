// Running the CLI of a private build (directly or inside a lab's network namespace) and reading its
// JSON: shared by the scenario × server matrix, the IPv6 and relay integration tests and broken-configs.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { LabInfo } from '../../src/lab/index.js';
import { ROOT } from './paths.js';
import type { PrivateBuild } from './private-build.js';

export const RUN_TIMEOUT_MS = 60_000;
/** A bit more than a run, so the run's own kill fires first and the test reports it. */
export const TEST_TIMEOUT_MS = RUN_TIMEOUT_MS + 10_000;

/** One step of `pxecheck run --format json` (only the fields the tests read). */
export interface StepJson { readonly name: string; readonly kind: string; readonly ok: boolean; readonly error?: string | null; readonly details?: Record<string, unknown> }
export interface RunJson {
  readonly ok: boolean;
  readonly scenarios: readonly { readonly clients: readonly { readonly name?: string; readonly steps: readonly StepJson[] }[] }[];
}
export interface CliRun { readonly code: number | null; readonly json: RunJson | undefined; readonly stdout: string; readonly stderr: string }

export interface CliRunOptions {
  /** Run inside this network namespace (`ip netns exec NS node …`); without it, node runs directly. */
  readonly ns?: string;
  readonly timeoutMs?: number;
  /** Sent at the timeout: SIGKILL unless a run must clean up after itself (`run --lab` on SIGTERM). */
  readonly killSignal?: NodeJS.Signals;
  /** Called once the child is spawned; the function it returns runs when the child has closed. */
  readonly watch?: (child: ChildProcess) => () => void;
}

/** The private build's CLI with `args` from the repo root: its exit code, output and parsed JSON (undefined if stdout is not JSON). */
export function runCli(build: PrivateBuild, args: readonly string[], o: CliRunOptions = {}): Promise<CliRun> {
  const cli = build.cliArgs(args);
  const [command, argv] = o.ns === undefined ? [process.execPath, cli] : ['ip', ['netns', 'exec', o.ns, process.execPath, ...cli]];
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const unwatch = o.watch?.(child);
    const timer = setTimeout(() => child.kill(o.killSignal ?? 'SIGKILL'), o.timeoutMs ?? RUN_TIMEOUT_MS);
    child.on('close', (c) => {
      clearTimeout(timer);
      unwatch?.();
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

/** `pxecheck ARGS` inside network namespace `ns`, killed after `timeoutMs`. */
export function runCliInNamespace(build: PrivateBuild, ns: string, args: readonly string[], timeoutMs = RUN_TIMEOUT_MS): Promise<CliRun> {
  return runCli(build, args, { ns, timeoutMs });
}

/** `pxecheck run SCENARIO --interface <client if> --server ADDR --format json [extra]` inside the lab's client namespace. */
export function runInLab(build: PrivateBuild, lab: LabInfo, scenario: string, extra: readonly string[] = [], server = lab.serverAddr): Promise<CliRun> {
  const file = scenario.includes('/') ? scenario : join(ROOT, 'scenarios', `${scenario}.yaml`);
  return runCliInNamespace(build, lab.clientNs, ['run', file, '--interface', lab.clientIface, '--server', server, '--format', 'json', ...extra]);
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
