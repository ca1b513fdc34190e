// Faults on a running lab (`load.faults`, `run --fault`), for the load runner's FaultRun:
// - restart: stop the lab's DHCP or TFTP server (SIGTERM or SIGKILL to its process group), wait,
//   start it again with exactly the command line and environment it ran with (/proc/PID/cmdline and
//   environ), and wait until it listens again. Kea's memfile and dnsmasq's lease file are read back
//   at the start, so leases survive where the server persists them.
// - drop: an nftables table of our own in the client namespace, family bridge, hook forward: the
//   server's port of the lab switch sees every frame either way, whatever socket type the server uses
//   (Kea's raw sockets bypass the server's own input/output hooks); `numgen random` picks the victims.
// - rate-limit: a tbf qdisc on the server's eth0 (its replies) or on its switch port (the clients').
// This kernel has no netem: a fixed delay is not possible; a rate limit's queue delays instead.
// Every fault is undone when it ends, when the run ends, and on process exit (synchronously).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import type { FaultAction, FaultProtocol, FaultSide } from '../scenario/load/fault-schema.js';
import type { AppliedFault, FaultInjector } from '../scenario/load/faults.js';
import { SERVER_IFACE } from './lab.js';
import { labInfoFile, readLabInfo, type LabInfo, type LabServerInfo } from './labctl.js';
import { rateLimit } from './impair.js';
import { UdpPort } from '../wire/ports.js';
import { isAlive, run, runOk, signalGroup, sleep, waitFor } from './run.js';

/** The server's port on the lab switch (src/lab/lab.ts addServerPort). */
export const SERVER_PORT = 'p-srv';
export const FAULT_TABLE = 'pxecheck_fault';
/** A restarted server must listen again within this. */
export const RESTART_READY_MS = 15_000;

const DHCP_LABELS = ['kea', 'dnsmasq', 'dhcpd'];
const TFTP_LABELS = ['tftpd', 'dnsmasq'];

/** The lab server a restart acts on: DHCP on the boot server's namespace; TFTP is tftpd-hpa, else dnsmasq's own. */
export function faultTarget(info: Pick<LabInfo, 'servers' | 'serverNs'>, server: 'dhcp' | 'tftp'): LabServerInfo {
  const labels = server === 'dhcp' ? DHCP_LABELS : TFTP_LABELS;
  for (const label of labels) {
    const s = info.servers.find((x) => x.label === label && x.ns === info.serverNs);
    if (s !== undefined) return s;
  }
  throw new Error(`the lab runs no ${server.toUpperCase()} server in ${info.serverNs} (servers: ${info.servers.map((s) => s.label).join(', ')})`);
}

/** nft rules (bridge family, forward hook) dropping `percent` % of a side's frames, optionally one protocol; a counter of all matched first. */
export function dropRules(chain: string, percent: number, side: FaultSide, protocol?: FaultProtocol): string {
  if (!Number.isInteger(percent) || percent < 1 || percent > 100) throw new Error(`drop: percent must be a whole number 1–100, got ${percent}`);
  const sides: Array<'server' | 'clients'> = side === 'both' ? ['server', 'clients'] : [side];
  const lines = [
    `add table bridge ${FAULT_TABLE}`,
    `add chain bridge ${FAULT_TABLE} ${chain} { type filter hook forward priority 0 ; policy accept ; }`,
  ];
  for (const s of sides) {
    // From the server: it came in on its port; from the clients: it goes out on it.
    const port = s === 'server' ? `iifname "${SERVER_PORT}"` : `oifname "${SERVER_PORT}"`;
    const proto = protocol === undefined ? ''
      : protocol === 'dhcp' ? (s === 'server' ? ' udp sport 67' : ' udp dport 67')
      : protocol === 'tftp' ? ' udp sport != 67 udp dport != 67'
      : s === 'server' ? ' tcp sport 80' : ' tcp dport 80';
    lines.push(`add rule bridge ${FAULT_TABLE} ${chain} ${port}${proto} counter`);
    lines.push(`add rule bridge ${FAULT_TABLE} ${chain} ${port}${proto} numgen random mod 100 < ${percent} counter drop`);
  }
  return lines.join('\n') + '\n';
}

