// A throw-away L2 segment in network namespaces:
//
//   <name>-srv  eth0 198.51.100.1/24 2001:db8:1::1/64 ──┐
//   <name>-srv2 eth0 198.51.100.2/24 2001:db8:1::2/64 ──┤ (optional)
//   <name>-cli  br0 (bridge, no address) ◄──────────────┘ + client veths (cl0 …) + QEMU taps
//
// Everything is created directly inside the namespaces (never in the root namespace), so deleting
// the namespaces removes every link; processes are tracked by pid and killed by process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, run, runOk, signalGroup, sleep, waitFor, type RunOptions, type RunResult } from './run.js';

export const LAB_SUBNET = '198.51.100.0/24';
export const LAB_PREFIX6 = '2001:db8:1::/64';
export const SERVER_ADDR = '198.51.100.1';
export const SERVER2_ADDR = '198.51.100.2';
export const SERVER_ADDR6 = '2001:db8:1::1';
export const SERVER2_ADDR6 = '2001:db8:1::2';
export const POOL_START = '198.51.100.100';
export const POOL_END = '198.51.100.200';
export const BRIDGE = 'br0';
/** Interface name of the server side of the segment, in both server namespaces. */
export const SERVER_IFACE = 'eth0';

export interface LabOptions {
  /** Prefix of every namespace: lowercase letters, digits, '-'; at most 12 characters. */
  readonly name: string;
  /** Also create `<name>-srv2` on the same segment (two DHCP servers, proxyDHCP). */
  readonly secondServer?: boolean;
  /** Where configs, logs and state go; default /tmp/pxecheck-lab-<name>. */
  readonly workDir?: string;
  /** Keep workDir on destroy() (logs for debugging; configs to copy). */
  readonly keepWorkDir?: boolean;
}

export interface LabNamespaces {
  readonly srv: string;
  readonly cli: string;
  readonly srv2?: string;
}

export interface ServerSpec {
  /** Short label used in logs and state ("dnsmasq", "qemu"). */
  readonly label: string;
  readonly ns: string;
  readonly cmd: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** stdout+stderr go here; default <workDir>/<label>.out */
  readonly logFile?: string;
  /** Resolves the start once true (e.g. a pid file exists); bounded by readyTimeoutMs. */
  readonly ready?: () => boolean;
  readonly readyTimeoutMs?: number;
}

export interface LabProcess {
  readonly label: string;
  readonly ns: string;
  readonly pid: number;
  readonly logFile: string;
  /** Exit code or signal once the process has ended, else undefined. */
  exit: number | NodeJS.Signals | undefined;
  readonly child: ChildProcess;
}

export interface LabState {
  readonly name: string;
  readonly namespaces: LabNamespaces;
  readonly workDir: string;
  readonly processes: { label: string; ns: string; pid: number }[];
}

const NAME_RE = /^[a-z][a-z0-9-]{0,11}$/;

export function defaultWorkDir(name: string): string {
  return `/tmp/pxecheck-lab-${name}`;
}

