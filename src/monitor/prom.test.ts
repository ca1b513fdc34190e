// The exposition: what a scrape of the endpoint returns after a replayed capture, judged by
// promtool (Debian `prometheus`), in both formats; the endpoint's HTTP behaviour on loopback.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPTURES } from '../../test/helpers/paths.js';
import { exportedSeriesNames, METRICS } from './catalogue.js';
import { parseListenAddress } from './listen.js';
import { PromMetrics, wantsOpenMetrics } from './prom.js';
import { replayCapture } from './replay.js';
import { MetricsServerError, startMetricsServer } from './server.js';
import { MonitorCore } from './tracker.js';

const PROMTOOL = '/usr/bin/promtool';
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

async function replayed(file = 'lab/broken-two-dhcp-servers.pcapng'): Promise<PromMetrics> {
  const prom = new PromMetrics();
  await replayCapture(join(CAPTURES, file), new MonitorCore({ source: file, metrics: prom }), { snapshotEverySeconds: 1 });
  return prom;
}

function promtool(text: string): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('metrics exposition', () => {
  it.skipIf(!existsSync(PROMTOOL))('passes `promtool check metrics` (format and naming lint) after a capture', async () => {
    for (const file of ['lab/broken-two-dhcp-servers.pcapng', 'lab/lossy-tftp.pcapng', 'lab-v6/broken-ra-no-managed.pcapng']) {
      const { body } = await (await replayed(file)).render(undefined);
      const r = promtool(body);
      expect(r.out, file).toBe('');
      expect(r.code, file).toBe(0);
    }
    // promtool is a real judge: a counter without _total fails it.
    expect(promtool('# HELP x_bytes y\n# TYPE x_bytes counter\nx_bytes 1\n').code).not.toBe(0);
  });

  it('exports every metric of the catalogue, and the offers of each server', async () => {
    const { body } = await (await replayed()).render(undefined);
    for (const name of Object.keys(METRICS)) expect(body).toContain(`# TYPE ${name} `);
    const offers = [...body.matchAll(/^pxecheck_dhcp_offers_total\{kind="dhcp4",server="([^"]+)"\} (\d+)$/gm)];
    expect(offers.length).toBeGreaterThanOrEqual(2);
    for (const name of exportedSeriesNames().filter((n) => n.endsWith('_bucket'))) expect(body).toContain(`# TYPE ${name.replace(/_bucket$/, '')} histogram`);
  });

  it('speaks OpenMetrics to a scraper that asks for it, and the text format after that still has _total', async () => {
    const prom = await replayed();
    const om = await prom.render(PROMETHEUS_ACCEPT);
    expect(om.contentType).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    expect(om.body).toMatch(/^# TYPE pxecheck_boot_attempts_started counter$/m);
    expect(om.body).toMatch(/^pxecheck_boot_attempts_started_total\{entry="\w+"\} \d+$/m);
    const text = await prom.render('text/plain');
    expect(text.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text.body).toMatch(/^# TYPE pxecheck_boot_attempts_started_total counter$/m);
    expect(text.body).not.toContain('# EOF');
  });

  it('negotiates by the Accept header and its q values', () => {
    expect(wantsOpenMetrics(undefined)).toBe(false);
    expect(wantsOpenMetrics('*/*')).toBe(false);
    expect(wantsOpenMetrics(PROMETHEUS_ACCEPT)).toBe(true);
    expect(wantsOpenMetrics('text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5')).toBe(false);
    expect(wantsOpenMetrics('application/openmetrics-text;q=0')).toBe(false);
  });
});

describe('--metrics [ADDR:]PORT', () => {
  it('defaults to 127.0.0.1 and takes IPv4, [IPv6] and localhost', () => {
    expect(parseListenAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListenAddress('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
    expect(parseListenAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    for (const bad of ['', 'x', '::1:9464', '1.2.3:80', '9464x', '70000', 'host.example:80', '[1.2.3.4]:80']) expect(parseListenAddress(bad), bad).toBeNull();
  });
});

describe('metrics endpoint', () => {
  it('serves /metrics and nothing else; a port in use is a clear error', async () => {
    const prom = await replayed();
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, (a) => prom.render(a));
    try {
      const ok = await fetch(server.url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await ok.text()).toMatch(/^pxecheck_dhcp_offers_total\{/m);
      const om = await fetch(server.url, { headers: { accept: PROMETHEUS_ACCEPT } });
      expect(om.headers.get('content-type')).toMatch(/^application\/openmetrics-text/);
      expect((await om.text()).endsWith('# EOF\n')).toBe(true);
      const base = server.url.replace(/\/metrics$/, '');
      for (const path of ['/', '/metrics/', '/debug', '/favicon.ico']) expect((await fetch(base + path)).status, path).toBe(404);
      expect((await fetch(server.url, { method: 'POST', body: 'x' })).status).toBe(405);
      const clash = startMetricsServer({ host: '127.0.0.1', port: server.port }, (a) => prom.render(a));
      await expect(clash).rejects.toThrow(MetricsServerError);
      await expect(clash).rejects.toThrow(/^--metrics 127\.0\.0\.1:\d+: the port is in use/);
    } finally {
      await server.close();
    }
  });
});
