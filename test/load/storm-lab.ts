// The storm lab shared by the load-mode lab tests (src/lab/storm.ts builds it): `useStormLab`
// registers a test file's hooks that bring it up and take it down; also the skip check, the scenario
// text of a storm, running `pxecheck run STORM.yaml` relayed from the lab, and the one-line summary
// an assertion prints when a storm went wrong.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { labDown, listNamespaces, run, type LabInfo, type LabServerKind } from '../../src/lab/index.js';
import { STORM_RELAY, stormLabUp } from '../../src/lab/storm.js';
import type { RunResult } from '../../src/scenario/run/result.js';
import { runCliInNamespace } from '../helpers/lab-run.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

/** Why the storm tests cannot run here ('' when they can): root, and `tools` on PATH. */
export function stormSkipReason(tools: readonly string[]): string {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, servers in them)';
  const all = ['ip', ...tools];
  const found = run('sh', ['-c', all.map((t) => `command -v ${t}`).join(' && ')]).code === 0;
  return found ? '' : `needs ${all.join(', ')}`;
}

/** A storm lab of a test file, ready once its beforeAll has run. */
export interface StormLab {
  readonly build: PrivateBuild;
  readonly lab: LabInfo;
  /** A directory of this lab's own (config, scenarios, lease files), removed by afterAll. */
  readonly work: string;
  /** The server's config file (work/server.conf). */
  readonly config: string;
}

/**
 * Registers the hooks of the storm lab `name` (call it inside the describe): beforeAll gets the private
 * build, makes the work directory, writes `writeConfig(work)` to the server's config file and brings
 * the lab up with `server`; afterAll takes it down, checks no namespace of it is left and removes
 * the work directory. The returned lab's fields throw until beforeAll has run.
 */
export function useStormLab(name: string, server: LabServerKind, writeConfig: (work: string) => string): StormLab {
  let ready: StormLab | undefined;
  let work: string | undefined;
  beforeAll(async () => {
    const build = privateBuild();
    work = mkdtempSync(join(tmpdir(), `pxecheck-${name}-`));
    const config = join(work, 'server.conf');
    writeFileSync(config, writeConfig(work));
    ready = { build, work, config, lab: await stormLabUp(name, server, config) };
  }, 300_000);
  afterAll(async () => {
    try {
      await stormLabDown(name);
    } finally {
      if (work !== undefined) rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
  const get = (): StormLab => {
    if (ready === undefined) throw new Error(`storm lab ${name}: used before its beforeAll brought it up`);
    return ready;
  };
  return {
    get build() { return get().build; },
    get lab() { return get().lab; },
    get work() { return get().work; },
    get config() { return get().config; },
  };
}

/** Takes the labs down and checks no namespace of theirs is left. */
export async function stormLabDown(...names: string[]): Promise<void> {
  for (const n of names) await labDown(n);
  expect(listNamespaces().filter((ns) => names.some((n) => ns.startsWith(`${n}-`)))).toEqual([]);
}

export interface StormScenario {
  readonly name: string;
  readonly budget: string;
  /** The `load:` block's lines, indented two spaces. */
  readonly load: string;
  /** The first MAC and how many clients (one group `pc`, persona uefi-x64). */
  readonly mac: string;
  readonly count: number;
  /** The step lines, indented six spaces. */
  readonly steps: string;
}

/** The YAML of a storm scenario: one group of uefi-x64 clients with consecutive MACs. */
export function stormScenario(s: StormScenario): string {
  return `
name: ${s.name}
budget: ${s.budget}
load:
${s.load}
clients:
  - name: pc
    persona: uefi-x64
    mac: { mac: "${s.mac}", count: ${s.count} }
    steps:
${s.steps}
`;
}

export interface StormRun { readonly code: number | null; readonly result: RunResult | undefined; readonly stderr: string }

/** `pxecheck run FILE --relay-from STORM_RELAY --server <lab's server> --format json EXTRA…` in the lab's client namespace. */
export async function runStorm(s: StormLab, file: string, extra: readonly string[], timeoutMs: number): Promise<StormRun> {
  const r = await runCliInNamespace(s.build, s.lab.clientNs,
    ['run', file, '--relay-from', STORM_RELAY, '--server', s.lab.serverAddr, '--format', 'json', ...extra], timeoutMs);
  let result: RunResult | undefined;
  try {
    result = JSON.parse(r.stdout) as RunResult;
  } catch {
    result = undefined;
  }
  return { code: r.code, result, stderr: r.stderr };
}

/** What an assertion prints when a storm went wrong: exit code, stderr and the load summary. */
export function why(r: StormRun): string {
  const l = r.result?.scenarios[0]?.load;
  return `exit ${String(r.code)}; stderr: ${r.stderr.slice(0, 600)}; load: ${JSON.stringify({ clients: l?.clients, budgets: l?.budgets, failures: l?.failures?.slice(0, 5), faults: l?.faults })}`;
}
