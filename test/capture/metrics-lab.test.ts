// `pxecheck capture --metrics --events` for real: a boot on a lab segment (dnsmasq DHCP + TFTP,
// busybox udhcpc + tftp as the client, watched through a mirror port as in live-lab.test.ts)
// while the endpoint is scraped over HTTP. The scrapes pass `promtool check metrics`; once the boot
// has settled, the counters equal what `analyze` says of the pcapng the same capture wrote, and
// the offers per server equal tshark's count; every --events line is a valid pxecheck.events/1
// event, each step, attempt and finding exactly once.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { checkCaptureArgs, runCapture } from '../../src/cli/capture.js';
import { SERVER_ADDR } from '../../src/lab/index.js';
import { monitorEventSchema } from '../../src/monitor/events-schema.js';
import { hasTshark, tsharkFields } from '../helpers/tshark.js';
import { bootClient, captureIo as io, leavesNothing, mirrorSkipReason, useMirrorLab } from './mirror-lab.js';

const PROMTOOL = '/usr/bin/promtool';
const skipReason = mirrorSkipReason() || (!existsSync(PROMTOOL) ? 'needs promtool (Debian prometheus)' : '');
const LAB = 'cmetrics';
const MON = `cmon${process.pid % 100000}`;
const MAC = '52:54:00:00:0c:01';

/** `name{labels} value` lines of the text format, summed per series name and label filter. */
function sample(text: string, name: string, where: Record<string, string> = {}): number {
  let n = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) {
    const labels = m[1] ?? '';
    if (Object.entries(where).every(([k, v]) => labels.includes(`${k}="${v}"`))) n += Number(m[2]);
  }
  return n;
}

function promtool(text: string): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skipReason !== '')(`capture --metrics --events on a lab segment${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const mirror = useMirrorLab(LAB, MON, MAC);

  it('scrapes valid metrics during the boot that equal the analysis of the capture; events once each', async () => {
    const o = io();
    const lab = mirror.lab;
    const file = join(lab.workDir, 'metrics.pcapng');
    const eventsFile = join(lab.workDir, 'events.jsonl');
    // Stopped like Ctrl-C once the scrapes are done; --duration only bounds a hang.
    let interrupt = (): void => {};
    const capture = runCapture(checkCaptureArgs({ interface: MON, write: file, duration: '40', metrics: '127.0.0.1:0', events: eventsFile }), o, {
      onInterrupt: (fn) => {
        interrupt = fn;
        return () => {};
      },
    });
    const scrapes: string[] = [];
    try {
      // The endpoint is up before any traffic (its URL, with the port bound, is on stderr).
      const until = Date.now() + 10_000;
      while (!/metrics on (http:\S+)/.test(o.err()) && Date.now() < until) await sleep(20);
      const url = /metrics on (http:\S+)/.exec(o.err())?.[1];
      expect(url, o.err()).toBeDefined();
      const first = await fetch(url!);
      expect(first.status).toBe(200);
      scrapes.push(await first.text());

      await bootClient(mirror, 'vmlinuz');
      // Scrape until the boot attempt has settled and is counted (bounded; the capture runs on).
      const settled = Date.now() + 18_000;
      for (;;) {
        const body = await (await fetch(url!)).text();
        scrapes.push(body);
        if (sample(body, 'pxecheck_boot_attempts_finished_total') + sample(body, 'pxecheck_steps_total') >= 3 &&
            sample(body, 'pxecheck_tftp_bytes_total') > 0 && sample(body, 'pxecheck_boot_attempts_finished_total') >= 1) break;
        if (Date.now() > settled) break;
        await sleep(500);
      }
    } finally {
      interrupt();
      expect(await capture).toBe(0);
    }
    const last = scrapes.at(-1)!;
    for (const s of [scrapes[0]!, last]) {
      const r = promtool(s);
      expect(r.out).toBe('');
      expect(r.code).toBe(0);
    }
    // The endpoint was live from the start: no boot yet in the first scrape.
    expect(sample(scrapes[0]!, 'pxecheck_dhcp_messages_total')).toBe(0);

    const a = await analyzeCapture(file);
    const boots = a.clients.flatMap((c) => c.attempts).filter((at) => at.outcome !== 'not-a-boot');
    expect(boots.length, JSON.stringify(a.clients.map((c) => [c.mac, c.role, c.attempts.map((at) => at.outcome)]))).toBeGreaterThanOrEqual(1);
    expect(sample(last, 'pxecheck_boot_attempts_started_total')).toBe(boots.length);
    expect(sample(last, 'pxecheck_boot_attempts_finished_total')).toBe(boots.length);
    for (const outcome of ['booted', 'failed', 'incomplete']) {
      expect(sample(last, 'pxecheck_boot_attempts_finished_total', { outcome }), outcome).toBe(boots.filter((at) => at.outcome === outcome).length);
    }
    const tftp = a.clients.flatMap((c) => c.steps).filter((s) => s.kind === 'tftp');
    expect(sample(last, 'pxecheck_tftp_bytes_total')).toBe(tftp.reduce((n, s) => n + s.bytes, 0));
    expect(sample(last, 'pxecheck_devices', { role: 'boot' })).toBe(a.summary.clients);
    expect(sample(last, 'pxecheck_capture_packets_received_total', { interface: MON })).toBeGreaterThan(0);
    // Offers per server: what tshark counts in the same frames.
    const offers = sample(last, 'pxecheck_dhcp_offers_total', { kind: 'dhcp4', server: SERVER_ADDR });
    expect(offers).toBeGreaterThanOrEqual(1);
    if (hasTshark()) {
      const rows = tsharkFields(file, ['dhcp.option.dhcp_server_id'], { filter: 'dhcp.option.dhcp == 2', occurrence: 'f' });
      expect(offers).toBe(rows.filter(([sid]) => sid === SERVER_ADDR).length);
    }

    const lines = readFileSync(eventsFile, 'utf8').split('\n').filter((l) => l !== '');
    const events = lines.map((l) => monitorEventSchema.parse(JSON.parse(l)));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.filter((e) => e.kind === 'step')).toHaveLength(a.clients.reduce((n, c) => n + c.steps.length, 0));
    expect(events.filter((e) => e.kind === 'attempt')).toHaveLength(a.clients.reduce((n, c) => n + c.attempts.length, 0));
    expect(events.filter((e) => e.kind === 'finding')).toHaveLength(a.findings.length);
    expect(events.find((e) => e.kind === 'step' && e.step === 'tftp')).toMatchObject({ device: MAC, result: 'ok', server: SERVER_ADDR });
    expect(o.out()).toMatch(/Events: \d+ steps, \d+ attempts, \d+ findings to /);
  }, 90_000);

  it('leaves no namespace, interface or process behind', async () => {
    await leavesNothing(mirror, LAB);
  });
});
