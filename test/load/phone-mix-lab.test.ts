// A boot-storm mix of PCs and phones ("500 UEFI PCs and 2,000 phones", scaled down to 60 clients in
// the same 1 : 4 proportion) against the built-in dnsmasq lab in raw mode: every persona runs its
// whole provisioning flow — UEFI PCs DORA + TFTP snponly.efi; Cisco option 150 → TFTP
// XMLDefault.cnf.xml (what a phone without its own SEP<MAC>.cnf.xml falls back to); Polycom option
// 160 → HTTP 000000000000.cfg; Yealink option 66 → HTTP y000000000000.cfg — and the report carries
// per-group statistics.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/scenario/run/result.js';
import { runCli } from '../helpers/lab-run.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v nginx']).status === 0;
const skipReason = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs ip, dnsmasq, nginx' : '';

const MIX = `
name: pcs-and-phones
budget: 120s
load:
  arrival: 20/s
  concurrency: 16
  count: 60
clients:
  - name: pcs
    persona: uefi-x64
    weight: 500
    mac: { mac: "52:54:00:31:00:00", count: 500 }
    steps:
      - dhcp: { within: 10s, expect: { type: ack, bootfile: snponly.efi } }
      - tftp: { file: snponly.efi, within: 30s, expect: { size: { min: 100000 } } }
  - name: cisco
    persona: cisco
    weight: 700
    mac: { mac: "00:1e:7a:31:00:00", count: 700 }
    steps:
      - dhcp: { within: 10s, expect: { type: ack, options: { 150: present } } }
      - tftp: { file: XMLDefault.cnf.xml, server: "\${tftp-server}", within: 10s, expect: { size: { min: 1 } } }
  - name: polycom
    persona: polycom
    weight: 700
    mac: { mac: "64:16:7f:31:00:00", count: 700 }
    steps:
      - dhcp: { within: 10s, save: { provisioning: "option:160" }, expect: { type: ack } }
      - http: { url: "\${provisioning}/000000000000.cfg", within: 10s, expect: { status: 200, body: "<APPLICATION" } }
  - name: yealink
    persona: yealink
    weight: 600
    mac: { mac: "80:5e:c0:31:00:00", count: 600 }
    steps:
      - dhcp: { within: 10s, expect: { type: ack, options: { 66: { matches: "^http://" } } } }
      - http: { url: "\${tftp-server}y000000000000.cfg", within: 10s, expect: { status: 200 } }
`;

describe.skipIf(skipReason !== '')(`PCs and phones in one storm, real dnsmasq lab${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let build: PrivateBuild | undefined;
  let tmp = '';
  beforeAll(() => {
    build = privateBuild();
    tmp = mkdtempSync(join(tmpdir(), 'pxecheck-mix-'));
  }, 300_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('every group provisions; per-group counts add up to the whole, in the weights\' proportion', async () => {
    const file = join(tmp, 'mix.yaml');
    writeFileSync(file, MIX);
    const r = await runCli(build!, ['run', file, '--lab', '--format', 'json'], { timeoutMs: 150_000, killSignal: 'SIGTERM' });
    const result = JSON.parse(r.stdout) as RunResult;
    const load = result.scenarios[0]!.load!;
    expect(load.failures, r.stderr).toEqual([]);
    expect(result.ok).toBe(true);
    const g = load.groups!;
    expect(Object.keys(g)).toEqual(['pcs', 'cisco', 'polycom', 'yealink']);
    expect(Object.values(g).reduce((t, x) => t + x.ok, 0)).toBe(60);
    // 500 : 700 : 700 : 600 of 60 clients → 12 PCs and 48 phones.
    expect(g['pcs']!.started).toBe(12);
    expect(g['cisco']!.started + g['polycom']!.started + g['yealink']!.started).toBe(48);
    expect(g['pcs']!.kinds.tftp!.ok).toBe(12);
    expect(g['cisco']!.kinds.tftp!.ok).toBe(g['cisco']!.started);
    expect(g['polycom']!.kinds.http!.ok).toBe(g['polycom']!.started);
    expect(g['yealink']!.kinds.http!.ok).toBe(g['yealink']!.started);
    for (const x of Object.values(g)) expect(x.kinds.dora!.latencyMs!.p99).toBeGreaterThan(0);
  }, 200_000);
});
