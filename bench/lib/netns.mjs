// Namespaces for the transport benchmarks: a server namespace with a bridge on 198.18.0.1/15
// (RFC 2544 benchmarking range) and a client namespace with two veths on that bridge:
//   raw0  no address, kernel IPv6 off (pxecheck's raw transport)
//   ip0   198.18.0.2/15 (the peer tool: perfdhcp as a relay, curl)
// Everything lives inside the namespaces; deleting them removes every link.
import { spawn, spawnSync } from 'node:child_process';

export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, ...opts });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r;
}

export const SERVER = '198.18.0.1';
export const PEER = '198.18.0.2';

export function createBenchNet(name) {
  const srv = `${name}-srv`;
  const cli = `${name}-cli`;
  destroyBenchNet(name);
  sh('ip', ['netns', 'add', srv]);
  sh('ip', ['netns', 'add', cli]);
  const inSrv = (...a) => sh('ip', ['netns', 'exec', srv, ...a]);
  const inCli = (...a) => sh('ip', ['netns', 'exec', cli, ...a]);
  inSrv('ip', 'link', 'set', 'lo', 'up');
  inCli('ip', 'link', 'set', 'lo', 'up');
  inSrv('ip', 'link', 'add', 'br0', 'type', 'bridge');
  inSrv('ip', 'addr', 'add', `${SERVER}/15`, 'dev', 'br0');
  inSrv('ip', 'link', 'set', 'br0', 'up');
  for (const [inner, outer] of [['raw0', 'sraw'], ['ip0', 'sip']]) {
    inSrv('ip', 'link', 'add', outer, 'type', 'veth', 'peer', 'name', inner, 'netns', cli);
    inSrv('ip', 'link', 'set', outer, 'master', 'br0');
    inSrv('ip', 'link', 'set', outer, 'up');
  }
  inCli('sysctl', '-qw', 'net.ipv6.conf.raw0.disable_ipv6=1');
  inCli('ip', 'link', 'set', 'raw0', 'up');
  inCli('ip', 'addr', 'add', `${PEER}/15`, 'dev', 'ip0');
  inCli('ip', 'link', 'set', 'ip0', 'up');
  return { srv, cli, inSrv, inCli };
}

export function destroyBenchNet(name) {
  for (const ns of [`${name}-srv`, `${name}-cli`]) {
    const pids = sh('ip', ['netns', 'pids', ns], { allowFail: true }).stdout?.split('\n').filter(Boolean) ?? [];
    for (const p of pids) { try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ } }
    sh('ip', ['netns', 'delete', ns], { allowFail: true });
  }
}

/** Starts a long-running server in `ns`; returns { child, stop() }. */
export function startIn(ns, cmd, args, env = process.env) {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
  let log = '';
  child.stdout.on('data', (b) => { log += b; });
  child.stderr.on('data', (b) => { log += b; });
  return {
    child,
    log: () => log,
    stop() { try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ } },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wall and CPU (user+sys of the child) of a command run to its end. */
export function timed(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => { out += b; });
    child.stderr.on('data', (b) => { err += b; });
    const kill = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, out, err, wall: (performance.now() - t0) / 1000 });
    });
  });
}

/** `ip netns exec NS /usr/bin/time -f "%U %S" cmd…`: wall, cpu seconds and output. */
export async function timedIn(ns, cmd, args, opts = {}) {
  const r = await timed('ip', ['netns', 'exec', ns, '/usr/bin/time', '-f', 'CPU %U %S', cmd, ...args], opts);
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.err);
  return { ...r, cpu: m ? Number(m[1]) + Number(m[2]) : NaN, user: m ? Number(m[1]) : NaN, sys: m ? Number(m[2]) : NaN, err: r.err.replace(/CPU [\d.]+ [\d.]+\s*$/, '') };
}
