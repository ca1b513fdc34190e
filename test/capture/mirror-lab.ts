// A lab segment the capture tests watch from this process: dnsmasq (DHCP + TFTP) in the lab, a
// client interface for busybox udhcpc + tftp, and a mirror port. The lab lives in network
// namespaces; the capture runs in this process, so one end of a veth pair is moved into this
// namespace (no address, IPv6 off) and the other end is bridged into the lab, with the bridge
// flooding every frame (ageing 0) so the port sees unicast TFTP too. Deleting the lab's namespaces
// deletes the pair.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect } from 'vitest';
import type { CaptureIo } from '../../src/cli/capture.js';
import { createLab, listNamespaces, makeBootRoot, run, runOk, SERVER_ADDR, startDnsmasq, type Lab } from '../../src/lab/index.js';

const exec = promisify(execFile);

/** Why the mirror-port tests cannot run here ('' when they can). */
export function mirrorSkipReason(): string {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, raw capture)';
  return run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v busybox']).code === 0 ? '' : 'needs ip, dnsmasq, busybox';
}

/** Capture output collected in strings. */
export function captureIo(): CaptureIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: (s) => (out += s), stderr: (s) => (err += s), stdoutIsTTY: false, env: {}, out: () => out, err: () => err };
}

/** The lab of a test file, ready once its beforeAll has run; `mon` is the mirror port in this namespace. */
export interface MirrorLab { readonly lab: Lab; readonly mon: string }

/**
 * Registers the hooks of mirror lab `name` (call it inside the describe): beforeAll builds it with
 * a client interface cl0 of MAC `mac` and the mirror port `mon` (≤ 15 characters, unique per test
 * process); afterAll removes the port and the lab (`leavesNothing` checks it did, as a test).
 */
export function useMirrorLab(name: string, mon: string, mac: string): MirrorLab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await createLab({ name });
    await startDnsmasq(lab, { tftpRoot: makeBootRoot(join(lab.workDir, 'tftp')), biosBootFile: 'undionly.kpxe' });
    lab.addClientInterface('cl0', mac);
    const cli = lab.ns.cli;
    runOk('ip', ['-n', cli, 'link', 'set', lab.bridge, 'type', 'bridge', 'ageing_time', '0']);
    runOk('ip', ['-n', cli, 'link', 'add', mon, 'type', 'veth', 'peer', 'name', 'mon-p']);
    runOk('ip', ['-n', cli, 'link', 'set', 'mon-p', 'master', lab.bridge, 'up']);
    runOk('ip', ['-n', cli, 'link', 'set', mon, 'netns', String(process.pid)]);
    runOk('sysctl', ['-qw', `net.ipv6.conf.${mon}.disable_ipv6=1`]);
    runOk('ip', ['link', 'set', mon, 'up']);
    // udhcpc's script: put the leased address on cl0 so the TFTP client uses it.
    const script = join(lab.workDir, 'udhcpc.sh');
    writeFileSync(script, '#!/bin/sh\n[ "$1" = bound ] && ip addr add "$ip/24" dev "$interface"\nexit 0\n');
    chmodSync(script, 0o755);
  }, 60_000);
  afterAll(async () => {
    removeMirror(mon);
    await lab?.destroy();
  });
  return {
    get lab(): Lab {
      if (lab === undefined) throw new Error(`mirror lab ${name}: used before its beforeAll built it`);
      return lab;
    },
    mon,
  };
}

/** Deleting one end of a veth deletes both (namespace deletion would too, but asynchronously). */
function removeMirror(mon: string): void {
  if (existsSync(`/sys/class/net/${mon}`)) run('ip', ['link', 'delete', mon]);
}

/** The client boots: busybox udhcpc on cl0, then busybox tftp fetches `file` into the lab's got.bin. */
export async function bootClient(m: MirrorLab, file: string): Promise<void> {
  const { lab } = m;
  const cli = lab.ns.cli;
  await exec('ip', ['netns', 'exec', cli, 'busybox', 'udhcpc', '-i', 'cl0', '-n', '-q', '-t', '3', '-s', join(lab.workDir, 'udhcpc.sh')], { timeout: 15_000 });
  await exec('ip', ['netns', 'exec', cli, 'busybox', 'tftp', '-g', '-r', file, '-l', join(lab.workDir, 'got.bin'), SERVER_ADDR], { timeout: 10_000 });
}

/** Takes the lab down now and checks no namespace, interface or process of it is left. */
export async function leavesNothing(m: MirrorLab, name: string): Promise<void> {
  removeMirror(m.mon);
  await m.lab.destroy();
  expect(listNamespaces().filter((n) => n.startsWith(`${name}-`))).toEqual([]);
  expect(existsSync(`/sys/class/net/${m.mon}`)).toBe(false);
  for (const p of m.lab.processes) expect(p.exit).not.toBeUndefined();
}
