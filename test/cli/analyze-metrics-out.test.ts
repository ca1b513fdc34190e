/** `pxecheck analyze FILE --metrics-out FILE.prom`: the same report, plus the metrics of those
 *  frames in a file promtool accepts, counting what the analysis says. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'pxecheck-metrics-out-'));
function io() {
  const err: string[] = [];
  return { stderr: (s: string) => { err.push(s); }, stdoutIsTTY: false, stderrIsTTY: false, env: {}, err };
}

function sample(text: string, re: RegExp): number {
  return [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('analyze --metrics-out', () => {
  it('writes the metrics of the capture beside an unchanged report', async () => {
    const capture = 'captures/lab/broken-two-dhcp-servers.pcapng';
    const prom = join(dir, 'pxecheck.prom');
    const [plain, withMetrics] = [join(dir, 'a.json'), join(dir, 'b.json')];
    expect(await main(['analyze', capture, '-f', 'json', '-o', plain], io())).toBe(1);
    expect(await main(['analyze', capture, '-f', 'json', '-o', withMetrics, '--metrics-out', prom], io())).toBe(1);
    expect(readFileSync(withMetrics, 'utf8')).toBe(readFileSync(plain, 'utf8'));
    const text = readFileSync(prom, 'utf8');
    if (existsSync('/usr/bin/promtool')) {
      const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
    const a = await analyzeCapture(capture);
    const failed = a.clients.flatMap((c) => c.attempts).filter((at) => at.outcome === 'failed');
    expect(sample(text, /^pxecheck_boot_attempts_finished_total\{[^}]*outcome="failed"[^}]*\} (\d+)$/gm)).toBe(failed.length);
    expect(sample(text, /^pxecheck_dhcp_offers_total\{kind="dhcp4",server="[^"]+"\} (\d+)$/gm)).toBe(2);
  });

  it('leaves the report unchanged on a capture whose clock jumps (same steady timeline and capture findings as analyze)', async () => {
    const capture = 'captures/public/nDPI/tftp.pcap';
    const prom = join(dir, 'jump.prom');
    const [plain, withMetrics] = [join(dir, 'jump-a.json'), join(dir, 'jump-b.json')];
    const code = await main(['analyze', capture, '-f', 'json', '-o', plain], io());
    expect(await main(['analyze', capture, '-f', 'json', '-o', withMetrics, '--metrics-out', prom], io())).toBe(code);
    expect(readFileSync(plain, 'utf8')).toContain('capture.clock-jump');
    expect(readFileSync(withMetrics, 'utf8')).toBe(readFileSync(plain, 'utf8'));
  });

  it('refuses to overwrite the input and does not combine with --scenario', async () => {
    const capture = 'captures/lab/broken-two-dhcp-servers.pcapng';
    const o = io();
    expect(await main(['analyze', capture, '--metrics-out', capture], o)).toBe(2);
    expect(o.err.join('')).toMatch(/--metrics-out .* refusing to overwrite/);
    expect(await main(['analyze', capture, '--metrics-out', '-'], io())).toBe(2);
    expect(await main(['analyze', capture, '--scenario', 'scenarios/uefi-ipxe.yaml', '--metrics-out', join(dir, 'x.prom')], io())).toBe(2);
  });
});