/** `counter packets N` of each rule: [matched, dropped] summed over the sides. */
export function dropCounts(listing: string): { matched: number; dropped: number } {
  let matched = 0;
  let dropped = 0;
  for (const line of listing.split('\n')) {
    const m = /counter packets (\d+)/.exec(line);
    if (m === null) continue;
    if (/\bdrop\b/.test(line)) dropped += Number(m[1]);
    else matched += Number(m[1]);
  }
  return { matched, dropped };
}

/** Whether a UDP socket on `port` exists in the network namespace of process `pid` (/proc/PID/net/udp and udp6). */
export function udpPortBound(pid: number, port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const file of ['udp', 'udp6']) {
    try {
      // "  sl  local_address rem_address ...": local_address is ADDR:PORT in hex.
      if (readFileSync(`/proc/${pid}/net/${file}`, 'utf8').split('\n').some((l) => (l.trim().split(/\s+/)[1] ?? '').endsWith(hex))) return true;
    } catch {
      return false;
    }
  }
  return false;
}

interface ProcessImage {
  argv: string[];
  env: NodeJS.ProcessEnv;
}

/** The exact command line and environment a process runs with (NUL-separated in /proc). */
function processImage(pid: number): ProcessImage {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  if (argv[argv.length - 1] === '') argv.pop();
  const env: NodeJS.ProcessEnv = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (argv.length === 0) throw new Error(`pid ${pid} has no command line (a kernel thread or gone)`);
  return { argv, env };
}

let chainSeq = 0;

/** Faults on lab `info` (its lab.json is updated with a restarted server's new pid). */
export class LabFaultInjector implements FaultInjector {
  /** Undo steps of active faults, run synchronously on process exit if the run never got to them. */
  private readonly pending = new Set<() => void>();
  private readonly onExit = (): void => {
    for (const undo of this.pending) undo();
  };

  constructor(private info: LabInfo) {
    process.once('exit', this.onExit);
  }

  static forLab(name: string): LabFaultInjector {
    const info = readLabInfo(name);
    if (info === undefined) throw new Error(`no lab "${name}" is up (no lab.json); start one with pxecheck lab up --name ${name}`);
    return new LabFaultInjector(info);
  }

  apply(action: FaultAction): Promise<AppliedFault> {
    switch (action.kind) {
      case 'restart': return this.restart(action.server, action.signal, action.downMs);
      case 'drop': return Promise.resolve(this.drop(action.percent, action.side, action.protocol));
      case 'rate-limit': return Promise.resolve(this.limit(action.rateKbit, action.side, action.queueMs));
    }
  }

  /** Stops listening for process exit (the run is over and every fault undone). */
  close(): void {
    process.off('exit', this.onExit);
  }

  private async restart(server: 'dhcp' | 'tftp', sig: NodeJS.Signals, downMs: number): Promise<AppliedFault> {
    const target = faultTarget(this.info, server);
    if (!isAlive(target.pid)) throw new Error(`${target.label} (pid ${target.pid}) is not running`);
    const image = processImage(target.pid);
    // If we die between the stop and the start, start it on the way out so the lab stays whole.
    let started = false;
    const startOnExit = (): void => {
      if (!started) this.spawnServer(target, image);
    };
    this.pending.add(startOnExit);
    try {
      signalGroup(target.pid, sig);
      if (!(await waitFor(() => !isAlive(target.pid), 5_000, 20))) {
        signalGroup(target.pid, 'SIGKILL');
        await waitFor(() => !isAlive(target.pid), 2_000, 20);
      }
      if (downMs > 0) await sleep(downMs);
      const pid = this.spawnServer(target, image);
      started = true;
      const port: number = server === 'dhcp' ? UdpPort.DHCP_SERVER : UdpPort.TFTP;
      // Read from the new process's own view of its namespace: no `ss` spawn blocking the clients' event loop.
      const ready = await waitFor(() => !isAlive(pid) || udpPortBound(pid, port), RESTART_READY_MS, 50);
      if (!ready || !isAlive(pid)) throw new Error(`${target.label} did not come back (pid ${pid} ${isAlive(pid) ? `not listening on udp ${port} after ${RESTART_READY_MS / 1000} s` : 'exited'}); see ${target.out}`);
      this.recordPid(target, pid);
      return { effect: `${target.label} pid ${target.pid} ${sig === 'SIGKILL' ? 'killed' : 'stopped'}, started again as pid ${pid}`, undo: () => Promise.resolve(undefined) };
    } finally {
      this.pending.delete(startOnExit);
    }
  }

