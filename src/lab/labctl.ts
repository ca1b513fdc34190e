// `pxecheck lab up|down|status`: a long-lived boot lab whose servers outlive the command that
// started them. State lives in the lab's work dir (/tmp/pxecheck-lab-<name>/, see docs/lab.md):
// lab.json (LabInfo: addresses, interfaces, servers with pid, config and log paths) next to each
// server's config, pid, lease and log files. `down` works from lab.json and the namespaces alone, so
// it also cleans up after a crashed `up` or a killed shell.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireBinaries, type BinaryOverrides, type LabBinary } from './binaries.js';
import {
  fullChainDnsmasqConfig,
  fullChainFiles,
  fullChainKeaConfig,
  fullChainProxyDnsmasqConfig,
  makeFullChainRoot,
} from './fullchain.js';
import { startIscDhcpd } from './isc-dhcpd.js';
import {
  cleanupStale,
  createLab,
  defaultWorkDir,
  LAB_PREFIX6,
  LAB_SUBNET,
  listNamespaces,
  SERVER2_ADDR,
  SERVER_ADDR,
  SERVER_ADDR6,
  tail,
  type Lab,
} from './lab.js';
import { isAlive, run, runOk, signalGroup, waitFor } from './run.js';
import { startNginx, startTftpd, type ServerHandle } from './servers.js';
import { setPathMtu } from './mtu.js';
import {
  dnsmasq6DualLines, fullChainDnsmasq6Config, fullChainFiles6, RA_MODES_LIST, type FullChainFiles6, type RaMode,
} from './fullchain-v6.js';
import {
  BOOT_SCRIPT6,
  checkConfig6,
  ipv6Info,
  LAB_RELAY_ADDR6,
  portBound6,
  prepareIpv6Network,
  startKea6FullChain,
  startRadvdFullChain,
  writeBootScripts6,
  type Ipv6Mode,
  type LabIpv6Info,
} from './labctl-v6.js';
import { UdpPort } from '../wire/ports.js';
import { LabExistsError } from '../errors.js';
export { LabExistsError } from '../errors.js';
import { planLab, type Ipv6Plan, type LabServerKind, type ReadyCheck, type ServerStep } from './lab-plan.js';
export { dnsmasqConfigDoesTftp, LAB_SERVERS, neededBinaries, type Ipv6Plan, type LabServerKind } from './lab-plan.js';

export const DEFAULT_LAB_NAME = 'pxelab';
/** Client-side veth for raw mode (no address: scenario clients own it). */
export const LAB_CLIENT_IFACE = 'cl0';
/** Client-side veth with the relay agent's address (relay mode's giaddr). */
export const LAB_RELAY_IFACE = 'rl0';
export const LAB_RELAY_ADDR = '198.51.100.250';

export interface LabUpOptions {
  readonly name?: string;
  readonly server?: LabServerKind;
  /** The user's own config for the DHCP server (used as is); default the built-in full chain. */
  readonly config?: string;
  /** dnsmasq as proxyDHCP (boot info + TFTP on .1) with Kea handing out addresses on .2. */
  readonly proxy?: boolean;
  /** Explicit program paths instead of the PATH search. */
  readonly binaries?: BinaryOverrides;
  /** PATH to search (default process.env.PATH). */
  readonly pathEnv?: string;
  /** Bound on "servers answer" after start; default 10 s. */
  readonly readyTimeoutMs?: number;
  readonly workDir?: string;
  /**
   * IPv6 boot servers: true = as well as IPv4 (dual stack), 'only' = instead (no DHCPv4 server, no
   * IPv4 address on the server). DHCPv6 comes from dnsmasq with `server: 'dnsmasq'`, else kea-dhcp6.
   */
  readonly ipv6?: Ipv6Mode;
  /** With ipv6: RAs with M=1 O=1 ('managed', default), M=0 O=0 ('unmanaged', radvd), or none. */
  readonly ra?: RaMode;
  /** With ipv6 and a kea-dhcp6 server: your own kea-dhcp6 config (used as is) instead of the built-in one. */
  readonly config6?: string;
  /** A smaller MTU on the path to the client (its switch port; server and client stay at 1500): a
   *  real MTU mismatch for "big files hang" scenarios (lab/mtu.ts). */
  readonly clientMtu?: number;
}

