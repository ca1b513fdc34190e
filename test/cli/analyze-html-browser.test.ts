/**
 * `analyze --format html` in a real browser: headless Chromium (Debian `chromium`) loads the
 * report of lab and field captures and the DOM it builds is checked — every device's verdict,
 * every finding, the ladder arrows — plus the page limit and hostile names. Skipped (reported as
 * skipped, not passed) where chromium is not installed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Analysis } from '../../src/analysis/types.js';
import { PLAIN } from '../../src/report/color.js';
import { ladderMessages, MAX_ARROWS } from '../../src/report/html/ladder.js';
import { PAGE_SIZE, renderAnalysisHtml } from '../../src/report/html/page.js';
import { verdictLine } from '../../src/report/verdict.js';
import { ROOT } from '../helpers/paths.js';
import { sampleAnalysis } from './fixtures.js';

const CAPTURES = ['captures/lab/uefi-pxe-dnsmasq.pcapng', 'captures/lab/broken-missing-tftp-file.pcapng', 'captures/field/boot-among-other-clients.pcapng'];
const hasChromium = spawnSync('chromium', ['--version'], { stdio: 'ignore' }).status === 0;

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pxecheck-html-')); });
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** The DOM after the page script ran, serialized by the browser (bounded: 60 s). */
function dumpDom(html: string, name: string, extra: string[] = [], fragment = ''): string {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, html);
  const r = spawnSync('chromium', ['--headless=new', '--disable-gpu', '--no-sandbox', '--no-first-run', ...extra, '--dump-dom', `file://${file}${fragment}`],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 << 20 });
  expect(r.error, String(r.error)).toBeUndefined();
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** Text as the serialized DOM writes it (& < > escaped in text, " in attributes). */
function domText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\u00a0/g, '&nbsp;');
}

/** The device list as the script rendered it (outside the embedded data block). */
function devicesPart(dom: string): string {
  const start = dom.indexOf('<div id="devices">');
  expect(start).toBeGreaterThan(0);
  return dom.slice(start, dom.indexOf('<script', start));
}

describe.skipIf(!hasChromium)('html report in headless chromium', () => {
  for (const capture of CAPTURES) {
    it(`shows every verdict, finding and ladder arrow of ${capture}`, async () => {
      const a: Analysis = await analyzeCapture(join(ROOT, capture));
      expect(a.clients.length).toBeGreaterThan(0);
      const dom = devicesPart(dumpDom(renderAnalysisHtml(a), capture.replace(/\W/g, '_')));
      for (const c of a.clients) expect(dom).toContain(domText(verdictLine(c, a.findings, PLAIN)));
      for (const f of a.findings.filter((x) => x.client !== null)) {
        expect(dom).toContain(`data-id="${f.id}"`);
      }
      const arrows = a.clients.reduce((n, c) => n + Math.min(MAX_ARROWS, ladderMessages(c.steps).length), 0);
      expect(arrows).toBeGreaterThan(0);
      expect(dom.match(/<g class="msg/g)?.length).toBe(arrows);
    }, 90_000);
  }

  it('turns only one page of devices into DOM and keeps hostile names as text', () => {
    const a = sampleAnalysis();
    const hostile = '<img src=x onerror=alert(1)>';
    const proto = a.clients[1]!;
    a.file = `captures/${hostile}.pcap`;
    a.clients = Array.from({ length: 120 }, (_, i) => ({ ...structuredClone(proto), mac: `52:54:00:00:01:${i.toString(16).padStart(2, '0')}`, vendorClass: `${hostile}${i}`, archName: null }));
    const dom = dumpDom(renderAnalysisHtml(a), 'many');
    expect(devicesPart(dom).match(/<details class="device/g)).toHaveLength(PAGE_SIZE);
    expect(dom).toContain(`page 1 of ${Math.ceil(120 / PAGE_SIZE)}`);
    expect(dom).not.toMatch(/<img/i);
    expect(dom).toContain('&lt;img src=x onerror=alert(1)&gt;');
  }, 90_000);

  it('filters by outcome, vendor and search text given in the URL fragment', () => {
    const a = sampleAnalysis();
    const [good, bad] = a.clients;
    a.clients = Array.from({ length: 60 }, (_, i) => ({ ...structuredClone(i % 3 === 0 ? bad! : good!), mac: `52:54:00:00:02:${i.toString(16).padStart(2, '0')}` }));
    const html = renderAnalysisHtml(a);
    const failed = devicesPart(dumpDom(html, 'filter', [], '#outcome=failed'));
    expect(failed.match(/<details class="device o-failed/g)).toHaveLength(20);
    expect(failed).not.toContain('o-booted');
    const bios = devicesPart(dumpDom(html, 'filter', [], '#vendor=x86%20BIOS&mac=52:54:00:00:02:0'));
    expect(bios.match(/<details class="device/g)).toHaveLength(6); // 0x00, 0x03 … 0x0f
    const none = devicesPart(dumpDom(html, 'filter', [], '#q=no-such-text'));
    expect(none).not.toContain('<details');
  }, 90_000);

  it('inflates the compressed device data of a 10,000-device report and shows its first page', () => {
    const a = sampleAnalysis();
    const proto = a.clients[0]!;
    a.clients = Array.from({ length: 10_000 }, (_, i) => ({ ...structuredClone(proto), mac: `52:54:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}` }));
    const html = renderAnalysisHtml(a, { compressAbove: 0 });
    expect(html).toContain('application/gzip+base64');
    // The inflation is asynchronous: let the page run (virtual time) before the DOM is dumped.
    const dom = dumpDom(html, 'tenk', ['--virtual-time-budget=10000']);
    const part = devicesPart(dom);
    expect(part.match(/<details class="device/g)).toHaveLength(PAGE_SIZE);
    expect(part).toContain('52:54:00:01:00:00');
    expect(dom).toContain(`page 1 of ${10_000 / PAGE_SIZE}`);
  }, 90_000);
});
