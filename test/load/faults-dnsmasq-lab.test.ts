// dnsmasq restarted mid-storm keeps its leases: the evidence from its lease file (lab `e2-dnsm`).
// dnsmasq with `dhcp-authoritative` ACKs a RENEW for an address it does not know (it re-creates the
// lease), so there a RENEW after the restart proves nothing. This lab's dnsmasq is NOT authoritative:
// it NAKs a RENEW it has no lease for ("lease not found"), as Kea does. And the lease file itself is
// read: every MAC leased before the restart (the file as it was while the old dnsmasq was gone) is
// still in it after the storm, with the same address. The control run with `leasefile-ro` (leases in
// memory only) shows the check has teeth: the restart forgets them and the RENEWs are NAKed.
// The built CLI runs `pxecheck run STORM.yaml --relay-from 198.18.0.1 --server 198.51.100.1
// --lab-name e2-dnsm` in the lab's client namespace; 80 clients at 40/s fit a loaded 2-core CI.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, readLabInfo } from '../../src/lab/index.js';
import { dnsmasqStormConfig } from '../../src/lab/storm.js';
import { runStorm as runStormIn, stormScenario, stormSkipReason, useStormLab, why, type StormLab, type StormRun } from './storm-lab.js';

const skipReason = stormSkipReason(['dnsmasq', 'in.tftpd', 'nginx', 'nft', 'tc']);

const LAB = 'e2-dnsm';
const STORM_TIMEOUT_MS = 90_000;
const MAC_PREFIX = '02:18:00:e2';
/** How often the test looks at lab.json and the lease file while a storm runs. */
const POLL_MS = 50;

/** dnsmasq's lease file inside the lab's work directory. */
const leaseFile = (work: string): string => join(work, 'dnsmasq.leases');

/** Not authoritative: a RENEW for a lease dnsmasq does not have is NAKed. `memoryOnly`: leasefile-ro. */
function dnsmasqConfig(work: string, memoryOnly: boolean): string {
  return dnsmasqStormConfig({ leaseFile: memoryOnly ? undefined : leaseFile(work), authoritative: false, leaseMax: 10_000 });
}

/** dnsmasq's lease file: `EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID` per line; ours only, MAC → address. */
function leasesByMac(lab: StormLab): Map<string, string> {
  const out = new Map<string, string>();
  const file = leaseFile(lab.work);
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [, mac, addr] = line.split(' ');
    if (mac !== undefined && addr !== undefined && mac.startsWith(MAC_PREFIX)) out.set(mac, addr);
  }
  return out;
}

/** The pid lab.json names for dnsmasq (undefined while the file is being rewritten). */
function dnsmasqPid(): number | undefined {
  return readLabInfo(LAB)?.servers.find((s) => s.label === 'dnsmasq')?.pid;
}

function storm(name: string, memoryOnly: boolean): string {
  // 80 clients at 40/s (2 s of arrivals); dnsmasq stops when half have arrived and is down 1 s.
  // Every client renews 5 s after its DORA, when dnsmasq has restarted, and must keep its address.
  return stormScenario({
    name, budget: '80s', mac: `${MAC_PREFIX}:${memoryOnly ? '10' : '00'}:00`, count: 80,
    load: '  arrival: 40/s\n  concurrency: 80\n  budgets: { dora: { p99: 15s }, renew: { p99: 10s } }\n  faults:\n    - { restart: dhcp, after: 50%, down: 1s }',
    steps: [
      '      - dhcp: { within: 15s, offer-window: 100ms, expect: { type: ack, yiaddr: 198.18.0.0/15 } }',
      '      - sleep: 5s',
      '      - renew: { within: 10s, expect: { type: ack, yiaddr: "${yiaddr}" } }',
    ].join('\n'),
  });
}

interface Storm extends StormRun { readonly before: Map<string, string>; readonly pidBefore: number }

/**
 * Runs a storm while watching lab.json: `before` is the lease file as last seen while lab.json still
 * named the old dnsmasq (its pid changes only once the new one listens, so this is the file after
 * the old one stopped, when it was down).
 */
