/**
 * Remote mirrors, for real: the lab's client port (cl0-p on the bridge) is mirrored both ways by
 * tc (`matchall action mirred egress mirror`) into kernel tunnels — ERSPAN type II and III, gretap,
 * VXLAN on 4789 — that carry the copies from the "switch" (the client namespace, 203.0.113.1) to a
 * collector port in the server namespace (col0, one address per tunnel), where tcpdump records
 * what a mirror collector would. A real DHCP + TFTP exchange (dnsmasq, busybox udhcpc with a PXE
 * vendor class, busybox tftp) runs across the mirrored port, captured there directly as well.
 *
 * pxecheck must analyze each collector capture as it analyzes the direct one (same device, outcome
 * and steps, plus capture.remote-mirror), the outer switch→collector addresses never a device;
 * tshark, decoding the same file on its own, must see the messages pxecheck decoded. A tunnel the
 * kernel cannot build (no ip_gre / ip6_gre module) is skipped with the reason.
 *
 * KEEP_REMOTE_MIRROR=dir copies the captures there (how captures/lab/remote-mirror-* were made).
 */
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Analysis } from '../../src/analysis/types.js';
import { readCaptures } from '../../src/capture/index.js';
import { DecodePipeline } from '../../src/decode/pipeline.js';
import type { DecodedMessage } from '../../src/decode/messages.js';
import { createLab, makeBootRoot, run, runOk, SERVER_ADDR, sleep, startCapture, startDnsmasq, type Capture, type Lab } from '../../src/lab/index.js';
import { hasTshark } from '../helpers/tshark.js';
import { macToString } from '../../src/wire/bytes.js';
import { msgTypeName } from '../../src/wire/dhcpv4/accessors.js';

const exec = promisify(execFile);
const NAME = 'rmirror';
const MAC = '52:54:00:00:5f:01';
const SWITCH = '203.0.113.1';
/** Vendor class of a BIOS PXE client, so the exchange is a boot (dnsmasq offers the boot file). */
const PXE_VENDOR = 'PXEClient:Arch:00000:UNDI:002001';
const BOOT_FILE = 'vmlinuz'; // 4 KiB: eight TFTP blocks keep the captures small

interface TunnelSpec {
  kind: 'erspan2' | 'erspan3' | 'gretap' | 'vxlan';
  dev: string;
  /** The collector's address this tunnel sends to (one per tunnel, so each capture holds one). */
  remote: string;
  args: string[];
}

const TUNNELS: TunnelSpec[] = [
  { kind: 'erspan2', dev: 'ersp2', remote: '203.0.113.2', args: ['type', 'erspan', 'seq', 'key', '7', 'erspan_ver', '1', 'erspan', '7'] },
  { kind: 'erspan3', dev: 'ersp3', remote: '203.0.113.3', args: ['type', 'erspan', 'seq', 'key', '9', 'erspan_ver', '2', 'erspan_dir', 'ingress', 'erspan_hwid', '3'] },
  { kind: 'gretap', dev: 'gtap0', remote: '203.0.113.4', args: ['type', 'gretap', 'key', '5'] },
  { kind: 'vxlan', dev: 'vx0', remote: '203.0.113.5', args: ['type', 'vxlan', 'id', '42', 'dstport', '4789', 'dev', 'mir0'] },
];

function skipReason(): string {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (run('sh', ['-c', 'command -v ip && command -v tc && command -v dnsmasq && command -v busybox && command -v tcpdump']).code !== 0) return 'needs ip, tc, dnsmasq, busybox, tcpdump';
  return '';
}