  /** The same program, arguments and environment, in the same namespace and process-group layout as labUp's. */
  private spawnServer(target: LabServerInfo, image: ProcessImage): number {
    const fd = openSync(target.out, 'a');
    try {
      const child = spawn('ip', ['netns', 'exec', target.ns, ...image.argv], { detached: true, stdio: ['ignore', fd, fd], env: image.env });
      child.on('error', () => undefined);
      child.unref();
      if (child.pid === undefined) throw new Error(`${target.label}: cannot start ${image.argv[0]}`);
      return child.pid;
    } finally {
      closeSync(fd);
    }
  }

  /** lab.json names the new pid, so `lab status` and `lab down` see the restarted server. */
  private recordPid(target: LabServerInfo, pid: number): void {
    const servers = this.info.servers.map((s) => (s === target ? { ...s, pid } : s));
    this.info = { ...this.info, servers };
    const file = labInfoFile(this.info.stateDir);
    if (existsSync(file)) writeFileSync(file, JSON.stringify(this.info, null, 2) + '\n');
  }

  private drop(percent: number, side: FaultSide, protocol: FaultProtocol | undefined): AppliedFault {
    const ns = this.info.clientNs;
    const chain = `drop${++chainSeq}_${process.pid}`;
    runOk('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: dropRules(chain, percent, side, protocol) });
    const remove = (): void => {
      run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'chain', 'bridge', FAULT_TABLE, chain]);
      const left = run('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'bridge', FAULT_TABLE]);
      if (left.code === 0 && !/\bchain\b/.test(left.stdout)) run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'bridge', FAULT_TABLE]);
    };
    this.pending.add(remove);
    return {
      effect: `nftables: ${percent}% of ${protocol ?? 'all'} frames ${side === 'both' ? 'both ways' : side === 'server' ? 'from the server' : 'to the server'} dropped at ${SERVER_PORT} in ${ns}`,
      undo: () => {
        const listing = run('ip', ['netns', 'exec', ns, 'nft', 'list', 'chain', 'bridge', FAULT_TABLE, chain]).stdout;
        remove();
        this.pending.delete(remove);
        const c = dropCounts(listing);
        return Promise.resolve(`dropped ${c.dropped} of ${c.matched} frames`);
      },
    };
  }

  private limit(rateKbit: number, side: 'server' | 'clients', queueMs: number): AppliedFault {
    const [ns, iface] = side === 'server' ? [this.info.serverNs, SERVER_IFACE] : [this.info.clientNs, SERVER_PORT];
    const tbf = rateLimit(ns, iface, { rateKbit, latencyMs: queueMs });
    const remove = (): void => tbf.remove();
    this.pending.add(remove);
    return {
      effect: tbf.description,
      undo: () => {
        const stats = run('ip', ['netns', 'exec', ns, 'tc', '-s', 'qdisc', 'show', 'dev', iface]).stdout;
        remove();
        this.pending.delete(remove);
        const m = /Sent \d+ bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)/.exec(stats);
        return Promise.resolve(m === null ? undefined : `tbf sent ${m[1]} frames, dropped ${m[2]}, ${m[3]} over the limit`);
      },
    };
  }
}
