// `pxecheck capture` for real: libpcap on a mirror port of a lab segment (dnsmasq DHCP + TFTP,
// busybox udhcpc + tftp as the client). The lab lives in network namespaces; the capture runs in
// this process, so one end of a veth pair is moved into this namespace (no address, IPv6 off) and
// the other end is bridged into the lab, with the bridge flooding every frame (ageing 0) so the
// port sees unicast TFTP too. Deleting the lab's namespaces deletes the pair.
import { execFile } from 'node:child_process';
import { existsSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCaptureArgs, runCapture, type CaptureIo } from '../../src/cli/capture.js';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Dhcp4Step, TftpStep } from '../../src/flow/types.js';
import {
  createLab, listNamespaces, makeBootRoot, run, runOk, SERVER_ADDR, startDnsmasq, type Lab,
} from '../../src/lab/index.js';

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v busybox']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces, raw capture)' : !hasTools ? 'needs ip, dnsmasq, busybox' : '';
const LAB = 'pxcap';
/** Root-namespace end of the mirror port (≤ 15 characters, unique per test process). */
const MON = `pxcmon${process.pid % 100000}`;
const FILE = 'vmlinuz';

/** Deleting one end of a veth deletes both (namespace deletion would too, but asynchronously). */
function removeMirror(): void {
  if (existsSync(`/sys/class/net/${MON}`)) run('ip', ['link', 'delete', MON]);
}

function io(): CaptureIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: (s) => (out += s), stderr: (s) => (err += s), stdoutIsTTY: false, env: {}, out: () => out, err: () => err };
}

describe('capture: unknown interface', () => {
  it('exits 2 with a message naming the interface', async () => {
    const o = io();
    const code = await runCapture(checkCaptureArgs({ interface: 'pxnosuch0', duration: '1' }), o);
    expect(code).toBe(2);
    expect(o.err()).toMatch(/no network interface named pxnosuch0/);
    expect(o.out()).toBe('');
  });
});

