// The storm lab shared by the load-mode lab tests: a lab (`labUp`) whose client namespace also holds
// the relay address 198.18.0.1, with the server's route back to 198.18.0.0/15 (the RFC 2544
// benchmarking range, inside the lab only), so relayed clients are leased from a range big enough
// for a storm. Also: the skip check, running `pxecheck run STORM.yaml` relayed from there, and the
// one-line summary an assertion prints when a storm went wrong.
import { expect } from 'vitest';
import { labDown, labUp, listNamespaces, run, runOk, type LabInfo, type LabServerKind } from '../../src/lab/index.js';
import type { RunResult } from '../../src/scenario/run/result.js';
import { runCliInNamespace } from '../helpers/lab-run.js';
import type { PrivateBuild } from '../helpers/private-build.js';

/** The relay (giaddr) the storm's clients come from; the routers option of the storm subnet. */
export const RELAY = '198.18.0.1';
export const STORM_SUBNET = '198.18.0.0/15';
/** Kea subnet4 entries: the lab's own subnet and the storm range behind the relay. */
export const KEA_STORM_SUBNETS = [
  { id: 1, subnet: '198.51.100.0/24', pools: [{ pool: '198.51.100.100 - 198.51.100.200' }] },
  { id: 2, subnet: STORM_SUBNET, pools: [{ pool: '198.18.1.0 - 198.19.255.250' }], 'option-data': [{ name: 'routers', data: RELAY }] },
];
/** dnsmasq dhcp-range lines for the same two ranges. */
export const DNSMASQ_STORM_RANGES = ['dhcp-range=198.51.100.100,198.51.100.200,10m', 'dhcp-range=198.18.1.0,198.19.255.250,255.254.0.0,10m'];

/** Why the storm tests cannot run here ('' when they can): root, and `tools` on PATH. */
export function stormSkipReason(tools: readonly string[]): string {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, servers in them)';
  const all = ['ip', ...tools];
  const found = run('sh', ['-c', all.map((t) => `command -v ${t}`).join(' && ')]).code === 0;
  return found ? '' : `needs ${all.join(', ')}`;
}

/** A fresh lab `name` running `server` with `config`, plus the relay address and the route back. */
export async function stormLabUp(name: string, server: LabServerKind, config: string): Promise<LabInfo> {
  await labDown(name);
  const lab = await labUp({ name, server, config });
  runOk('ip', ['-n', lab.clientNs, 'addr', 'add', `${RELAY}/15`, 'dev', lab.relayIface]);
  runOk('ip', ['-n', lab.serverNs, 'route', 'add', STORM_SUBNET, 'dev', 'eth0']);
  return lab;
}

/** Takes the labs down and checks no namespace of theirs is left. */
export async function stormLabDown(...names: string[]): Promise<void> {
  for (const n of names) await labDown(n);
  expect(listNamespaces().filter((ns) => names.some((n) => ns.startsWith(`${n}-`)))).toEqual([]);
}

export interface StormRun { readonly code: number | null; readonly result: RunResult | undefined; readonly stderr: string }

/** `pxecheck run FILE --relay-from RELAY --server <lab's server> --format json EXTRA…` in the lab's client namespace. */
export async function runStorm(build: PrivateBuild, lab: LabInfo, file: string, extra: readonly string[], timeoutMs: number): Promise<StormRun> {
  const r = await runCliInNamespace(build, lab.clientNs,
    ['run', file, '--relay-from', RELAY, '--server', lab.serverAddr, '--format', 'json', ...extra], timeoutMs);
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
