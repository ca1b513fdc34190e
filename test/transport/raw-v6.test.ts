// The raw transport over IPv6 against a real Linux peer in a namespace pair joined by a veth:
// router solicitation answered by radvd, UDP to the peer's global address (the kernel solicits our
// client's address and we solicit its: neighbour discovery both ways), and HTTP over IPv6 to
// python's http.server. Only 2001:db8:fe::/64 and link-local addresses, in namespaces made here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';
import { privateBuild } from '../helpers/private-build.js';

const sh = (cmd: string, args: string[], timeout = 10_000) => spawnSync(cmd, args, { encoding: 'utf8', timeout });
const isRoot = process.getuid?.() === 0;
const hasTools = sh('sh', ['-c', 'command -v ip && command -v radvd && command -v python3']).status === 0;
const skipReason = !isRoot ? 'needs root (network namespaces, raw sockets)' : !hasTools ? 'needs ip, radvd, python3' : '';

const NS_PEER = `pxv6t-peer-${process.pid}`;
const NS_RAW = `pxv6t-raw-${process.pid}`;
const PEER = '2001:db8:fe::1';
const CLIENT = '2001:db8:fe::100';
const MAC = '02:00:00:7d:00:01';
const UDP_PORT = 7777;
const HTTP_PORT = 8080;
const SCRIPT = join(ROOT, 'test/transport/raw-v6-client.mjs');

const children: ChildProcess[] = [];
let work = '';
let dist = '';

function inNs(ns: string, cmd: string, args: string[]): void {
  const r = sh('ip', ['netns', 'exec', ns, cmd, ...args]);
  if (r.status !== 0) throw new Error(`${ns}: ${cmd} ${args.join(' ')}: ${r.stderr}`);
}

function background(ns: string, cmd: string, args: string[]): ChildProcess {
  const c = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  c.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  c.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  Object.assign(c, { log: () => log });
  children.push(c);
  return c;
}

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return pred();
}

describe.skipIf(skipReason !== '')(`raw transport over IPv6 in namespaces${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    dist = privateBuild().dist;
    work = mkdtempSync(join(tmpdir(), 'pxv6t-'));
    const python = sh('python3', ['-c', 'import sys; print(sys.executable)']).stdout.trim();
    for (const ns of [NS_PEER, NS_RAW]) sh('ip', ['netns', 'add', ns]);
    const ok = (r: ReturnType<typeof sh>): void => { if (r.status !== 0) throw new Error(r.stderr); };
    ok(sh('ip', ['link', 'add', 'v6peer', 'netns', NS_PEER, 'type', 'veth', 'peer', 'name', 'v6raw', 'netns', NS_RAW]));
    // The raw side: no kernel IPv6 on the interface (it would autoconfigure from radvd's RAs).
    inNs(NS_RAW, 'sysctl', ['-qw', 'net.ipv6.conf.v6raw.disable_ipv6=1']);
    inNs(NS_RAW, 'ip', ['link', 'set', 'v6raw', 'up']);
    inNs(NS_PEER, 'ip', ['link', 'set', 'lo', 'up']);
    inNs(NS_PEER, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']); // radvd wants a router
    inNs(NS_PEER, 'ip', ['addr', 'add', `${PEER}/64`, 'dev', 'v6peer', 'nodad']);
    inNs(NS_PEER, 'ip', ['link', 'set', 'v6peer', 'up']);
    // Link-local DAD must finish before radvd can send.
    await waitFor(() => !sh('ip', ['netns', 'exec', NS_PEER, 'ip', '-6', 'addr', 'show', 'dev', 'v6peer']).stdout.includes('tentative'), 20_000);
    const conf = join(work, 'radvd.conf');
    writeFileSync(conf, `interface v6peer {
  AdvSendAdvert on; MinRtrAdvInterval 30; MaxRtrAdvInterval 100;
  AdvManagedFlag on; AdvOtherConfigFlag on; AdvDefaultLifetime 1800;
  prefix 2001:db8:fe::/64 { AdvOnLink on; AdvAutonomous off; };
};
`);
    background(NS_PEER, 'radvd', ['-C', conf, '-p', join(work, 'radvd.pid'), '-n', '-m', 'stderr']);
    const echo = `import socket\ns = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\ns.bind(('${PEER}', ${UDP_PORT}))\nwhile True:\n    d, a = s.recvfrom(2048)\n    s.sendto(b'echo:' + d, a)\n`;
    background(NS_PEER, python, ['-c', echo]);
    writeFileSync(join(work, 'hello.txt'), 'hello over IPv6\n');
    background(NS_PEER, python, ['-m', 'http.server', String(HTTP_PORT), '--bind', PEER, '--directory', work]);
    await waitFor(() => sh('ip', ['netns', 'exec', NS_PEER, 'ss', '-ltnu']).stdout.includes(`:${HTTP_PORT}`), 20_000);
  }, 300_000);

  afterAll(() => {
    for (const c of children) if (c.pid !== undefined && c.exitCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const ns of [NS_PEER, NS_RAW]) sh('ip', ['netns', 'del', ns]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('gets radvd\'s RA for its RS, exchanges UDP with the kernel (NS/NA both ways) and GETs over TCP/IPv6', async () => {
    const cfg = { dist, iface: 'v6raw', mac: MAC, addr: CLIENT, peer: PEER, udpPort: UDP_PORT, httpPort: HTTP_PORT, nudWaitMs: 20_000 };
    const r = sh('ip', ['netns', 'exec', NS_RAW, process.execPath, SCRIPT, JSON.stringify(cfg)], 60_000);
    const line = r.stdout.trim().split('\n').pop() ?? '';
    let out: Record<string, any>;
    try { out = JSON.parse(line); } catch { throw new Error(`client failed (${r.status}): ${r.stderr.slice(-2000)} ${r.stdout.slice(-500)}`); }
    expect(out.warnings).toEqual([]); // disable_ipv6 left the interface without addresses
    expect(out.ra, JSON.stringify(out)).toMatchObject({
      managed: true, other: true, lifetime: 1800,
      prefixes: [{ prefix: '2001:db8:fe::', length: 64, onLink: true, autonomous: false }],
    });
    expect(out.ra.router).toMatch(/^fe80::/);
    expect(out.udp, JSON.stringify(out)).toEqual({ mac: MAC, from: PEER, to: CLIENT, text: 'echo:ping-v6' });
    // The kernel probed our client's address (unicast NS, NUD) and took our NA: its entry is usable.
    expect(out.ndRepliesBeforeTcp, JSON.stringify(out)).toBeGreaterThan(0);
    const neigh = sh('ip', ['netns', 'exec', NS_PEER, 'ip', '-6', 'neigh', 'show', 'dev', 'v6peer']).stdout;
    expect(neigh).toMatch(new RegExp(`${CLIENT} lladdr ${MAC} (router )?(REACHABLE|STALE|DELAY)`));
    expect(out.http, JSON.stringify(out)).toMatchObject({ status: 'HTTP/1.0 200 OK', body: 'hello over IPv6\n', end: { error: null } });
  }, 90_000);
});