/** Which tunnels this kernel builds (in a namespace made and removed here), with why not. */
function tunnelSupport(): Map<string, string> {
  const why = new Map<string, string>();
  if (skipReason() !== '') return why;
  const ns = `${NAME}-probe`;
  run('ip', ['netns', 'del', ns]);
  runOk('ip', ['netns', 'add', ns]);
  try {
    runOk('ip', ['-n', ns, 'link', 'add', 'mir0', 'type', 'veth', 'peer', 'name', 'col0']);
    for (const t of TUNNELS) {
      const r = run('ip', ['-n', ns, 'link', 'add', t.dev, ...t.args.slice(0, 2), 'local', SWITCH, 'remote', t.remote, ...t.args.slice(2)]);
      if (r.code !== 0) why.set(t.kind, `the kernel cannot build a ${t.args[1]} link (${(r.stderr || r.stdout).trim()}): module ip_gre/erspan missing`);
    }
  } finally {
    run('ip', ['netns', 'del', ns]);
  }
  return why;
}

const SKIP = skipReason();
const UNSUPPORTED = tunnelSupport();

/** The analysis without what differs between two captures of the same exchange: file, packet
 *  counts, frame numbers, times; the remote-mirror note set apart. */
function comparable(a: Analysis): unknown {
  return a.clients.map((c) => ({
    mac: c.mac, role: c.role, outcome: c.outcome, booted: c.booted, rootCause: c.rootCause,
    steps: c.steps.map((s) => ({ kind: s.kind, ok: s.ok, ...('messages' in s ? { messages: s.messages } : {}), ...('file' in s ? { file: (s as { file?: unknown }).file } : {}) })),
    attempts: c.attempts.map((t) => ({ outcome: t.outcome, stage: t.stage, bootProgram: t.bootProgram })),
  }));
}

/** What pxecheck decodes of a file: per frame, DHCPv4 (chaddr, type) and TFTP (opcode, block). */
async function pxecheckView(file: string): Promise<{ dhcp: string[]; tftp: string[]; tunnels: string[]; addrs: Set<string> }> {
  const dhcp: string[] = [];
  const tftp: string[] = [];
  const tunnels = new Set<string>();
  const addrs = new Set<string>();
  const pipe = new DecodePipeline({
    message(m: DecodedMessage) {
      // The collector's own answers to the tunnel (ICMP port unreachable for VXLAN) are its
      // traffic, in the file; everything else is the mirrored segment's.
      if (m.proto !== 'icmp') {
        addrs.add(m.srcAddr);
        addrs.add(m.dstAddr);
      }
      if (m.tunnel) tunnels.add(`${m.tunnel.kind} ${m.tunnel.src}>${m.tunnel.dst}`);
      if (m.proto === 'dhcp4') dhcp.push(`${m.frame} ${macToString(m.msg.chaddr)} ${msgTypeName(m.msg)}`);
      if (m.proto === 'tftp') tftp.push(`${m.frame} ${m.msg.opcode} ${m.msg.block ?? ''}`);
    },
  });
  await readCaptures(file, (rec) => pipe.push(rec));
  pipe.finish();
  return { dhcp, tftp, tunnels: [...tunnels], addrs };
}

/** busybox tftp asks for no blksize: RFC 1350's 512-byte blocks. */
const TFTP_BLOCK = 512;

/** Whether a capture file (maybe still being written) holds a TFTP message, e.g. 'ACK 9'. */
async function holdsTftp(file: string, message: string): Promise<boolean> {
  try {
    return (await pxecheckView(file)).tftp.some((t) => t.endsWith(` ${message}`));
  } catch {
    return false; // a record cut by the writer: the next poll reads it whole
  }
}

/** Polls `done` every 50 ms until it is true or `timeoutMs` passes; says which. */
async function settled(done: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await done()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
}

const OPCODES: Record<string, string> = { 1: 'RRQ', 2: 'WRQ', 3: 'DATA', 4: 'ACK', 5: 'ERROR', 6: 'OACK' };
const DHCP_TYPES: Record<string, string> = { 1: 'DISCOVER', 2: 'OFFER', 3: 'REQUEST', 5: 'ACK', 6: 'NAK' };