export interface LabServerInfo {
  readonly label: string;
  readonly program: string;
  readonly pid: number;
  readonly ns: string;
  /** Config file (generated or the user's), absent for tftpd (command-line only). */
  readonly config?: string;
  /** The daemon's own log (DHCP decisions, HTTP access log). */
  readonly log: string;
  /** Its stdout/stderr. */
  readonly out: string;
}

export interface LabInfo {
  readonly name: string;
  readonly stateDir: string;
  readonly server: LabServerKind;
  readonly proxy: boolean;
  readonly builtInConfig: boolean;
  readonly serverNs: string;
  /** proxy mode: the namespace of the address server (Kea on .2). */
  readonly server2Ns?: string;
  readonly clientNs: string;
  /** Raw mode: send as clients on this interface inside clientNs. */
  readonly clientIface: string;
  /** Relay mode: this interface in clientNs holds relayAddr. */
  readonly relayIface: string;
  readonly relayAddr: string;
  /** The boot server (DHCP/proxyDHCP, TFTP, HTTP): `${server}` in scenarios. */
  readonly serverAddr: string;
  readonly serverAddr6: string;
  /** proxy mode: the address server. */
  readonly addressServer: string;
  readonly subnet: string;
  readonly prefix6: string;
  readonly httpBase: string;
  readonly tftpRoot: string;
  readonly servers: readonly LabServerInfo[];
  /** The MTU of the client's switch port when smaller than the server's (labUp clientMtu). */
  readonly clientMtu?: number;
  /** Present when the lab serves IPv6 network boot (labUp with ipv6). */
  readonly ipv6?: LabIpv6Info;
}

/** Labs started by this process, so labDown can also reap their ChildProcess objects. */
const liveLabs = new Map<string, Lab>();

export function labInfoFile(workDir: string): string {
  return join(workDir, 'lab.json');
}

export function readLabInfo(name: string, workDir = defaultWorkDir(name)): LabInfo | undefined {
  try {
    return JSON.parse(readFileSync(labInfoFile(workDir), 'utf8')) as LabInfo;
  } catch {
    return undefined;
  }
}

function ownNamespaces(name: string): string[] {
  return listNamespaces().filter((n) => n === `${name}-srv` || n === `${name}-srv2` || n === `${name}-cli`);
}

/** True once something listens on `port` in namespace `ns` (`ss` inside the namespace). */
export function portBound(ns: string, proto: 'udp' | 'tcp', port: number): boolean {
  const r = run('ip', ['netns', 'exec', ns, 'ss', '-H', '-l', '-n', proto === 'udp' ? '-u' : '-t'], { timeoutMs: 5_000 });
  return r.stdout.split('\n').some((l) => (l.trim().split(/\s+/)[3] ?? '').endsWith(`:${port}`));
}

/**
 * Builds lab `name` and starts its servers; returns once DHCP (67), TFTP (69) and HTTP (80) listen
 * (bounded by readyTimeoutMs). Throws LabExistsError if the lab is already up, MissingBinaryError
 * naming the Debian package of any missing program. On any failure everything built is removed.
 */