export function listNamespaces(): string[] {
  const r = run('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.length > 0);
}

function namespacePids(ns: string): number[] {
  return run('ip', ['netns', 'pids', ns])
    .stdout.split('\n')
    .map((s) => Number.parseInt(s, 10))
    .filter((n) => Number.isInteger(n) && n > 1);
}

function labNamespaceNames(name: string, all: readonly string[]): string[] {
  return all.filter((ns) => ns === `${name}-srv` || ns === `${name}-srv2` || ns === `${name}-cli`);
}

/**
 * Removes whatever a crashed run of lab `name` left: processes inside its namespaces (by
 * `ip netns pids`), the namespaces (and with them every veth, tap and bridge), and the work dir.
 * Returns the namespaces it removed.
 */
export async function cleanupStale(name: string, workDir = defaultWorkDir(name)): Promise<string[]> {
  const found = labNamespaceNames(name, listNamespaces());
  await killNamespaceProcesses(found);
  for (const ns of found) run('ip', ['netns', 'delete', ns]);
  rmSync(workDir, { recursive: true, force: true });
  return found;
}

async function killNamespaceProcesses(namespaces: readonly string[]): Promise<void> {
  const pids = namespaces.flatMap(namespacePids);
  for (const pid of pids) signal(pid, 'SIGTERM');
  await waitFor(() => pids.every((p) => !isAlive(p)), 3_000);
  for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL');
  await waitFor(() => pids.every((p) => !isAlive(p)), 2_000);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

export class Lab {
  readonly name: string;
  readonly ns: LabNamespaces;
  readonly workDir: string;
  readonly bridge = BRIDGE;
  private readonly keepWorkDir: boolean;
  private readonly procs: LabProcess[] = [];
  private destroyed = false;

  constructor(opts: LabOptions) {
    this.name = opts.name;
    this.workDir = opts.workDir ?? defaultWorkDir(opts.name);
    this.keepWorkDir = opts.keepWorkDir ?? false;
    this.ns = {
      srv: `${opts.name}-srv`,
      cli: `${opts.name}-cli`,
      ...(opts.secondServer ? { srv2: `${opts.name}-srv2` } : {}),
    };
  }

  get processes(): readonly LabProcess[] {
    return this.procs;
  }

  /** Runs `cmd args` inside namespace `ns` to completion (bounded). */
  exec(ns: string, cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  execOk(ns: string, cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
    return runOk('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** Builds namespaces, bridge and server links. Called by createLab(). */
  build(): void {
    mkdirSync(this.workDir, { recursive: true });
    const { srv, cli, srv2 } = this.ns;
    for (const ns of [srv, cli, srv2]) {
      if (ns === undefined) continue;
      runOk('ip', ['netns', 'add', ns]);
      runOk('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // The client namespace is a switch: no IPv6 on its L2-only ports, so no ND/MLD noise there.
    for (const key of ['all', 'default']) {
      this.exec(cli, 'sysctl', ['-qw', `net.ipv6.conf.${key}.disable_ipv6=1`]);
    }
    // No multicast snooping: raw-mode clients never send MLD reports, and must still see every
    // multicast frame (RAs, DHCPv6 to ff02::1:2) as on a plain switch.
    runOk('ip', ['-n', cli, 'link', 'add', BRIDGE, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0', 'mcast_snooping', '0']);
    runOk('ip', ['-n', cli, 'link', 'set', BRIDGE, 'up']);
    this.addServerPort(srv, 'p-srv', SERVER_ADDR, SERVER_ADDR6);
    if (srv2 !== undefined) this.addServerPort(srv2, 'p-srv2', SERVER2_ADDR, SERVER2_ADDR6);
    this.writeState();
  }

  private addServerPort(ns: string, port: string, addr4: string, addr6: string): void {
    const cli = this.ns.cli;
    // No DAD on the server's link-local address: kea-dhcp6 and radvd can bind and send at once.
    this.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.default.accept_dad=0']);
    runOk('ip', ['-n', ns, 'link', 'add', SERVER_IFACE, 'type', 'veth', 'peer', 'name', port, 'netns', cli]);
    runOk('ip', ['-n', ns, 'addr', 'add', `${addr4}/24`, 'dev', SERVER_IFACE]);
    runOk('ip', ['-n', ns, 'addr', 'add', `${addr6}/64`, 'dev', SERVER_IFACE, 'nodad']);
    runOk('ip', ['-n', ns, 'link', 'set', SERVER_IFACE, 'up']);
    runOk('ip', ['-n', cli, 'link', 'set', port, 'master', BRIDGE, 'up']);
  }

  /** A veth `ifname` in the client namespace (for udhcpc & co.), its peer bridged. */
  addClientInterface(ifname = 'cl0', mac?: string): string {
    const cli = this.ns.cli;
    const peer = `${ifname}-p`;
    runOk('ip', ['-n', cli, 'link', 'add', ifname, ...(mac ? ['address', mac] : []), 'type', 'veth', 'peer', 'name', peer]);
    runOk('ip', ['-n', cli, 'link', 'set', peer, 'master', BRIDGE, 'up']);
    runOk('ip', ['-n', cli, 'link', 'set', ifname, 'up']);
    return ifname;
  }

  /**
   * A relay's own segment (kernel sockets from `relayFrom`, as `run --relay-from` uses): a veth
   * `ifname` in the client namespace holding `relayFrom`/24, and an on-link route each way between
   * the lab's subnet and the relay's /24.
   */
  addRelaySegment(relayFrom: string, ifname = 'rl0'): string {
    const iface = this.addClientInterface(ifname);
    const relayNet = `${relayFrom.split('.').slice(0, 3).join('.')}.0/24`;
    this.execOk(this.ns.cli, 'ip', ['addr', 'add', `${relayFrom}/24`, 'dev', iface]);
    this.execOk(this.ns.cli, 'ip', ['route', 'add', LAB_SUBNET, 'dev', iface, 'src', relayFrom]);
    this.execOk(this.ns.srv, 'ip', ['route', 'add', relayNet, 'dev', SERVER_IFACE]);
    return iface;
  }

  /** A tap `ifname` in the client namespace, bridged, for QEMU's `-netdev tap`. */
  addTap(ifname = 'tap0'): string {
    const cli = this.ns.cli;
    runOk('ip', ['-n', cli, 'tuntap', 'add', 'dev', ifname, 'mode', 'tap']);
    runOk('ip', ['-n', cli, 'link', 'set', ifname, 'master', BRIDGE, 'up']);
    return ifname;
  }

  /**
   * Spawns a long-running process inside `spec.ns` in its own process group, records its pid, and
   * waits (bounded) for spec.ready. Throws with the log tail if it exits or never gets ready.
   */
  async startServer(spec: ServerSpec): Promise<LabProcess> {
    if (this.destroyed) throw new Error(`lab ${this.name} is destroyed`);
    const logFile = spec.logFile ?? join(this.workDir, `${spec.label}.out`);
    const fd = openSync(logFile, 'w');
    let child: ChildProcess;
    try {
      // `ip netns exec` execs the command, so the pid we get is the daemon's own pid.
      child = spawn('ip', ['netns', 'exec', spec.ns, spec.cmd, ...spec.args], {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: spec.env ?? process.env,
      });
    } finally {
      closeSync(fd);
    }
    if (child.pid === undefined) throw new Error(`${spec.label}: spawn of ${spec.cmd} failed`);
    child.unref();
    const proc: LabProcess = { label: spec.label, ns: spec.ns, pid: child.pid, logFile, exit: undefined, child };
    child.on('exit', (code, sig) => {
      proc.exit = code ?? sig ?? 'SIGKILL';
    });
    child.on('error', () => {
      proc.exit = proc.exit ?? -1;
    });
    this.procs.push(proc);
    this.writeState();
    const ready = spec.ready ?? (() => true);
    const ok = await waitFor(() => proc.exit !== undefined || ready(), spec.readyTimeoutMs ?? 5_000);
    // A daemon that dies on a bad config usually does so at once: give it a moment to show that.
    if (ok && proc.exit === undefined) await sleep(150);
    if (!ok || proc.exit !== undefined) {
      const why = proc.exit !== undefined ? `exited (${proc.exit})` : 'not ready in time';
      throw new Error(`${spec.label} ${why}: ${tail(logFile)}`);
    }
    return proc;
  }

  /** Signals a process group, waits up to timeoutMs for the exit, then SIGKILLs it. */
  async stop(proc: LabProcess, sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 3_000): Promise<void> {
    if (proc.exit === undefined) {
      signalGroup(proc.pid, sig);
      if (!(await waitFor(() => proc.exit !== undefined, timeoutMs, 50))) {
        signalGroup(proc.pid, 'SIGKILL');
        await waitFor(() => proc.exit !== undefined, 2_000, 50);
      }
    }
    const i = this.procs.indexOf(proc);
    if (i >= 0) this.procs.splice(i, 1);
    if (!this.destroyed) this.writeState();
  }

  /** Kills every process it started (and any other left in its namespaces), deletes the namespaces. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of [...this.procs].reverse()) await this.stop(p);
    const namespaces = [this.ns.srv, this.ns.cli, this.ns.srv2].filter((n): n is string => n !== undefined);
    const existing = new Set(listNamespaces());
    const ours = namespaces.filter((n) => existing.has(n));
    await killNamespaceProcesses(ours);
    for (const ns of ours) run('ip', ['netns', 'delete', ns]);
    if (this.keepWorkDir) rmSync(join(this.workDir, 'state.json'), { force: true });
    else rmSync(this.workDir, { recursive: true, force: true });
  }

  private writeState(): void {
    const state: LabState = {
      name: this.name,
      namespaces: this.ns,
      workDir: this.workDir,
      processes: this.procs.map((p) => ({ label: p.label, ns: p.ns, pid: p.pid })),
    };
    writeFileSync(join(this.workDir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
  }
}


export function tail(file: string, bytes = 1500): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-bytes).trim();
  } catch {
    return '(no log)';
  }
}

/**
 * Creates lab `opts.name` after removing leftovers of a crashed run with the same name. If building
 * fails half-way, everything built so far is removed before the error is rethrown.
 */
export async function createLab(opts: LabOptions): Promise<Lab> {
  if (!NAME_RE.test(opts.name)) throw new Error(`lab name must match ${NAME_RE}: ${opts.name}`);
  await cleanupStale(opts.name, opts.workDir ?? defaultWorkDir(opts.name));
  const lab = new Lab(opts);
  try {
    lab.build();
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

/** createLab + fn + destroy, the destroy in a finally. */
export async function withLab<T>(opts: LabOptions, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab(opts);
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}
