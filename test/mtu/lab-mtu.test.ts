// A lab with a real MTU mismatch (`lab: { mtu }`: the client's switch port smaller than the server
// and the client) and TFTP steps that must stall or work: the scenario language and lab plan
// everywhere; as root, scenarios/mtu-mismatch.yaml against real tftpd-hpa (the Kea lab), the same
// scenario without the mismatch failing where it expects a stall, and `analyze` of the run's
// bridge capture naming the cause.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/load.js';
import { evaluate } from '../../src/scenario/expect.js';
import { planLab } from '../../src/cli/run-lab.js';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { allSteps, runCli } from '../helpers/lab-run.js';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

/** `run --lab` with no server, config or proxy flag. */
const NO_FLAGS = { server: undefined, config: undefined };
const SCENARIO = join(ROOT, 'scenarios/mtu-mismatch.yaml');
const text = readFileSync(SCENARIO, 'utf8');

describe('lab: { mtu } and expect: { complete }', () => {
  it('the shipped scenario asks for a Kea lab whose client port has MTU 1000', () => {
    const s = parseScenario(text, 'mtu-mismatch.yaml');
    expect(s.lab).toMatchObject({ server: 'kea', mtu: 1000 });
    expect(planLab(NO_FLAGS, [s])).toMatchObject({ server: 'kea', mtu: 1000 });
  });

  it('an MTU below 576 is refused at its line, and scenarios that need different MTUs cannot share a lab', () => {
    expect(() => parseScenario(text.replace('mtu: 1000', 'mtu: 100'), 'bad.yaml')).toThrow(/bad\.yaml:12:\d+.*at least 576/);
    const a = parseScenario(text, 'a.yaml');
    const b = parseScenario(text.replace('  mtu: 1000\n', ''), 'b.yaml');
    expect(planLab(NO_FLAGS, [b]).mtu).toBeUndefined();
    expect(() => planLab(NO_FLAGS, [a, b])).toThrow(/different labs.*client MTU 1000.*no MTU mismatch/);
  });

  it('complete: false passes a stalled transfer and fails one that completed; complete: true the reverse', () => {
    expect(evaluate({ complete: false }, { complete: false }).ok).toBe(true);
    const done = evaluate({ complete: false }, { complete: true, size: 174_000, blksize: 1468 });
    expect(done.failures).toEqual(['transfer: expected it to stall (not complete), it completed (174000 bytes, blksize 1468)']);
    expect(evaluate({ complete: true }, { complete: false }).failures).toEqual(['transfer: expected it to complete, it stalled']);
  });
});

const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v kea-dhcp4 && command -v in.tftpd && command -v nginx']).status === 0;
const skipReason = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs ip, kea-dhcp4, in.tftpd, nginx' : '';

describe.skipIf(skipReason !== '')(`MTU mismatch in the lab, real tftpd-hpa${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let build: PrivateBuild | undefined;
  let tmp = '';
  beforeAll(() => {
    build = privateBuild();
    tmp = mkdtempSync(join(tmpdir(), 'pxecheck-mtu-lab-'));
  }, 300_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('mtu-mismatch.yaml passes: blksize 1468 and 8192 stall, 968 completes; analyze of the bridge capture names the MTU', async () => {
    const capture = join(tmp, 'mtu.pcap');
    const r = await runCli(build!, ['run', SCENARIO, '--format', 'json', '--capture', capture], { timeoutMs: 90_000, killSignal: 'SIGTERM' });
    expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 3000)}`).toBe(0);
    const steps = allSteps(r.json!);
    expect(steps.map((s) => [s.ok, (s.details?.['observed'] as Record<string, unknown> | undefined)?.['complete']])).toEqual([
      [true, undefined], [true, false], [true, false], [true, true],
    ]);
    const a = await analyzeCapture(capture);
    const dev = a.clients.find((c) => c.mac === '52:54:00:00:f0:10')!;
    const own = a.findings.filter((f) => f.client === dev.mac);
    // When the root cause is not the MTU, say what the analysis saw of this device.
    const seen = JSON.stringify({ steps: dev.steps, attempts: dev.attempts, findings: own }, null, 1).slice(0, 8000);
    // The bridge sees the server's side: DATA sent again and again, never acknowledged.
    expect(own.map((f) => f.code), seen).toContain('net.pmtu-blackhole');
    expect(dev.rootCause, seen).toBe('net.pmtu-blackhole');
  }, 120_000);

  it('the same scenario without the mismatch fails at the first step that expects a stall (a client stops at its first failure)', async () => {
    const file = join(tmp, 'no-mismatch.yaml');
    writeFileSync(file, text.replace('  mtu: 1000\n', ''));
    const r = await runCli(build!, ['run', file, '--format', 'json'], { timeoutMs: 90_000, killSignal: 'SIGTERM' });
    expect(r.code, r.stderr).toBe(1);
    const steps = allSteps(r.json!);
    expect(steps.map((s) => s.ok).slice(0, 2)).toEqual([true, false]);
    expect(steps[1]!.error).toMatch(/expected it to stall \(not complete\), it completed \(\d+ bytes, blksize 1468\)/);
  }, 120_000);
});