export async function labUp(opts: LabUpOptions = {}): Promise<LabInfo> {
  const name = opts.name ?? DEFAULT_LAB_NAME;
  const server = opts.server ?? 'dnsmasq';
  const proxy = opts.proxy ?? false;
  const workDir = opts.workDir ?? defaultWorkDir(name);
  if (proxy && server !== 'dnsmasq') throw new Error('lab: --proxy needs --server dnsmasq (dnsmasq is the proxyDHCP, Kea hands out addresses)');
  let configText: string | undefined;
  if (opts.config !== undefined) {
    if (!existsSync(opts.config)) throw new Error(`lab: config file not found: ${opts.config}`);
    configText = readFileSync(opts.config, 'utf8');
  }
  const v6 = checkIpv6Options(opts, server, proxy);
  const plan = planLab({
    server, proxy, ...(opts.config === undefined ? {} : { config: opts.config }), ...(configText === undefined ? {} : { configText }),
    ...(opts.config6 === undefined ? {} : { config6: opts.config6 }), ...(v6 ? { v6 } : {}), serverAddr: SERVER_ADDR, serverAddr6: SERVER_ADDR6,
  });
  const bins = requireBinaries(plan.binaries, opts.binaries, opts.pathEnv);
  if (process.getuid?.() !== 0) throw new Error('lab: needs root (network namespaces, veths, a bridge): run it with sudo');
  if (ownNamespaces(name).length > 0 && readLabInfo(name, workDir) !== undefined) {
    throw new LabExistsError(`lab "${name}" is already up (state in ${workDir}); run 'pxecheck lab down --name ${name}' first`);
  }

  const lab = await createLab({ name, workDir, secondServer: proxy });
  liveLabs.set(name, lab);
  try {
    lab.addClientInterface(LAB_CLIENT_IFACE);
    lab.addClientInterface(LAB_RELAY_IFACE);
    if (opts.clientMtu !== undefined) setPathMtu(lab, `${LAB_CLIENT_IFACE}-p`, opts.clientMtu);
    runOk('ip', ['-n', lab.ns.cli, 'addr', 'add', `${LAB_RELAY_ADDR}/24`, 'dev', LAB_RELAY_IFACE]);
    const files = fullChainFiles(SERVER_ADDR);
    const files6 = fullChainFiles6();
    const root = makeFullChainRoot(join(workDir, 'boot'), files);
    if (v6) {
      prepareIpv6Network(lab, v6.mode, [LAB_CLIENT_IFACE], { ifname: LAB_RELAY_IFACE, addr6: LAB_RELAY_ADDR6 });
      writeBootScripts6(root, v6.mode, files6);
    }
    const servers: LabServerInfo[] = [];
    for (const step of plan.servers) {
      const { handle, program, config } = await startPlanned(lab, step, { bins, root, files, files6, v6 });
      const p = handle.proc;
      servers.push({ label: p.label, program, pid: p.pid, ns: p.ns, ...(config ? { config } : {}), log: handle.logFile, out: p.logFile });
    }
    await waitReady(lab, plan.ready, opts.readyTimeoutMs ?? 10_000, workDir);
    const dead = servers.filter((s) => !isAlive(s.pid));
    if (dead.length > 0) throw new Error(`lab: ${dead.map((d) => `${d.label} exited: ${tail(d.out, 600)}`).join('; ')}`);

    const info: LabInfo = {
      name,
      stateDir: workDir,
      server,
      proxy,
      builtInConfig: opts.config === undefined,
      serverNs: lab.ns.srv,
      ...(lab.ns.srv2 ? { server2Ns: lab.ns.srv2 } : {}),
      clientNs: lab.ns.cli,
      clientIface: LAB_CLIENT_IFACE,
      relayIface: LAB_RELAY_IFACE,
      relayAddr: LAB_RELAY_ADDR,
      serverAddr: SERVER_ADDR,
      serverAddr6: SERVER_ADDR6,
      addressServer: proxy ? SERVER2_ADDR : SERVER_ADDR,
      subnet: LAB_SUBNET,
      prefix6: LAB_PREFIX6,
      httpBase: `http://${SERVER_ADDR}`,
      tftpRoot: root,
      servers,
      ...(opts.clientMtu === undefined ? {} : { clientMtu: opts.clientMtu }),
      ...(v6 ? { ipv6: ipv6Info(v6.mode, v6.ra, v6.dhcp6, opts.config6 === undefined && (v6.dhcp6 === 'kea' || opts.config === undefined), files6) } : {}),
    };
    writeFileSync(labInfoFile(workDir), JSON.stringify(info, null, 2) + '\n');
    return info;
  } catch (e) {
    liveLabs.delete(name);
    await lab.destroy();
    throw e;
  }
}

interface PlannedContext {
  bins: Record<LabBinary, string>;
  root: string;
  files: ReturnType<typeof fullChainFiles>;
  files6: FullChainFiles6;
  v6: Ipv6Plan | undefined;
}

