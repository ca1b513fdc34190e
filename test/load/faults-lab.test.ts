// Faults during a boot storm against real servers in a lab this test builds (`e-kfail`): Kea with
// memfile persistence (leases written to a CSV file as they are granted) and tftpd-hpa, clients
// relayed from 198.18.0.1 and leased from 198.18.0.0/15 inside the lab. The built CLI runs
// `pxecheck run STORM.yaml --relay-from 198.18.0.1 --server 198.51.100.1 --lab-name e-kfail` there.
// - Kea restarts mid-storm: no lease is lost (each client's RENEW after the restart keeps its
//   address, Kea's lease file has one address per client and one client per address) and every
//   client still boots within its budget;
// - tftpd-hpa is killed and started again: the clients after it boot, any failure overlaps it;
// - 30% of the frames are dropped both ways for 2 s: the clients retransmit and all finish in budget.
// Sizes fit CI (2 shared cores) and stay under the default load ceiling (≤ 50 new clients/s, ≤ 200 at once).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, readLabInfo, run } from '../../src/lab/index.js';
import { keaStormConfig } from '../../src/lab/storm.js';
import type { FaultReport } from '../../src/scenario/load/faults.js';
import { runStorm as runStormIn, stormScenario, stormSkipReason, useStormLab, why, type StormLab, type StormRun } from './storm-lab.js';

const skipReason = stormSkipReason(['kea-dhcp4', 'in.tftpd', 'nginx', 'nft', 'tc']);

const LAB = 'e-kfail';
const STORM_TIMEOUT_MS = 90_000;
const MAC_PREFIX = '02:18:00:00';

/** Kea's memfile CSV inside the lab's work directory. */
const leaseFile = (work: string): string => join(work, 'kea-leases4.csv');

function storm(name: string, mac: string, count: number, load: string, steps: string): string {
  return stormScenario({ name, budget: '80s', load, mac, count, steps });
}

const DORA = '      - dhcp: { within: 15s, offer-window: 100ms, expect: { type: ack, yiaddr: 198.18.0.0/15 } }';
const TFTP = '      - tftp: { file: polycom/000000000000.cfg, server: "${server}", within: 15s, expect: { size: { min: 10 } } }';

/** Kea's memfile CSV: address and hwaddr of every lease line (header first). */
function keaLeases(lab: StormLab): Array<{ address: string; hwaddr: string }> {
  const [header, ...lines] = readFileSync(leaseFile(lab.work), 'utf8').trim().split('\n');
  const cols = header!.split(',');
  const a = cols.indexOf('address');
  const h = cols.indexOf('hwaddr');
  return lines.map((l) => l.split(',')).map((c) => ({ address: c[a]!, hwaddr: c[h]! }));
}

