// DHCPv6 relay mode end to end against a real kea-dhcp6: the lab (labUp, IPv6 only) runs kea-dhcp6
// with configs/kea6-relay.json, whose second subnet 2001:db8:2::/64 is selected only for relayed
// traffic by the relay's address ("relay": {"ip-addresses": ["2001:db8:1::250"]}: the lab's rl0 in
// the client namespace, LabIpv6Info.relayAddr6). The built CLI runs `pxecheck run … --relay-from
// 2001:db8:1::250 --server 2001:db8:1::1 --circuit-id pxe-port-7` inside the client namespace, so its
// DHCPv6 goes out as RELAY-FORW (link-address = the relay address, interface-id = pxe-port-7) and Kea
// answers from the relayed subnet in RELAY-REPL; TFTP and HTTP then come from the relay address.
// fixtures/uefi-ipxe-v6-relayed.yaml is uefi-ipxe-v6.yaml without the RA steps (relay mode has no
// link) and with `address: 2001:db8:2::/64`. The test copies the config with a lease file in its own
// temp dir (the checked-in one keeps leases in memory) to read back the subnet id Kea used.
// The CLI comes from a private build of src/ (never the shared dist/).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLabStatus, labDown, labStatus, labUp, listNamespaces, run, type LabInfo } from '../../src/lab/index.js';
import { allSteps, failures, runCliInNamespace, TEST_TIMEOUT_MS, type CliRun, type RunJson } from '../helpers/lab-run.js';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v kea-dhcp6 && command -v in.tftpd && command -v nginx']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces, a bridge, servers in them)' : !hasTools ? 'needs ip, kea-dhcp6, in.tftpd and nginx' : '';

const LAB_NAME = 'r6kea';
const CONFIG = join(ROOT, 'test/scenarios/configs/kea6-relay.json');
const SCENARIO = join(ROOT, 'test/scenarios/fixtures/uefi-ipxe-v6-relayed.yaml');
const RELAY6 = '2001:db8:1::250';
const SERVER6 = '2001:db8:1::1';
const INTERFACE_ID = 'pxe-port-7';
const RELAYED_SUBNET = /^2001:db8:2::[0-9a-f:]+$/;

let build: PrivateBuild | undefined;
let lab: LabInfo | undefined;
const work = mkdtempSync(join(tmpdir(), 'pxecheck-relay6-'));
const leaseFile = join(work, 'kea-leases6.csv');

/** The checked-in config with its memfile persisted to leaseFile (nothing else changed). */
function configWithLeaseFile(): string {
  const cfg = JSON.parse(readFileSync(CONFIG, 'utf8')) as { Dhcp6: Record<string, unknown> };
  cfg.Dhcp6['lease-database'] = { type: 'memfile', persist: true, name: leaseFile, 'lfc-interval': 0 };
  const file = join(work, 'kea6-relay.json');
  writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
  return file;
}

function runRelayed6(l: LabInfo, pcap: string): Promise<CliRun> {
  if (!build) throw new Error('private build missing');
  return runCliInNamespace(build, l.clientNs, [
    'run', SCENARIO, '--relay-from', RELAY6, '--server', SERVER6, '--circuit-id', INTERFACE_ID, '--format', 'json', '--pcap', pcap]);
}

interface AnalyzeDhcp6Step {
  readonly kind: string;
  readonly addresses?: readonly string[];
  readonly relay?: { readonly linkAddress: string; readonly peerAddress: string; readonly hops: number; readonly interfaceId: string | null } | null;
}

/** Every DHCPv6 step of every device in `pxecheck analyze FILE --format json` (exit 0 or 1 are both answers). */
function analyzeSteps(file: string): AnalyzeDhcp6Step[] {
  const r = spawnSync(process.execPath, build!.cliArgs(['analyze', file, '--format', 'json']), { cwd: ROOT, encoding: 'utf8' });
  expect([0, 1], r.stderr).toContain(r.status);
  const found: AnalyzeDhcp6Step[] = [];
  // Each device's flat step list (attempts carry the same steps again).
  const report = JSON.parse(r.stdout) as { clients: { steps: Record<string, unknown>[] }[] };
  for (const c of report.clients) for (const st of c.steps) if (st['kind'] === 'dhcp6' && 'relay' in st) found.push(st as unknown as AnalyzeDhcp6Step);
  return found;
}