/** The same, as tshark decodes the file on its own. */
async function tsharkView(file: string): Promise<{ dhcp: string[]; tftp: string[] }> {
  const fields = async (filter: string, f: string[]): Promise<string[][]> => {
    const { stdout } = await exec('tshark', ['-n', '-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=;', '-e', 'frame.number', ...f.flatMap((x) => ['-e', x])], { timeout: 60_000 });
    return stdout.split('\n').filter(Boolean).map((l) => l.split(';'));
  };
  // Not in ICMP errors: tshark decodes the datagram an error quotes too.
  const dhcp = (await fields('dhcp && !icmp', ['dhcp.hw.mac_addr', 'dhcp.option.dhcp'])).map(([n, mac, t]) => `${n} ${mac!.split(',')[0]} ${DHCP_TYPES[t!] ?? t}`); // (option 61 repeats the MAC)
  const tftp = (await fields('tftp && !icmp', ['tftp.opcode', 'tftp.block'])).map(([n, op, b]) => `${n} ${OPCODES[op!] ?? op} ${b ?? ''}`);
  return { dhcp, tftp };
}

describe.skipIf(SKIP !== '')(`remote mirror captures from real kernel tunnels${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  let lab: Lab | undefined;
  const files = new Map<string, string>();
  let direct = '';

  beforeAll(async () => {
    lab = await createLab({ name: NAME });
    const { cli, srv } = lab.ns;
    await startDnsmasq(lab, { tftpRoot: makeBootRoot(join(lab.workDir, 'tftp')), biosBootFile: BOOT_FILE });
    lab.addClientInterface('cl0', MAC);
    // The mirror's own path: switch (client namespace) mir0 ── col0 collector (server namespace).
    runOk('ip', ['-n', cli, 'link', 'add', 'mir0', 'type', 'veth', 'peer', 'name', 'col0']);
    runOk('ip', ['-n', cli, 'link', 'set', 'col0', 'netns', srv]);
    runOk('ip', ['-n', cli, 'addr', 'add', `${SWITCH}/24`, 'dev', 'mir0']);
    runOk('ip', ['-n', cli, 'link', 'set', 'mir0', 'up']);
    for (const t of TUNNELS) runOk('ip', ['-n', srv, 'addr', 'add', `${t.remote}/24`, 'dev', 'col0']);
    runOk('ip', ['-n', srv, 'link', 'set', 'col0', 'up']);
    runOk('tc', ['-n', cli, 'qdisc', 'add', 'dev', 'cl0-p', 'clsact']);
    const captures: Capture[] = [];
    for (const t of TUNNELS) {
      if (UNSUPPORTED.has(t.kind)) continue;
      runOk('ip', ['-n', cli, 'link', 'add', t.dev, ...t.args.slice(0, 2), 'local', SWITCH, 'remote', t.remote, ...t.args.slice(2)]);
      runOk('ip', ['-n', cli, 'link', 'set', t.dev, 'up']);
      for (const dir of ['ingress', 'egress']) {
        // matchall, or u32's match-everything where the kernel has no cls_matchall.
        const mirror = ['action', 'mirred', 'egress', 'mirror', 'dev', t.dev];
        if (run('tc', ['-n', cli, 'filter', 'add', 'dev', 'cl0-p', dir, 'matchall', ...mirror]).code !== 0) {
          runOk('tc', ['-n', cli, 'filter', 'add', 'dev', 'cl0-p', dir, 'u32', 'match', 'u32', '0', '0', ...mirror]);
        }
      }
      const file = join(lab.workDir, `remote-mirror-${t.kind}.pcap`);
      files.set(t.kind, file);
      captures.push(await startCapture(lab, { ns: srv, iface: 'col0', file, filter: `host ${t.remote}` }));
    }
    direct = join(lab.workDir, 'remote-mirror-direct.pcap');
    // No filter: the port's own record holds every frame the mirror copies (ARP too), so the two
    // analyses start from the same frames.
    captures.push(await startCapture(lab, { ns: cli, iface: 'cl0-p', file: direct }));
    const script = join(lab.workDir, 'udhcpc.sh');
    runOk('sh', ['-c', `printf '#!/bin/sh\\n[ "$1" = bound ] && ip addr add "$ip/24" dev "$interface"\\nexit 0\\n' > ${script} && chmod 755 ${script}`]);
    await exec('ip', ['netns', 'exec', cli, 'busybox', 'udhcpc', '-i', 'cl0', '-n', '-q', '-t', '3', '-V', PXE_VENDOR, '-s', script], { timeout: 20_000 });
    const got = join(lab.workDir, 'got.bin');
    await exec('ip', ['netns', 'exec', cli, 'busybox', 'tftp', '-g', '-r', BOOT_FILE, '-l', got, SERVER_ADDR], { timeout: 15_000 });
    // Stop a capture only once it holds the exchange's last frame (the ACK of the short block that
    // ends the file): on a loaded machine a mirrored copy may still be on its way through the
    // tunnel or in tcpdump's ring when the client exits, and a frame one file lacks is a different
    // exchange to compare. Polled, bounded; a capture that never gets it is stopped all the same and
    // the tests say what it lacks. Then all stop at once, so none records much past the others.
    const lastAck = `ACK ${Math.floor(statSync(got).size / TFTP_BLOCK) + 1}`;
    for (const c of captures) await settled(() => holdsTftp(c.file, lastAck), 15_000);
    await Promise.all(captures.map((c) => c.stop()));
    const keep = process.env.KEEP_REMOTE_MIRROR;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      for (const f of [direct, ...files.values()]) copyFileSync(f, join(keep, f.split('/').pop()!));
    }
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  for (const t of TUNNELS) {
    const why = UNSUPPORTED.get(t.kind);
    it.skipIf(why !== undefined)(`${t.kind}: analyzes as the direct capture does, plus capture.remote-mirror${why ? ` (skipped: ${why})` : ''}`, async () => {
      const file = files.get(t.kind)!;
      const [viaTunnel, here] = [await analyzeCapture(file), await analyzeCapture(direct)];
      expect(here.clients.map((c) => c.mac)).toEqual([MAC]);
      expect(here.clients[0]!.steps.map((s) => s.kind)).toEqual(['dhcp4', 'tftp']);
      expect(comparable(viaTunnel)).toEqual(comparable(here));
      // The switch and the collector are the tunnel's ends, not devices of the boot.
      const json = JSON.stringify(viaTunnel.clients);
      expect(json).not.toContain(SWITCH);
      expect(json).not.toContain(t.remote);
      const note = viaTunnel.findings.filter((f) => f.code === 'capture.remote-mirror');
      expect(note).toHaveLength(1);
      expect(note[0]!.message).toContain(`from ${SWITCH} to ${t.remote}`);
      expect(viaTunnel.findings.map((f) => f.code).filter((c) => c !== 'capture.remote-mirror').sort())
        .toEqual(here.findings.map((f) => f.code).sort());
    });

    it.skipIf(why !== undefined || !hasTshark())(`${t.kind}: tshark decodes the same DHCP and TFTP messages in the same frames`, async () => {
      const file = files.get(t.kind)!;
      const [ours, theirs] = [await pxecheckView(file), await tsharkView(file)];
      expect(ours.dhcp.length).toBeGreaterThanOrEqual(4);
      expect(ours.dhcp).toEqual(theirs.dhcp);
      expect(ours.tftp.length).toBeGreaterThan(8);
      expect(ours.tftp).toEqual(theirs.tftp);
      expect(ours.tunnels).toEqual([`${t.kind === 'gretap' ? 'gre' : t.kind} ${SWITCH}>${t.remote}`]);
      expect(ours.addrs.has(t.remote)).toBe(false);
    });
  }
});