/** Starts one server of the plan; returns its handle, the program and the config it runs with. */
async function startPlanned(lab: Lab, step: ServerStep, c: PlannedContext): Promise<{ handle: ServerHandle; program: string; config?: string }> {
  const { bins, root, files, files6 } = c;
  switch (step.kind) {
    case 'kea-address-only': {
      const h = await startGenerated(lab, 'kea', bins.kea, lab.ns.srv2 ?? lab.ns.srv, 'kea-dhcp4.conf', (dir) => keaAddressOnly(dir));
      return { handle: h.handle, program: bins.kea, config: h.config };
    }
    case 'dnsmasq': {
      const ra = c.v6?.ra ?? 'none';
      // One dnsmasq for DHCPv4 and DHCPv6 (+ RA): it binds UDP 69 once for both families.
      const h = await startDnsmasqFrom(lab, bins.dnsmasq, step.userConfig, (dir) => {
        if (step.config === 'v6-only') return fullChainDnsmasq6Config(dir, root, files6, { ra });
        const text = step.config === 'proxy' ? fullChainProxyDnsmasqConfig(dir, root, files) : fullChainDnsmasqConfig(dir, root, files);
        return step.dualV6 ? text + dnsmasq6DualLines(files6, { ra }).join('\n') + '\n' : text;
      }, step.dhcpPort);
      return { handle: h.handle, program: bins.dnsmasq, config: h.config };
    }
    case 'kea': {
      const h = step.userConfig !== undefined
        ? await startUserKea(lab, bins.kea, step.userConfig)
        : await startGenerated(lab, 'kea', bins.kea, lab.ns.srv, 'kea-dhcp4.conf', (dir) => fullChainKeaConfig(dir, files));
      return { handle: h.handle, program: bins.kea, config: h.config };
    }
    case 'isc-dhcpd': {
      const h = await startIscDhcpd(lab, { cmd: bins.dhcpd, ...(step.userConfig !== undefined ? { configFile: step.userConfig } : {}) });
      return { handle: h, program: bins.dhcpd, config: step.userConfig ?? join(h.dir, 'dhcpd.conf') };
    }
    case 'kea6': {
      const k = await startKea6FullChain(lab, bins.kea6, step.userConfig, files6);
      return { handle: k.handle, program: bins.kea6, config: k.config };
    }
    case 'radvd': {
      const r = await startRadvdFullChain(lab, bins.radvd, step.ra);
      return { handle: r.handle, program: bins.radvd, config: r.config };
    }
    case 'tftpd':
      return { handle: await startTftpd(lab, { root, cmd: bins.tftpd, address: step.address }), program: bins.tftpd };
    case 'nginx': {
      const nginx = await startNginx(lab, {
        root,
        cmd: bins.nginx,
        ...(step.v4 ? {} : { address: null }),
        ...(step.v6 ? { address6: SERVER_ADDR6, bootScript6: BOOT_SCRIPT6 } : {}),
      });
      return { handle: nginx, program: bins.nginx, config: join(nginx.dir, 'nginx.conf') };
    }
  }
}

/** Waits (bounded) until every socket of the plan is bound; throws naming the first that is not. */
async function waitReady(lab: Lab, checks: readonly ReadyCheck[], timeout: number, workDir: string): Promise<void> {
  for (const { what, ns: role, proto, port, six } of checks) {
    const ns = role === 'srv2' ? (lab.ns.srv2 ?? lab.ns.srv) : lab.ns.srv;
    if (!(await waitFor(() => (six ? portBound6 : portBound)(ns, proto, port), timeout, 100))) {
      throw new Error(`lab: ${what} server does not listen on ${proto} port ${port} in ${ns} after ${timeout} ms; logs in ${workDir}`);
    }
  }
}

interface Started {
  readonly handle: ServerHandle;
  readonly config: string;
}

/** Validates the IPv6 options (before anything is built); undefined when the lab is IPv4 only. */
export function checkIpv6Options(opts: LabUpOptions, server: LabServerKind, proxy: boolean): Ipv6Plan | undefined {
  const ipv6 = opts.ipv6 ?? false;
  if (ipv6 === false) {
    if (opts.ra !== undefined || opts.config6 !== undefined) throw new Error('lab: ra and config6 (--ra, --config6) need ipv6 (--ipv6)');
    return undefined;
  }
  if (proxy) throw new Error('lab: --ipv6 does not combine with --proxy (proxyDHCP is IPv4 only)');
  const ra = opts.ra ?? 'managed';
  if (!RA_MODES_LIST.includes(ra)) throw new Error(`lab: ra must be one of ${RA_MODES_LIST.join(', ')} (got "${String(ra)}")`);
  const dhcp6 = server === 'dnsmasq' ? 'dnsmasq' : 'kea';
  if (opts.config6 !== undefined && dhcp6 !== 'kea') throw new Error('lab: config6 (--config6) is a kea-dhcp6 config: use --server kea (a dnsmasq config does IPv6 in --config)');
  if (ipv6 === 'only' && server !== 'dnsmasq' && opts.config !== undefined) throw new Error('lab: --ipv6 only runs no DHCPv4 server: --config has nothing to configure (use --config6)');
  checkConfig6(opts.config6);
  return { mode: ipv6 === 'only' ? 'only' : 'dual', ra, dhcp6 };
}

