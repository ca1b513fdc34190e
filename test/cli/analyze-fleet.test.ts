/**
 * `analyze` over many captures through the built CLI (issue 12 "Many files"): worker threads give
 * the very output one thread gives (stdout, stderr, exit code), in input order; an unreadable input
 * in the middle is one line and the rest still runs; the fleet summary adds up the per-file reports.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';
import type { Fleet } from '../../src/analysis/fleet.js';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { analysisToJson } from '../../src/report/analyze-json.js';
import { fleetJsonSchema } from '../../src/report/fleet-schema.js';
import type { AnalyzeJson } from '../../src/report/analyze-schema.js';

interface Result { code: number | null; stdout: string; stderr: string }

let build: PrivateBuild;
let dir = '';
/** Inputs in the order given: two sites, an unreadable file in the middle. */
let inputs: string[] = [];

function pxecheck(args: string[], input?: Buffer): Result {
  const r = spawnSync(process.execPath, [build.bin, ...args], { cwd: dir, encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  build = privateBuild();
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-fleet-'));
  const put = (site: string, src: string, name: string): string => {
    mkdirSync(join(dir, 'sites', site), { recursive: true });
    const p = join('sites', site, name);
    copyFileSync(join(ROOT, src), join(dir, p));
    return p;
  };
  writeFileSync(join(dir, 'notes.txt'), 'not a capture\n');
  inputs = [
    put('north', 'captures/lab/uefi-pxe-dnsmasq.pcapng', 'rack1.pcapng'),
    put('north', 'captures/lab/broken-missing-tftp-file.pcapng', 'rack2.pcapng'),
    'notes.txt',
    put('south', 'captures/field/boot-among-other-clients.pcapng', 'rack1.pcapng'),
    put('south', 'captures/lab/bios-ipxe-dnsmasq.pcap', 'rack2.pcap'),
    put('south', 'captures/lab-v6/uefi-pxe6-kea.pcapng', 'rack3.pcapng'),
  ];
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('analyze FILE... on worker threads', () => {
  for (const format of ['text', 'json', 'rows', 'junit']) {
    it(`--format ${format}: --jobs 3 prints exactly what --jobs 1 prints, in input order`, () => {
      const one = pxecheck(['analyze', '-f', format, '--jobs', '1', ...inputs]);
      const three = pxecheck(['analyze', '-f', format, '--jobs', '3', ...inputs]);
      expect(three).toEqual(one);
      // The unreadable input: one line, no stack; the others reported; exit 2 (the worst).
      expect(one.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^pxecheck: \S*notes\.txt is not a pcap or pcapng file/)]);
      expect(one.code).toBe(2);
      const readable = inputs.filter((f) => f !== 'notes.txt');
      const named = [...one.stdout.matchAll(/sites\/(north|south)\/rack\d\.pcap(ng)?/g)].map((m) => m[0]);
      expect([...new Set(named)]).toEqual(readable);
    });
  }

  it('standard input among the files is read in the main thread, in its place', () => {
    const stdin = readFileSync(join(ROOT, 'captures/lab/broken-no-bootfile.pcapng'));
    const args = ['analyze', '-f', 'json', inputs[0]!, '-', inputs[3]!];
    const one = pxecheck([...args, '--jobs', '1'], stdin);
    const two = pxecheck([...args, '--jobs', '2'], stdin);
    expect(two).toEqual(one);
    expect(one.stdout.trim().split('\n').slice(0, 3).map((l) => (JSON.parse(l) as AnalyzeJson).file)).toEqual([inputs[0], 'stdin', inputs[3]]);
  });

  it('json: each capture as its one-file report, then a fleet line that adds them up', async () => {
    const r = pxecheck(['analyze', '-f', 'json', ...inputs]);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const docs = lines.slice(0, -1) as unknown as AnalyzeJson[];
    const parsed = fleetJsonSchema.safeParse(lines[lines.length - 1]);
    expect(parsed.success, parsed.error?.message).toBe(true);
    const { fleet } = lines[lines.length - 1] as { fleet: Fleet };
    for (const d of docs) expect(d).toEqual(analysisToJson(await analyzeCapture(join(dir, d.file), { name: d.file })));
    expect(fleet.captures).toBe(docs.length);
    expect(fleet.unreadable).toBe(1);
    const sum = (k: 'clients' | 'booted' | 'failed' | 'incomplete') => docs.reduce((n, d) => n + d.summary[k], 0);
    expect(fleet.total).toMatchObject({ clients: sum('clients'), booted: sum('booted'), failed: sum('failed'), incomplete: sum('incomplete') });
    expect(fleet.total.bootSuccessRate).toBeCloseTo(sum('booted') / sum('clients'));
    expect(fleet.files.map((f) => [f.file, f.clients, f.booted])).toEqual(docs.map((d) => [d.file, d.summary.clients, d.summary.booted]));
    expect(fleet.sites.map((s) => [s.site, s.captures])).toEqual([['north', 2], ['south', 3]]);
    // Each failed device's root cause is counted where it failed.
    const failedCauses = docs.flatMap((d) => d.clients.filter((c) => c.role === 'boot' && c.outcome === 'failed').map((c) => c.rootCause));
    const counts = new Map<string, number>();
    for (const c of failedCauses) if (c !== null) counts.set(c, (counts.get(c) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3).map(([code, devices]) => ({ code, devices }));
    expect(top.length).toBeGreaterThan(0);
    expect(fleet.total.topRootCauses).toEqual(top);
    for (const p of fleet.platforms) expect(p.booted + p.failed + p.incomplete).toBeLessThanOrEqual(p.clients);
    expect(fleet.platforms.reduce((n, p) => n + p.clients, 0)).toBe(sum('clients'));
  });

  it('text: the fleet summary follows the reports, per capture, site, server and platform', () => {
    const r = pxecheck(['analyze', ...inputs]);
    const at = r.stdout.indexOf('\nFleet: 5 captures (+1 unreadable)');
    expect(at).toBeGreaterThan(r.stdout.lastIndexOf('==> '));
    const tail = r.stdout.slice(at);
    for (const title of ['Per capture', 'Per site', 'Per server', 'Per platform']) expect(tail).toContain(`\n${title}\n`);
    expect(tail).toMatch(/^ {2}north +\d+ +\d+/m);
  });

  it('one capture stays exactly as before (no fleet), and --jobs wants a count', () => {
    const one = pxecheck(['analyze', '-f', 'json', inputs[0]!]);
    expect(one.stdout).not.toContain('"fleet"');
    expect(JSON.parse(one.stdout)).toMatchObject({ file: inputs[0] });
    for (const bad of ['0', 'many', '1.5']) {
      const r = pxecheck(['analyze', '--jobs', bad, inputs[0]!]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^pxecheck: --jobs must be an integer from 1 to \d+ \(got "[^"]*"\)$/m);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });
});