describe.skipIf(skipReason !== '')(`DHCPv6 relay mode against kea-dhcp6 serving a relayed subnet${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    build = privateBuild();
    await labDown(LAB_NAME); // leftovers of a killed earlier run
    lab = await labUp({ name: LAB_NAME, server: 'kea', ipv6: 'only', config6: configWithLeaseFile() });
  }, 300_000);
  afterAll(async () => {
    await labDown(LAB_NAME);
    rmSync(work, { recursive: true, force: true });
    expect(listNamespaces().filter((n) => n.startsWith(`${LAB_NAME}-`))).toEqual([]);
  }, 30_000);

  it('uefi-ipxe-v6 over a DHCPv6 relay: both exchanges get 2001:db8:2::/64 from Kea, TFTP and HTTP follow; analyze shows the relay', async () => {
    const l = lab as LabInfo;
    expect(l.ipv6?.relayAddr6).toBe(RELAY6);
    // rl0 holds the relay address (kernel IPv6 on for it); cl0 stays IPv6-off for raw mode.
    expect(run('ip', ['-n', l.clientNs, '-6', 'addr', 'show', 'dev', l.relayIface]).stdout).toContain(`${RELAY6}/64`);
    expect(run('ip', ['netns', 'exec', l.clientNs, 'sysctl', '-n', `net.ipv6.conf.${l.clientIface}.disable_ipv6`]).stdout.trim()).toBe('1');
    expect(formatLabStatus(labStatus(LAB_NAME)!)).toContain(`relay ${RELAY6} on ${l.relayIface}`);

    const pcap = join(work, 'relay6.pcapng');
    const r = await runRelayed6(l, pcap);
    const why = failures(r) || r.stdout.slice(0, 4000);
    expect(r.json, why).toBeDefined();
    const steps = allSteps(r.json as RunJson);
    expect(steps.map((s) => s.name)).toEqual(['firmware DHCPv6', 'fetch the iPXE binary', 'become ipxe-v6', 'iPXE DHCPv6', 'boot.ipxe and what it loads']);
    expect(steps.filter((s) => !s.ok), why).toEqual([]);
    expect(r.code, why).toBe(0);

    // What Kea really handed out (not only "the expectation held"): addresses from the relayed subnet.
    const dhcp6 = steps.filter((s) => s.name.endsWith('DHCPv6'));
    const observed = dhcp6.map((s) => s.details?.['observed'] as { address?: string; bootfileUrl?: string } | undefined);
    expect(observed.map((o) => o?.address)).toEqual([expect.stringMatching(RELAYED_SUBNET), expect.stringMatching(RELAYED_SUBNET)]);
    expect(observed.map((o) => o?.bootfileUrl)).toEqual([`tftp://[${SERVER6}]/snponly.efi`, `http://[${SERVER6}]/boot.ipxe`]);

    // HTTP came from the relay address (the leased address lives on no host): nginx's own access log.
    const access = readFileSync(l.servers.find((s) => s.label === 'nginx')!.log, 'utf8');
    expect(access.split('\n').filter((line) => line.startsWith(`${RELAY6} `)).map((line) => /"GET (\S+)/.exec(line)?.[1]))
      .toEqual(expect.arrayContaining(['/boot.ipxe', '/vmlinuz', '/initrd.img']));

    // The recorded run reads back as relayed DHCPv6: the relay closest to the client is ours.
    const analyzed = analyzeSteps(pcap);
    expect(analyzed, JSON.stringify(analyzed).slice(0, 2000)).toHaveLength(2); // firmware and iPXE (its own DUID: its own chain)
    for (const s of analyzed) {
      expect(s.relay).toMatchObject({ linkAddress: RELAY6, interfaceId: INTERFACE_ID, hops: 1 });
      expect(s.addresses?.every((a) => RELAYED_SUBNET.test(a))).toBe(true);
    }

    // Kea's own record: the leases are in subnet 2 (the relayed one), none in the lab's subnet 1.
    const leases = readFileSync(leaseFile, 'utf8').trim().split('\n');
    const header = leases[0]!.split(',');
    const rows = leases.slice(1).map((line) => line.split(','));
    const col = (name: string): number => header.indexOf(name);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.map((x) => [x[col('subnet_id')], RELAYED_SUBNET.test(x[col('address')]!)])).toEqual(rows.map(() => ['2', true]));
  }, TEST_TIMEOUT_MS);
});
