/**
 * Safety of what the runner sends (issue 15): `pxecheck run --interface erun0 --rate 20` with 60
 * clients, inside namespaces this test creates. Three captures run meanwhile: on the peer of erun0
 * (where the frames must go, and at no more than the rate), on a sibling interface of the runner's
 * namespace, and on the "host side" (a namespace standing in for the host, joined to the sibling):
 * the last two must see nothing from the runner. Then load mode's default ceiling (above it: exit 2
 * and not one frame on any of the three; raised with --max-load: it sends), and --max-pps in relay
 * mode (the relayed DHCP counted on the server's side of the veth).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptures } from '../../src/capture/index.js';
import { privateBuild } from '../helpers/private-build.js';
import { runCli } from './run-cli.js';

const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v tcpdump']).status === 0;
const skip = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs ip and tcpdump' : '';

const RUN = 'esafe-run';
const PEER = 'esafe-peer';
const HOST = 'esafe-host';
const RATE = 20;
const CLIENTS = 60;
const macOf = (i: number): string => `02:e5:00:00:00:${i.toString(16).padStart(2, '0')}`;

function sh(...args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

function scenario(): string {
  const clients = Array.from({ length: CLIENTS }, (_, i) =>
    `  - name: c${i}\n    persona: uefi-x64\n    mac: ${macOf(i)}\n    steps:\n      - dhcp: { within: 2s }\n`).join('');
  return `name: rate\nbudget: 30s\nclients:\n${clients}`;
}

/** A load scenario: the same clients arriving at `arrival` (above the default ceiling of 100/s). */
function stormScenario(arrival: string): string {
  return `name: storm\nbudget: 30s\nload: { arrival: ${arrival} }\nclients:\n` +
    `  - name: c\n    persona: uefi-x64\n    mac: { mac: "${macOf(0)}", count: ${CLIENTS} }\n    steps:\n      - dhcp: { within: 1s }\n`;
}

