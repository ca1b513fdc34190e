// `pxecheck capture --metrics --events` for real: a boot on a lab segment (dnsmasq DHCP + TFTP,
// busybox udhcpc + tftp as the client, watched through a mirror port as in live-lab.test.ts)
// while the endpoint is scraped over HTTP. The scrapes pass `promtool check metrics`; once the boot
// has settled, the counters equal what `analyze` says of the pcapng the same capture wrote, and
// the offers per server equal tshark's count; every --events line is a valid pxecheck.events/1
// event, each step, attempt and finding exactly once.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { checkCaptureArgs, runCapture, type CaptureIo } from '../../src/cli/capture.js';
import { createLab, listNamespaces, makeBootRoot, run, runOk, SERVER_ADDR, startDnsmasq, type Lab } from '../../src/lab/index.js';
import { monitorEventSchema } from '../../src/monitor/events-schema.js';
import { hasTshark, tsharkFields } from '../helpers/tshark.js';

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const PROMTOOL = '/usr/bin/promtool';
const hasTools = run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v busybox']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces, raw capture)'
  : !hasTools ? 'needs ip, dnsmasq, busybox' : !existsSync(PROMTOOL) ? 'needs promtool (Debian prometheus)' : '';
const LAB = 'cmetrics';
const MON = `cmon${process.pid % 100000}`;
const MAC = '52:54:00:00:0c:01';

function removeMirror(): void {
  if (existsSync(`/sys/class/net/${MON}`)) run('ip', ['link', 'delete', MON]);
}

function io(): CaptureIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: (s) => (out += s), stderr: (s) => (err += s), stdoutIsTTY: false, env: {}, out: () => out, err: () => err };
}

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
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab({ name: LAB });
    const tftpRoot = makeBootRoot(join(lab.workDir, 'tftp'));
    await startDnsmasq(lab, { tftpRoot, biosBootFile: 'undionly.kpxe' });
    lab.addClientInterface('cl0', MAC);
    const cli = lab.ns.cli;
    runOk('ip', ['-n', cli, 'link', 'set', lab.bridge, 'type', 'bridge', 'ageing_time', '0']);
    runOk('ip', ['-n', cli, 'link', 'add', MON, 'type', 'veth', 'peer', 'name', 'cmon-p']);
    runOk('ip', ['-n', cli, 'link', 'set', 'cmon-p', 'master', lab.bridge, 'up']);
    runOk('ip', ['-n', cli, 'link', 'set', MON, 'netns', String(process.pid)]);
    runOk('sysctl', ['-qw', `net.ipv6.conf.${MON}.disable_ipv6=1`]);
    runOk('ip', ['link', 'set', MON, 'up']);
    const script = join(lab.workDir, 'udhcpc.sh');
    writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && ip addr add "$ip/24" dev "$interface"\nexit 0\n');
    chmodSync(script, 0o755);
  }, 60_000);

  afterAll(async () => {
    removeMirror();
    await lab?.destroy();
  });

  it('scrapes valid metrics during the boot that equal the analysis of the capture; events once each', async () => {
    const o = io();
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

      const cli = lab.ns.cli;
      await exec('ip', ['netns', 'exec', cli, 'busybox', 'udhcpc', '-i', 'cl0', '-n', '-q', '-t', '3', '-s', join(lab.workDir, 'udhcpc.sh')], { timeout: 15_000 });
      await exec('ip', ['netns', 'exec', cli, 'busybox', 'tftp', '-g', '-r', 'vmlinuz', '-l', join(lab.workDir, 'got.bin'), SERVER_ADDR], { timeout: 10_000 });
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
    removeMirror();
    await lab.destroy();
    expect(listNamespaces().filter((n) => n.startsWith(`${LAB}-`))).toEqual([]);
    expect(existsSync(`/sys/class/net/${MON}`)).toBe(false);
    for (const p of lab.processes) expect(p.exit).not.toBeUndefined();
  });
});