describe.skipIf(skipReason !== '')(`capture on a lab segment${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let lab: Lab;
  let tftpRoot: string;

  beforeAll(async () => {
    lab = await createLab({ name: LAB });
    tftpRoot = makeBootRoot(join(lab.workDir, 'tftp'));
    await startDnsmasq(lab, { tftpRoot, biosBootFile: 'undionly.kpxe' });
    lab.addClientInterface('cl0', '52:54:00:00:0e:f1');
    const cli = lab.ns.cli;
    runOk('ip', ['-n', cli, 'link', 'set', lab.bridge, 'type', 'bridge', 'ageing_time', '0']);
    runOk('ip', ['-n', cli, 'link', 'add', MON, 'type', 'veth', 'peer', 'name', 'mon-p']);
    runOk('ip', ['-n', cli, 'link', 'set', 'mon-p', 'master', lab.bridge, 'up']);
    runOk('ip', ['-n', cli, 'link', 'set', MON, 'netns', String(process.pid)]);
    runOk('sysctl', ['-qw', `net.ipv6.conf.${MON}.disable_ipv6=1`]);
    runOk('ip', ['link', 'set', MON, 'up']);
    // udhcpc's script: put the leased address on cl0 so the TFTP client uses it.
    const script = join(lab.workDir, 'udhcpc.sh');
    writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && ip addr add "$ip/24" dev "$interface"\nexit 0\n');
    chmodSync(script, 0o755);
  }, 60_000);

  afterAll(async () => {
    removeMirror();
    await lab?.destroy();
  });

  it('prints DHCP and TFTP steps as they happen, writes a pcapng that analyze reads back, ends at --duration', async () => {
    const o = io();
    const file = join(lab.workDir, 'live.pcapng');
    const started = Date.now();
    const capture = runCapture(checkCaptureArgs({ interface: MON, write: file, duration: '8' }), o);
    let live = '';
    try {
      // The open is synchronous inside runCapture: the capture listens before any traffic starts.
      const cli = lab.ns.cli;
      const script = join(lab.workDir, 'udhcpc.sh');
      await exec('ip', ['netns', 'exec', cli, 'busybox', 'udhcpc', '-i', 'cl0', '-n', '-q', '-t', '3', '-s', script], { timeout: 15_000 });
      await exec('ip', ['netns', 'exec', cli, 'busybox', 'tftp', '-g', '-r', FILE, '-l', join(lab.workDir, 'got.bin'), SERVER_ADDR], { timeout: 10_000 });
      // The printer shows the TFTP step once its last packets are read: wait for it (bounded), no fixed sleep.
      const until = Date.now() + 10_000;
      while (!/ 52:54:00:00:0e:f1 tftp /.test(o.out()) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      live = o.out();
    } finally {
      // Never leave the capture running when the lab goes away (see afterAll).
      expect(await capture).toBe(0);
    }
    // Lines appeared while capturing, not only at the end: one DHCP line for the client that went
    // from DISCOVER to ACK with its address and boot file, and one TFTP line. The message sequence
    // is not pinned: dnsmasq may leave the first DISCOVER unanswered (its address probe), udhcpc
    // repeats it, and the printer may show that as `→DISCOVER→OFFER` or `DISCOVER×2→OFFER×2`.
    const dhcpLine = live.split('\n').find((l) => / 52:54:00:00:0e:f1 dhcp4 /.test(l));
    expect(dhcpLine, live).toBeDefined();
    expect(dhcpLine).toMatch(/DISCOVER/);
    expect(dhcpLine).toMatch(/ACK ok 198\.51\.100\.\d+ boot undionly\.kpxe /);
    expect(dhcpLine!.indexOf('DISCOVER')).toBeLessThan(dhcpLine!.indexOf('ACK'));
    const tftpLine = live.split('\n').find((l) => / 52:54:00:00:0e:f1 tftp /.test(l));
    expect(tftpLine, live).toMatch(new RegExp(`RRQ ${FILE} ok 4096 bytes`));
    // --duration 8 ends it by itself: not before 8 s; the upper bound only catches a hang.
    const elapsed = (Date.now() - started) / 1000;
    expect(elapsed).toBeGreaterThanOrEqual(7.9);
    expect(elapsed).toBeLessThan(30);
    expect(statSync(join(lab.workDir, 'got.bin')).size).toBe(4096);

    const out = o.out();
    // Kernel drops come from pcap_stats (a number, not "unknown").
    expect(out).toMatch(/Capture ended \(--duration 8 s\): \d+ packets \(pxcmon\d+: \d+ received, dropped: \d+ by the kernel/);
    expect(o.err()).not.toMatch(/Warning:|This may not actually work/);
    expect(out).toContain(`Wrote: ${file}`);

    const a = await analyzeCapture(file);
    const chain = a.clients.find((c) => c.mac === '52:54:00:00:0e:f1')!;
    expect(chain).toBeDefined();
    const dhcp = chain.steps.filter((s): s is Dhcp4Step => s.kind === 'dhcp4');
    const tftp = chain.steps.filter((s): s is TftpStep => s.kind === 'tftp');
    expect(dhcp.some((s) => s.ok && s.bootfile === 'undionly.kpxe')).toBe(true);
    expect(tftp).toEqual([expect.objectContaining({ file: FILE, ok: true, complete: true, bytes: 4096 })]);
    // One printed line per step of the analysis (same engine, same frames).
    const stepLines = out.split('\n').filter((l) => / (dhcp4|proxydhcp|dhcp6|tftp|http)( \(\w+\))? /.test(l) && /^\d\d:\d\d:\d\d\.\d{3} /.test(l));
    const allSteps = a.clients.reduce((n, c) => n + c.steps.length, 0);
    expect(stepLines).toHaveLength(allSteps);
  }, 40_000);

  it('leaves no namespace, interface or process behind', async () => {
    removeMirror();
    await lab.destroy();
    expect(listNamespaces().filter((n) => n.startsWith(`${LAB}-`))).toEqual([]);
    expect(existsSync(`/sys/class/net/${MON}`)).toBe(false);
    for (const p of lab.processes) expect(p.exit).not.toBeUndefined();
  });
});