async function runStorm(lab: StormLab, file: string): Promise<Storm> {
  const pidBefore = dnsmasqPid()!;
  let before = leasesByMac(lab);
  const poll = setInterval(() => {
    if (dnsmasqPid() === pidBefore) before = leasesByMac(lab);
  }, POLL_MS);
  try {
    const r = await runStormIn(lab, file, ['--lab-name', LAB], STORM_TIMEOUT_MS);
    return { ...r, before, pidBefore };
  } finally {
    clearInterval(poll);
  }
}

/** Restarts the lab's dnsmasq with another config (same argv: the config file is rewritten in place). */
async function useConfig(lab: StormLab, memoryOnly: boolean): Promise<void> {
  writeFileSync(lab.config, dnsmasqConfig(lab.work, memoryOnly));
  const { LabFaultInjector } = await import('../../src/lab/faults.js');
  const injector = new LabFaultInjector(readLabInfo(LAB)!);
  try {
    await injector.apply({ kind: 'restart', server: 'dhcp', downMs: 0, signal: 'SIGTERM' });
  } finally {
    injector.close();
  }
}

describe.skipIf(skipReason !== '')(`dnsmasq restarted mid-storm${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const stormLab = useStormLab(LAB, 'dnsmasq', (work) => dnsmasqConfig(work, false));

  it('with its lease file: every MAC leased before the restart is still leased the same address after it; every RENEW kept it', async () => {
    const file = join(stormLab.work, 'persist.yaml');
    writeFileSync(file, storm('dnsmasq-restart', false));
    const r = await runStorm(stormLab, file);
    const l = r.result?.scenarios[0]?.load;
    expect(l, why(r)).toBeDefined();
    const f = l!.faults![0]!;
    expect(f.error, why(r)).toBeUndefined();
    expect(f.effect, why(r)).toMatch(new RegExp(`dnsmasq pid ${r.pidBefore} stopped, started again as pid \\d+`));
    const pidAfter = dnsmasqPid()!;
    expect(pidAfter).not.toBe(r.pidBefore);
    expect(isAlive(pidAfter)).toBe(true);
    // Half the clients had arrived when it stopped: some were leased (the rest were in flight).
    expect(r.before.size, why(r)).toBeGreaterThan(0);
    const after = leasesByMac(stormLab);
    const lost = [...r.before].filter(([mac, addr]) => after.get(mac) !== addr);
    expect(lost, `leased before the restart, missing or moved after it: ${JSON.stringify(lost.map(([m, a]) => `${m} ${a} → ${after.get(m) ?? 'none'}`))}`).toEqual([]);
    // Not authoritative: a lease it had forgotten would have been NAKed here.
    expect(l!.kinds.renew?.ok, why(r)).toBe(80);
    expect(l!.clients, why(r)).toMatchObject({ started: 80, ok: 80, failed: 0, timedOut: 0 });
    expect(after.size).toBe(80);
    expect(new Set(after.values()).size).toBe(80);
    expect(r.code, why(r)).toBe(0);
  }, STORM_TIMEOUT_MS + 10_000);

  it('control, leases in memory only (leasefile-ro): the restart forgets them and their RENEWs are NAKed', async () => {
    await useConfig(stormLab, true);
    const file = join(stormLab.work, 'memory.yaml');
    writeFileSync(file, storm('dnsmasq-forgets', true));
    const r = await runStorm(stormLab, file);
    const l = r.result?.scenarios[0]?.load;
    expect(l, why(r)).toBeDefined();
    expect(l!.faults![0]!.error, why(r)).toBeUndefined();
    // Clients leased before the restart lose their lease: at least one RENEW is NAKed, the run fails.
    expect(l!.clients.failed, why(r)).toBeGreaterThan(0);
    expect(l!.failures.some((x) => /nak/i.test(x.message)), why(r)).toBe(true);
    expect(r.code, why(r)).toBe(1);
  }, STORM_TIMEOUT_MS + 30_000);
});
