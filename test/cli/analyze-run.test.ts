/** runAnalyze with a fake engine: formats, --client filtering, exit codes, progress. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAnalyze, selectClient, type AnalyzeFn, type AnalyzeIo } from '../../src/cli/analyze.js';
import { checkAnalyzeArgs } from '../../src/cli/options.js';
import { UsageError } from '../../src/cli/exit-codes.js';
import { analyzeJsonSchema } from '../../src/report/analyze-schema.js';
import type { Analysis } from '../../src/analysis/types.js';
import { BAD_MAC, GOOD_MAC, sampleAnalysis } from './fixtures.js';

let dir = '';
let capture = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-analyze-'));
  capture = join(dir, 'in.pcap');
  writeFileSync(capture, 'stand-in: the fake engine does not read it');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(over: Partial<AnalyzeIo> = {}): AnalyzeIo & { err: string[] } {
  const err: string[] = [];
  return { stderr: (s) => err.push(s), stdoutIsTTY: true, stderrIsTTY: false, env: {}, err, ...over };
}

interface Call { path: Parameters<AnalyzeFn>[0]; opts: Parameters<AnalyzeFn>[1] }

function fakeEngine(a: Analysis = sampleAnalysis()): AnalyzeFn & { calls: Call[] } {
  const calls: Call[] = [];
  const fn = async (path: Parameters<AnalyzeFn>[0], opts: Parameters<AnalyzeFn>[1]): Promise<Analysis> => {
    calls.push({ path, opts });
    opts.onProgress?.(1);
    return a;
  };
  return Object.assign(fn, { calls });
}

async function run(argv: Record<string, unknown>, engine = fakeEngine(), cio = io()): Promise<{ code: number; out: string }> {
  const output = join(dir, 'out.txt');
  const code = await runAnalyze(checkAnalyzeArgs({ file: capture, output, ...argv }), engine, cio);
  return { code, out: readFileSync(output, 'utf8') };
}

describe('runAnalyze', () => {
  it('passes the file and only the given thresholds to the engine', async () => {
    const engine = fakeEngine();
    await run({ 'slow-offer': '2', 'loop-count': '5' }, engine);
    expect(engine.calls).toEqual([{ path: capture, opts: { thresholds: { slowOffer: 2, loopCount: 5 }, keepDuplicates: false, onWarning: expect.any(Function), onPart: expect.any(Function), onReadEnd: expect.any(Function) } }]);
  });

  it('exits 1 when an error finding exists, 0 when only warnings and infos remain', async () => {
    expect((await run({})).code).toBe(1);
    expect((await run({ client: GOOD_MAC })).code).toBe(0);
    expect((await run({ client: BAD_MAC.toUpperCase().replace(/:/g, '-') })).code).toBe(1);
  });

  it('never colours --output, even for a terminal', async () => {
    const { out } = await run({}, fakeEngine(), io({ stdoutIsTTY: true }));
    expect(out).toContain('dhcp.nak');
    expect(out).not.toContain('\x1b[');
  });

  it('writes json that validates and junit with one testcase per client', async () => {
    const json = JSON.parse((await run({ format: 'json' })).out) as unknown;
    expect(analyzeJsonSchema.safeParse(json).success).toBe(true);
    const junit = (await run({ format: 'junit' })).out;
    expect(junit.match(/<testcase /g)?.length).toBe(3); // 2 clients + capture
    expect(junit.match(/<testcase [^>]*name="client /g)?.length).toBe(2);
  });

  it('--client keeps one chain, its findings and the capture-wide ones, with a recomputed summary', async () => {
    const json = JSON.parse((await run({ format: 'json', client: BAD_MAC })).out) as Analysis;
    expect(json.clients.map((c) => c.mac)).toEqual([BAD_MAC]);
    expect(json.findings.map((f) => f.code)).toEqual(['dhcp.nak', 'capture.truncated']);
    expect(json.summary).toMatchObject({ clients: 1, booted: 0, failed: 1, errors: 1, warnings: 1, infos: 0, medianTimeToBootProgram: null });
    const good = selectClient(sampleAnalysis(), GOOD_MAC).summary;
    expect(good).toMatchObject({ clients: 1, booted: 1, failed: 0, errors: 0, warnings: 2, infos: 1, medianTimeToBootProgram: 3.5, p95TimeToBootProgram: 3.5 });
  });

  it('an unknown --client is a usage error listing the MACs seen', async () => {
    await expect(run({ client: '00:00:00:00:00:01' })).rejects.toThrow(UsageError);
    await expect(run({ client: '00:00:00:00:00:01' })).rejects.toThrow(`clients seen: ${GOOD_MAC}, ${BAD_MAC}`);
  });

  it('--client is repeatable and takes Cisco MACs, IP addresses and ip: names', async () => {
    const cisco = (m: string): string => m.replace(/:/g, '').replace(/(....)(....)(....)/, '$1.$2.$3');
    const both = JSON.parse((await run({ format: 'json', client: [cisco(GOOD_MAC), BAD_MAC] })).out) as Analysis;
    expect(both.clients.map((c) => c.mac).sort()).toEqual([GOOD_MAC, BAD_MAC].sort());
    // 198.51.100.50 is the address GOOD_MAC leased.
    for (const ip of ['198.51.100.50', 'ip:198.51.100.50']) {
      const byIp = JSON.parse((await run({ format: 'json', client: [ip] })).out) as Analysis;
      expect(byIp.clients.map((c) => c.mac), ip).toEqual([GOOD_MAC]);
    }
    const ipOnly = sampleAnalysis();
    ipOnly.clients[1]!.mac = 'ip:198.51.100.9';
    ipOnly.findings[2]!.client = 'ip:198.51.100.9';
    const named = JSON.parse((await run({ format: 'json', client: ['ip:198.51.100.9'] }, fakeEngine(ipOnly))).out) as Analysis;
    expect(named.clients.map((c) => c.mac)).toEqual(['ip:198.51.100.9']);
    await expect(run({ client: ['198.51.100.99'] })).rejects.toThrow(/--client 198\.51\.100\.99: no such client/);
  });

  it('--only-failed keeps the failing devices and exits as they do', async () => {
    const failed = await run({ format: 'json', 'only-failed': true });
    const json = JSON.parse(failed.out) as Analysis;
    expect(json.clients.map((c) => c.mac)).toEqual([BAD_MAC]);
    expect(json.findings.every((f) => f.client === null || f.client === BAD_MAC)).toBe(true);
    expect(failed.code).toBe(1);
    const none = await run({ format: 'json', 'only-failed': true, client: [GOOD_MAC] });
    expect((JSON.parse(none.out) as Analysis).clients).toEqual([]);
    expect(none.code).toBe(0);
  });

  it('shows progress on a terminal for a big file and clears it', async () => {
    const big = join(dir, 'big.pcap');
    writeFileSync(big, '');
    truncateSync(big, 30 * 1024 * 1024); // sparse: costs no disk
    const engine: AnalyzeFn = async (_p, opts) => {
      opts.onProgress?.(15 * 1024 * 1024);
      opts.onProgress?.(30 * 1024 * 1024);
      return sampleAnalysis();
    };
    const cio = io({ stderrIsTTY: true });
    await runAnalyze(checkAnalyzeArgs({ file: big, output: join(dir, 'o') }), engine, cio);
    expect(cio.err.join('')).toBe('\r\x1b[Kpxecheck: reading big.pcap 50%\r\x1b[Kpxecheck: reading big.pcap 100%\r\x1b[K');
    const quiet = io({ stderrIsTTY: false });
    await runAnalyze(checkAnalyzeArgs({ file: big, output: join(dir, 'o') }), engine, quiet);
    expect(quiet.err).toEqual([]);
  });

  it('a missing file fails with ENOENT before the engine runs', async () => {
    const engine = fakeEngine();
    await expect(runAnalyze(checkAnalyzeArgs({ file: join(dir, 'nope.pcap') }), engine, io())).rejects.toMatchObject({ code: 'ENOENT' });
    expect(engine.calls).toEqual([]);
  });
});