function keaAddressOnly(dir: string): string {
  // proxy mode: Kea only hands out addresses; boot info comes from the dnsmasq proxy.
  const cfg = JSON.parse(fullChainKeaConfig(dir)) as { Dhcp4: Record<string, unknown> };
  delete cfg.Dhcp4['client-classes'];
  return JSON.stringify(cfg, null, 2) + '\n';
}

async function startGenerated(lab: Lab, label: string, cmd: string, ns: string, file: string, text: (dir: string) => string): Promise<Started> {
  const dir = join(lab.workDir, label);
  runOk('mkdir', ['-p', dir]);
  const config = join(dir, file);
  writeFileSync(config, text(dir));
  const proc = await lab.startServer({
    label,
    ns,
    cmd,
    args: ['-c', config],
    env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir },
    ready: () => existsSync(join(dir, 'kea4-ctrl.sock')),
    readyTimeoutMs: 8_000,
  });
  return { handle: { proc, dir, configFiles: [file], logFile: join(dir, 'kea-dhcp4.log') }, config };
}

async function startUserKea(lab: Lab, cmd: string, config: string): Promise<Started> {
  const dir = join(lab.workDir, 'kea');
  runOk('mkdir', ['-p', dir]);
  const proc = await lab.startServer({
    label: 'kea',
    ns: lab.ns.srv,
    cmd,
    args: ['-c', config],
    env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir },
    ready: () => portBound(lab.ns.srv, 'udp', UdpPort.DHCP_SERVER),
    readyTimeoutMs: 8_000,
  });
  return { handle: { proc, dir, configFiles: [], logFile: proc.logFile }, config };
}

async function startDnsmasqFrom(lab: Lab, cmd: string, userConfig: string | undefined, text: (dir: string) => string, dhcpPort: number = UdpPort.DHCP_SERVER): Promise<Started> {
  const dir = join(lab.workDir, 'dnsmasq');
  runOk('mkdir', ['-p', dir]);
  let config = userConfig;
  if (config === undefined) {
    config = join(dir, 'dnsmasq.conf');
    writeFileSync(config, text(dir));
  }
  const generated = userConfig === undefined;
  const proc = await lab.startServer({
    label: 'dnsmasq',
    ns: lab.ns.srv,
    cmd,
    // A user's config may log to syslog: --log-facility=- would override theirs, so only stdout.
    args: ['--keep-in-foreground', `--conf-file=${config}`],
    ready: () => (generated ? existsSync(join(dir, 'dnsmasq.pid')) : portBound(lab.ns.srv, 'udp', dhcpPort)),
  });
  return { handle: { proc, dir, configFiles: [], logFile: generated ? join(dir, 'dnsmasq.log') : proc.logFile }, config };
}

export interface LabDownResult {
  /** False when there was nothing to remove (no namespaces, no state dir). */
  readonly existed: boolean;
  readonly removedNamespaces: readonly string[];
}

/** Stops every server, deletes the namespaces (and with them every interface) and the state dir. Idempotent. */
export async function labDown(name: string = DEFAULT_LAB_NAME, workDir = defaultWorkDir(name)): Promise<LabDownResult> {
  const namespaces = ownNamespaces(name);
  const existed = namespaces.length > 0 || existsSync(workDir);
  const live = liveLabs.get(name);
  liveLabs.delete(name);
  if (live) await live.destroy();
  // Servers from another process (`pxecheck lab up` exited long ago): their process groups first.
  const info = readLabInfo(name, workDir);
  const pids = (info?.servers ?? []).map((s) => s.pid).filter(isAlive);
  for (const pid of pids) signalGroup(pid, 'SIGTERM');
  await waitFor(() => pids.every((p) => !isAlive(p)), 3_000, 50);
  for (const pid of pids) if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  // Then whatever else lives in the namespaces, the namespaces and the dir.
  await cleanupStale(name, workDir);
  return { existed, removedNamespaces: namespaces };
}


export interface LabProcessStatus extends LabServerInfo {
  readonly alive: boolean;
  readonly logTail: string;
}