/** tcpdump on `iface` in `ns`, writing `file`; resolves once it listens. */
function tcpdump(ns: string, iface: string, file: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, 'tcpdump', '-i', iface, '-U', '-n', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) resolve(child);
    });
    child.once('exit', (c) => reject(new Error(`tcpdump on ${iface} exited (${c}): ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(); return; }
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}

/** Times of the frames in `file` sent by the scenario's clients (source MAC). */
async function clientFrames(file: string): Promise<{ all: number; times: number[] }> {
  const macs = new Set(Array.from({ length: CLIENTS }, (_, i) => macOf(i)));
  const times: number[] = [];
  let all = 0;
  await readCaptures(file, (rec) => {
    all++;
    const d = rec.data;
    const src = Array.from(d.subarray(6, 12), (b) => b.toString(16).padStart(2, '0')).join(':');
    if (macs.has(src)) times.push(rec.time);
  });
  return { all, times };
}

let dir = '';

describe.skipIf(skip !== '')(`what the runner sends${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 180_000 }, () => {
  beforeAll(() => {
    privateBuild();
    for (const ns of [RUN, PEER, HOST]) {
      spawnSync('ip', ['netns', 'del', ns]);
      sh('ip', 'netns', 'add', ns);
      // No IPv6 autoconfiguration chatter: every frame seen is someone's on purpose.
      sh('ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
      sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
    }
    sh('ip', 'link', 'add', 'erun0', 'netns', RUN, 'type', 'veth', 'peer', 'name', 'epeer0', 'netns', PEER);
    sh('ip', 'link', 'add', 'esib0', 'netns', RUN, 'type', 'veth', 'peer', 'name', 'ehost0', 'netns', HOST);
    for (const [ns, dev] of [[RUN, 'erun0'], [PEER, 'epeer0'], [RUN, 'esib0'], [HOST, 'ehost0']] as const) {
      sh('ip', '-n', ns, 'link', 'set', dev, 'up');
    }
    dir = mkdtempSync(join(tmpdir(), 'pxecheck-send-safety-'));
    writeFileSync(join(dir, 'rate.yaml'), scenario());
    writeFileSync(join(dir, 'storm.yaml'), stormScenario('500/s'));
  }, 300_000);
  afterAll(() => {
    for (const ns of [RUN, PEER, HOST]) spawnSync('ip', ['netns', 'del', ns]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`sends only on its interface, at no more than --rate ${RATE}`, async () => {
    const files = { peer: join(dir, 'peer.pcap'), sibling: join(dir, 'sibling.pcap'), host: join(dir, 'host.pcap') };
    const dumps = [
      await tcpdump(PEER, 'epeer0', files.peer),
      await tcpdump(RUN, 'esib0', files.sibling),
      await tcpdump(HOST, 'ehost0', files.host),
    ];
    let run;
    try {
      run = runCli(['run', join(dir, 'rate.yaml'), '--interface', 'erun0', '--server', '198.51.100.1', '--rate', String(RATE), '--format', 'json'], 90_000, RUN);
    } finally {
      await new Promise((r) => setTimeout(r, 500)); // the last frames reach the captures
      for (const d of dumps) await stop(d);
    }
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(run.code, run.stderr).toBe(1); // no server: every DORA fails, the run ends by itself

    const peer = await clientFrames(files.peer);
    expect(peer.times.length).toBeGreaterThanOrEqual(CLIENTS); // every client's DISCOVER went out here
    // Rate: in no one-second window more than the rate (plus its burst of a tenth), with slack.
    const t = peer.times.sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < t.length; i++) {
      while (t[i]! - t[j]! >= 1) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(Math.ceil(RATE * 1.5));
    const span = t[t.length - 1]! - t[0]!;
    expect(span).toBeGreaterThan(((t.length - RATE / 10) / RATE) * 0.7);

    // Nothing at all on the sibling interface or the host side.
    for (const f of [files.sibling, files.host]) {
      const seen = await clientFrames(f);
      expect(seen.all).toBe(0);
    }
  });

  /** Runs pxecheck with the three captures on; returns the run and what each capture saw from the clients. */
  async function captured(name: string, args: string[]) {
    const files = { peer: join(dir, `${name}-peer.pcap`), sibling: join(dir, `${name}-sibling.pcap`), host: join(dir, `${name}-host.pcap`) };
    const dumps = [
      await tcpdump(PEER, 'epeer0', files.peer),
      await tcpdump(RUN, 'esib0', files.sibling),
      await tcpdump(HOST, 'ehost0', files.host),
    ];
    let run;
    try {
      run = runCli(args, 90_000, RUN);
    } finally {
      await new Promise((r) => setTimeout(r, 500));
      for (const d of dumps) await stop(d);
    }
    return { run, peer: await clientFrames(files.peer), sibling: await clientFrames(files.sibling), host: await clientFrames(files.host) };
  }

  it('load above the default ceiling: one line, exit 2, not one frame anywhere; raised on purpose (--max-load), it sends', async () => {
    const storm = join(dir, 'storm.yaml');
    const refused = await captured('refused', ['run', storm, '--interface', 'erun0', '--server', '198.51.100.1', '--format', 'json']);
    expect(refused.run.code, refused.run.stderr).toBe(2);
    expect(refused.run.stderr.trim()).toMatch(/^pxecheck: .*storm\.yaml: load asks for 500 new clients per second, above the default ceiling of 100: raise it on purpose \(--max-load arrival-rate=500\).*nothing was sent$/);
    for (const seen of [refused.peer, refused.sibling, refused.host]) expect(seen.all).toBe(0);

    const raised = await captured('raised', ['run', storm, '--interface', 'erun0', '--server', '198.51.100.1', '--format', 'json', '--max-load', 'arrival-rate=500']);
    expect(raised.run.stderr).not.toMatch(/at .*\.js:\d+|ceiling/);
    expect(raised.run.code, raised.run.stderr).toBe(1); // ran: no server, so every DORA fails
    expect(raised.peer.times.length).toBeGreaterThanOrEqual(CLIENTS);
    expect(raised.sibling.all + raised.host.all).toBe(0);
  });

  it(`relay mode keeps --max-pps ${RATE} too (counted at the server's side)`, async () => {
    // The relay address on erun0, the "server" on its peer: the relayed DISCOVERs cross the veth.
    sh('ip', '-n', RUN, 'addr', 'add', '198.51.100.2/24', 'dev', 'erun0');
    sh('ip', '-n', PEER, 'addr', 'add', '198.51.100.1/24', 'dev', 'epeer0');
    const file = join(dir, 'relay-peer.pcap');
    const dump = await tcpdump(PEER, 'epeer0', file);
    let run;
    try {
      run = runCli(['run', join(dir, 'rate.yaml'), '--relay-from', '198.51.100.2', '--server', '198.51.100.1', '--max-pps', String(RATE), '--format', 'json'], 90_000, RUN);
    } finally {
      await new Promise((r) => setTimeout(r, 500));
      await stop(dump);
    }
    expect(run.code, run.stderr).toBe(1);
    const times: number[] = [];
    await readCaptures(file, (rec) => {
      const d = rec.data;
      // IPv4 (ethertype 0x0800), UDP, to port 67: a relayed client message.
      if (d[12] === 0x08 && d[13] === 0x00 && d[23] === 17 && ((d[36]! << 8) | d[37]!) === 67) times.push(rec.time);
    });
    expect(times.length).toBeGreaterThanOrEqual(CLIENTS);
    const t = times.sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < t.length; i++) {
      while (t[i]! - t[j]! >= 1) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(Math.ceil(RATE * 1.5));
    expect(t[t.length - 1]! - t[0]!).toBeGreaterThan(((t.length - RATE / 10) / RATE) * 0.7);
  });
});