describe.skipIf(skipReason !== '')(`faults during load against real servers${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  // Kea persists: every lease is appended to the CSV file as it is granted, and read back at start.
  const stormLab = useStormLab(LAB, 'kea', (work) => keaStormConfig(leaseFile(work)));
  const runStorm = (file: string): Promise<StormRun> => runStormIn(stormLab, file, ['--lab-name', LAB], STORM_TIMEOUT_MS);

  it('Kea restarts mid-storm: no lease lost (RENEW keeps the address, the lease file has it), every client boots in budget', async () => {
    const keaBefore = readLabInfo(LAB)!.servers.find((s) => s.label === 'kea')!.pid;
    const file = join(stormLab.work, 'kea-restart.yaml');
    // 200 clients at 50/s (4 s of arrivals); Kea stops 1.5 s in and is down 1 s. Every client renews
    // 5 s after its boot, when Kea has restarted, and must keep its address.
    writeFileSync(file, storm('kea-restart', `${MAC_PREFIX}:10:00`, 200,
      '  arrival: 50/s\n  concurrency: 200\n  budgets: { boot: { p99: 20s } }\n  faults:\n    - { restart: dhcp, at: 1500ms, down: 1s }',
      `${DORA}\n${TFTP}\n      - sleep: 5s\n      - renew: { within: 10s, expect: { type: ack, yiaddr: "\${yiaddr}" } }`));
    const r = await runStorm(file);
    const l = r.result?.scenarios[0]?.load;
    expect(l, why(r)).toBeDefined();
    expect(l!.clients, why(r)).toMatchObject({ started: 200, ok: 200, failed: 0, timedOut: 0 });
    expect(l!.kinds.renew!.ok, why(r)).toBe(200);
    expect(l!.kinds.boot!.ok).toBe(200);
    const f = l!.faults![0]! as FaultReport;
    expect(f.error, why(r)).toBeUndefined();
    expect(f.effect).toMatch(new RegExp(`kea pid ${keaBefore} stopped, started again as pid \\d+`));
    // Clients were in flight while Kea was away and came through by retransmitting.
    expect(f.clients.affected).toBeGreaterThan(0);
    expect(f.clients.recovered).toBeGreaterThan(0);
    expect(f.windows.during.retransmits).toBeGreaterThan(0);
    expect(f.windows.after.kinds.renew!.ok).toBeGreaterThan(150);
    // The lab now runs the new Kea (lab.json says so).
    const keaAfter = readLabInfo(LAB)!.servers.find((s) => s.label === 'kea')!.pid;
    expect(keaAfter).not.toBe(keaBefore);
    expect(isAlive(keaAfter)).toBe(true);
    // The lease file: every client, one address each, no address given to two clients.
    const leases = keaLeases(stormLab).filter((x) => x.hwaddr.startsWith(`${MAC_PREFIX}:10`));
    const byMac = new Map<string, Set<string>>();
    const byAddr = new Map<string, Set<string>>();
    for (const x of leases) {
      byMac.set(x.hwaddr, (byMac.get(x.hwaddr) ?? new Set()).add(x.address));
      byAddr.set(x.address, (byAddr.get(x.address) ?? new Set()).add(x.hwaddr));
    }
    expect(byMac.size).toBe(200);
    expect([...byMac.values()].filter((s) => s.size !== 1)).toEqual([]);
    expect([...byAddr.values()].filter((s) => s.size !== 1)).toEqual([]);
    expect(r.code, why(r)).toBe(0);
  }, STORM_TIMEOUT_MS + 10_000);

  it('tftpd-hpa is killed and started again mid-storm: clients after it boot; any failure overlapped it', async () => {
    const file = join(stormLab.work, 'tftp-restart.yaml');
    writeFileSync(file, storm('tftp-restart', `${MAC_PREFIX}:20:00`, 150,
      '  arrival: 50/s\n  concurrency: 150\n  budgets: { failed: "<20%" }\n  faults:\n    - { restart: tftp, signal: kill, after: 50%, down: 500ms }', `${DORA}\n${TFTP}`));
    const r = await runStorm(file);
    const l = r.result?.scenarios[0]?.load;
    expect(l, why(r)).toBeDefined();
    const f = l!.faults![0]!;
    expect(f.error, why(r)).toBeUndefined();
    expect(f.effect).toMatch(/tftpd pid \d+ killed, started again as pid \d+/);
    expect(f.windows.after.kinds.tftp!.ok, why(r)).toBeGreaterThan(0);
    for (const w of ['before', 'after'] as const) {
      const t = f.windows[w].kinds.tftp;
      expect((t?.failed ?? 0) + (t?.timedOut ?? 0), `${w}: ${why(r)}`).toBe(0);
    }
    const bad = l!.clients.failed + l!.clients.timedOut;
    expect(f.clients.failed + f.clients.timedOut, why(r)).toBe(bad);
    expect(l!.kinds.tftp!.ok + bad).toBe(150);
    expect(isAlive(readLabInfo(LAB)!.servers.find((s) => s.label === 'tftpd')!.pid)).toBe(true);
  }, STORM_TIMEOUT_MS + 10_000);

  it('30% of the frames dropped both ways for 2 s: retransmissions, and every client done within budget', async () => {
    const file = join(stormLab.work, 'drop.yaml');
    writeFileSync(file, storm('drop', `${MAC_PREFIX}:30:00`, 150,
      '  arrival: 50/s\n  concurrency: 150\n  budgets: { dora: { max: 15s } }\n  faults:\n    - { drop: 30%, at: 500ms, for: 2s }', `${DORA}\n${TFTP}`));
    const r = await runStorm(file);
    const l = r.result?.scenarios[0]?.load;
    expect(l, why(r)).toBeDefined();
    expect(l!.clients, why(r)).toMatchObject({ started: 150, ok: 150, failed: 0, timedOut: 0 });
    const f = l!.faults![0]!;
    expect(f.error, why(r)).toBeUndefined();
    const dropped = /dropped (\d+) of (\d+) frames/.exec(f.undone ?? '');
    expect(dropped, why(r)).not.toBeNull();
    expect(Number(dropped![1])).toBeGreaterThan(0);
    expect(Number(dropped![1])).toBeLessThan(Number(dropped![2]));
    expect(f.windows.during.retransmits).toBeGreaterThan(0);
    expect(f.clients.recovered).toBeGreaterThan(0);
    expect(f.windows.before.retransmits).toBe(0);
    // Undone: no table of ours is left on the lab switch.
    expect(run('ip', ['netns', 'exec', stormLab.lab.clientNs, 'nft', 'list', 'tables']).stdout).not.toMatch(/pxecheck_fault/);
    expect(r.code, why(r)).toBe(0);
  }, STORM_TIMEOUT_MS + 10_000);
});
