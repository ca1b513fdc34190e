// Relay mode end to end against a real Kea: the lab (labUp) runs kea-dhcp4 with
// configs/kea-relay.json, whose second subnet 203.0.113.0/24 is selected by the relay address
// ("relay": {"ip-addresses": ["198.51.100.250"]}, the lab's rl0 in the client namespace). The built
// CLI runs `pxecheck run … --relay-from 198.51.100.250 --server 198.51.100.1` inside the client
// namespace, so its DHCP goes out relayed (giaddr .250) and Kea answers from the relayed subnet; TFTP
// and HTTP then come from the relay address. fixtures/uefi-ipxe-relayed.yaml is uefi-ipxe.yaml with
// `yiaddr: 203.0.113.0/24` (the shipped one expects the lab's own subnet).
// The CLI comes from a private build of src/ (never the shared dist/).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, listNamespaces, run, type LabInfo } from '../../src/lab/index.js';
import { allSteps, runCliInNamespace, TEST_TIMEOUT_MS, type CliRun, type RunJson } from '../helpers/lab-run.js';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v kea-dhcp4 && command -v in.tftpd && command -v nginx']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces, a bridge, servers in them)' : !hasTools ? 'needs ip, kea-dhcp4, in.tftpd and nginx' : '';

const LAB_NAME = 'pxrelaykea';
const CONFIG = join(ROOT, 'test/scenarios/configs/kea-relay.json');
const SCENARIO = join(ROOT, 'test/scenarios/fixtures/uefi-ipxe-relayed.yaml');

/** What a dhcp step's details say the server handed out. */
interface ObservedDhcp { readonly yiaddr?: string; readonly bootfile?: string }

let build: PrivateBuild | undefined;
let lab: LabInfo | undefined;

function runRelayed(l: LabInfo): Promise<CliRun> {
  if (!build) throw new Error('private build missing');
  return runCliInNamespace(build, l.clientNs, ['run', SCENARIO, '--relay-from', l.relayAddr, '--server', l.serverAddr, '--format', 'json']);
}

describe.skipIf(skipReason !== '')(`relay mode against Kea serving a relayed subnet${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    build = privateBuild();
    await labDown(LAB_NAME); // leftovers of a killed earlier run
    lab = await labUp({ name: LAB_NAME, server: 'kea', config: CONFIG });
  }, 300_000);
  afterAll(async () => {
    await labDown(LAB_NAME);
    expect(listNamespaces().filter((n) => n.startsWith(`${LAB_NAME}-`))).toEqual([]);
  }, 30_000);

  it('uefi-ipxe over a relay: both DORAs get 203.0.113.0/24 from Kea, TFTP and HTTP follow', async () => {
    const l = lab as LabInfo;
    expect(l.relayAddr).toBe('198.51.100.250');
    const r = await runRelayed(l);
    const why = r.json === undefined ? `exit ${String(r.code)}, no JSON; stderr: ${r.stderr.slice(0, 800)}` : r.stdout.slice(0, 4000);
    expect(r.json, why).toBeDefined();
    const steps = allSteps(r.json as RunJson);
    expect(steps.map((s) => s.name)).toEqual(['firmware DORA', 'fetch the iPXE binary', 'become ipxe', 'iPXE DORA', 'boot.ipxe and what it loads']);
    expect(steps.filter((s) => !s.ok), why).toEqual([]);
    expect(r.code, why).toBe(0);
    // What Kea really handed out (not only "the expectation held"): addresses from the relayed subnet.
    const dhcp = steps.filter((s) => s.kind === 'dhcp');
    const observed = dhcp.map((s) => s.details?.['observed'] as ObservedDhcp | undefined);
    expect(observed.map((o) => o?.yiaddr ?? '')).toEqual([expect.stringMatching(/^203\.0\.113\.\d+$/), expect.stringMatching(/^203\.0\.113\.\d+$/)]);
    expect(observed.map((o) => o?.bootfile)).toEqual(['snponly.efi', 'http://198.51.100.1/boot.ipxe']);
  }, TEST_TIMEOUT_MS);
});