export interface LabStatus {
  readonly name: string;
  readonly stateDir: string;
  readonly info?: LabInfo;
  readonly namespaces: readonly { name: string; present: boolean }[];
  /** `ip -br addr` per present namespace. */
  readonly interfaces: readonly { ns: string; lines: readonly string[] }[];
  readonly processes: readonly LabProcessStatus[];
}

/** What is there of lab `name`; undefined when neither its namespaces nor its state dir exist. */
export function labStatus(name: string = DEFAULT_LAB_NAME, workDir = defaultWorkDir(name), tailLines = 5): LabStatus | undefined {
  const present = new Set(ownNamespaces(name));
  if (present.size === 0 && !existsSync(workDir)) return undefined;
  const info = readLabInfo(name, workDir);
  const expected = [`${name}-srv`, ...(info?.proxy || present.has(`${name}-srv2`) ? [`${name}-srv2`] : []), `${name}-cli`];
  const interfaces = expected
    .filter((ns) => present.has(ns))
    .map((ns) => ({ ns, lines: run('ip', ['-n', ns, '-br', 'addr']).stdout.split('\n').filter((l) => l.trim().length > 0) }));
  const processes = (info?.servers ?? []).map((s) => ({
    ...s,
    alive: isAlive(s.pid) && present.has(s.ns),
    logTail: lastLines(tail(s.log, 4000), tailLines),
  }));
  return {
    name,
    stateDir: workDir,
    ...(info ? { info } : {}),
    namespaces: expected.map((n) => ({ name: n, present: present.has(n) })),
    interfaces,
    processes,
  };
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}

/** Human-readable `pxecheck lab status`. */
export function formatLabStatus(s: LabStatus): string {
  const out: string[] = [];
  const alive = s.processes.filter((p) => p.alive).length;
  const state = s.info === undefined ? 'incomplete (no lab.json: crashed or still starting; `lab down` cleans up)' : alive === s.processes.length ? 'up' : 'degraded';
  out.push(`lab ${s.name}: ${state}${s.info ? ` — server ${s.info.server}${s.info.proxy ? ' (proxyDHCP + kea)' : ''}, ${s.info.builtInConfig ? 'built-in full-chain config' : 'user config'}` : ''}`);
  out.push(`state dir: ${s.stateDir}`);
  if (s.info) {
    out.push(`server ${s.info.serverAddr} ${s.info.serverAddr6}  http ${s.info.httpBase}/  tftp root ${s.info.tftpRoot}`);
    out.push(`client: netns ${s.info.clientNs} iface ${s.info.clientIface} (raw mode); relay ${s.info.relayAddr} on ${s.info.relayIface}`);
    const v6 = s.info.ipv6;
    if (v6) {
      out.push(`ipv6 (${v6.mode}): DHCPv6 ${v6.dhcp6Server}${v6.builtInConfig6 ? '' : ' (your config)'}, RA ${v6.ra} from ${v6.raSender}, prefix ${v6.prefix6}, pool ${v6.pool6[0]}-${v6.pool6[1]}`);
      out.push(`  boot URLs: PXE ${v6.bootUrls.pxe}  HTTP boot ${v6.bootUrls.httpBoot}  iPXE ${v6.bootUrls.ipxe}; kernel IPv6 off on ${s.info.clientIface}`);
      // Older lab.json files (before relayAddr6) have no IPv6 relay address.
      if (v6.relayAddr6 !== undefined) out.push(`  relay ${v6.relayAddr6} on ${s.info.relayIface} (DHCPv6 relay mode: --relay-from ${v6.relayAddr6})`);
    }
  }
  out.push('namespaces:');
  for (const n of s.namespaces) out.push(`  ${n.name}  ${n.present ? 'present' : 'missing'}`);
  out.push('interfaces:');
  for (const i of s.interfaces) for (const l of i.lines) out.push(`  ${i.ns}  ${l.trim().replace(/\s+/g, ' ')}`);
  out.push('processes:');
  for (const p of s.processes) {
    out.push(`  ${p.label.padEnd(8)} pid ${p.pid} ${p.alive ? 'alive' : 'DEAD'}  ns ${p.ns}${p.config ? `  config ${p.config}` : ''}`);
    out.push(`           log ${p.log}`);
    for (const l of p.logTail.split('\n')) if (l.trim()) out.push(`           | ${l}`);
  }
  return out.join('\n') + '\n';
}
