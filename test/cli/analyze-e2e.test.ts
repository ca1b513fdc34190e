/**
 * `pxecheck analyze` end to end: spawns bin/pxecheck.js, which runs the built dist/ (`npm test`
 * builds it first; alone: `npx tsc -p tsconfig.json && npx vitest run test/cli/analyze-e2e`).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeJsonSchema, type AnalyzeJson } from '../../src/report/analyze-schema.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A UEFI PXE boot that fails on a missing boot file (a real OVMF capture). */
const FAILED_CAPTURE = 'captures/lab/broken-missing-tftp-file.pcapng';
/** A desktop's DHCP with a NAK: a problem of a client that is not booting. */
const OS_NAK_CAPTURE = 'captures/public/zeek/dhcp.pcap';
const CLEAN_CAPTURE = 'captures/lab/uefi-pxe-dnsmasq.pcapng';

function pxecheck(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/pxecheck.js', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '' },
    maxBuffer: 64 << 20,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir = '';
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/analyze.js'))) throw new Error('dist/ has no analyze command: run `npx tsc -p tsconfig.json` first');
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-e2e-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('pxecheck analyze (spawned)', () => {
  it('reports the failed boot with its root cause and PXE error, and exits 1', () => {
    const r = pxecheck('analyze', FAILED_CAPTURE);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`File:     ${FAILED_CAPTURE}`);
    expect(r.stdout).toMatch(/FAILED at TFTP: tftp\.error .*\(PXE-E23\)/);
    expect(r.stdout).toMatch(/ERROR +tftp\.error: /);
    expect(r.stdout).not.toContain('\x1b['); // a pipe is never coloured
  });

  it("an OS client's NAK is a warning, not a failed boot: exit 0", () => {
    const r = pxecheck('analyze', OS_NAK_CAPTURE);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/WARNING +dhcp\.nak: /);
    expect(r.stdout).toMatch(/not a boot client/);
  });

  it('exits 0 on a clean firmware boot', () => {
    const r = pxecheck('analyze', CLEAN_CAPTURE);
    expect(r.stdout).not.toMatch(/^ +ERROR /m);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/RRQ /);
  });

  it('json output validates against the schema and agrees with the exit code', () => {
    for (const [file, code] of [[FAILED_CAPTURE, 1], [CLEAN_CAPTURE, 0]] as const) {
      const r = pxecheck('analyze', file, '--format', 'json');
      expect(r.code).toBe(code);
      const parsed = analyzeJsonSchema.safeParse(JSON.parse(r.stdout));
      expect(parsed.success, parsed.error?.message).toBe(true);
      const a = parsed.data!;
      expect(a.file).toBe(file);
      expect(a.findings.some((f) => f.severity === 'error')).toBe(code === 1);
    }
  });

  it('junit has one testcase per client and a failure carrying the root cause', () => {
    const json = JSON.parse(pxecheck('analyze', FAILED_CAPTURE, '-f', 'json').stdout) as AnalyzeJson;
    const out = join(dir, 'report.xml');
    const r = pxecheck('analyze', FAILED_CAPTURE, '--format', 'junit', '--output', out);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const xml = readFileSync(out, 'utf8');
    expect(xml.match(/<testsuite /g)).toHaveLength(1);
    expect(xml.match(/<testcase [^>]*name="client /g)).toHaveLength(json.clients.length);
    expect(xml).toMatch(/<failure message="[^"]*" type="tftp\.error">/);
  });

  it('--client selects one chain (any case, - separators); an unknown one exits 2 listing the MACs', () => {
    const json = JSON.parse(pxecheck('analyze', FAILED_CAPTURE, '-f', 'json').stdout) as AnalyzeJson;
    const mac = json.clients[0]!.mac;
    const one = pxecheck('analyze', FAILED_CAPTURE, '-f', 'json', '--client', mac.toUpperCase().replace(/:/g, '-'));
    const a = JSON.parse(one.stdout) as AnalyzeJson;
    expect(a.clients.map((c) => c.mac)).toEqual([mac]);
    expect(one.code).toBe(a.findings.some((f) => f.severity === 'error') ? 1 : 0);
    const unknown = pxecheck('analyze', FAILED_CAPTURE, '--client', '02:00:00:00:00:99');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`clients seen: ${mac}`);
    expect(unknown.stdout).toBe('');
  });

  it('a text file is not a capture: exit 2 with a clear message', () => {
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'hello, this is not a capture\n');
    const r = pxecheck('analyze', txt);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^pxecheck: \S*notes\.txt is not a pcap or pcapng file/);
    expect(r.stdout).toBe('');
  });

  it('a missing file exits 2', () => {
    const r = pxecheck('analyze', join(dir, 'missing.pcap'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read .*missing\.pcap: ENOENT/);
  });

  it('bad flags exit 2 naming the flag', () => {
    const fmt = pxecheck('analyze', FAILED_CAPTURE, '--format', 'xml');
    expect(fmt.code).toBe(2);
    expect(fmt.stderr).toContain('--format must be one of text, json, junit, html, rows (got "xml")');
    const thr = pxecheck('analyze', FAILED_CAPTURE, '--slow-offer', 'abc');
    expect(thr.code).toBe(2);
    expect(thr.stderr).toContain('--slow-offer must be a positive number of seconds (got "abc")');
    const mac = pxecheck('analyze', FAILED_CAPTURE, '--client', 'nope');
    expect(mac.code).toBe(2);
    expect(mac.stderr).toContain('"nope" is not a MAC or IP address');
  });

  it('--help documents the thresholds with their defaults', () => {
    const r = pxecheck('analyze', '--help');
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' '); // yargs wraps lines
    for (const d of ['--slow-offer', '(default 1 s)', '--no-reply', '(default 4 s)', '--loop-count', '(default 3)', '--tftp-idle', '(default 10 s)']) {
      expect(help).toContain(d);
    }
  });
});
