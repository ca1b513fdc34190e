/**
 * `pxecheck run SCENARIO... --lab [SERVER]`: bring up a throw-away lab (src/lab/labctl.ts), play the
 * scenarios from its client namespace in raw mode, tear the lab down whatever happens.
 *
 * The raw transport has to open `cl0` inside the client namespace while this process stays in the
 * root namespace (a process cannot switch its network namespace per socket from Node), so the run
 * itself is a child: `ip netns exec <clientNs> node bin/pxecheck.js run … --interface cl0`.
 * Its stdout/stderr are ours; its exit code is ours.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingBinaryError } from '../lab/binaries.js';
import { BRIDGE } from '../lab/lab.js';
import { labDown, labUp, type LabInfo, type LabServerKind, type LabUpOptions } from '../lab/labctl.js';
import { isIpv6Persona, SCENARIO_LAB_SERVERS, type Scenario } from '../scenario/schema/index.js';
import { loadCeilingRefusal, loadScenarioFiles } from './run.js';
import { maxLoadText } from '../scenario/safety.js';
import { ExitCode } from './exit-codes.js';
import type { RunArgs } from './options.js';
import type { RunIo } from './run.js';

export interface RunLabDeps {
  labUp?: (opts: LabUpOptions) => Promise<LabInfo>;
  labDown?: (name: string) => Promise<unknown>;
  /** Starts a program, stdout/stderr inherited unless quiet (default child_process.spawn, own process group). */
  spawn?: (cmd: string, args: string[], quiet: boolean) => ChildProcess;
  isRoot?: () => boolean;
  /** Subscribe to Ctrl-C (and SIGTERM); returns the unsubscribe. */
  onInterrupt?: (handler: () => void) => () => void;
  /** The lab's name (default `pxr` + 4 random hex digits, so parallel runs never collide). */
  labName?: string;
  /** The CLI the child runs (default bin/pxecheck.js of this package). */
  cliPath?: string;
  /** `--capture FILE`: tcpdump the lab bridge for the whole run into FILE (always kept). */
  capture?: string;
  /** Without --capture the bridge is still recorded into a temp file, kept only when the run
   *  fails so there is a pcap to analyze; false turns that off (unit tests with fake spawns). */
  autoCapture?: boolean;
}

export const LAB_ROOT_HINT =
  'run --lab builds network namespaces, veths and a bridge and starts DHCP/TFTP/HTTP servers in them: run it as root (sudo)';

/** How to aim `run` at a real server instead of the lab (printed with the lab's one-line notice). */
export const REAL_SERVER_HINT =
  '--interface IFACE --server ADDR (raw layer 2, needs CAP_NET_RAW) or --relay-from ADDR --server ADDR (relay, no privileges)';

export const IMPLICIT_LAB_ROOT_HINT =
  'no transport given, so run would use the built-in lab, which needs root (it builds network namespaces and starts ' +
  `DHCP/TFTP/HTTP servers): run as root (sudo), or aim it at a real boot server: ${REAL_SERVER_HINT}`;

// The scenario language lists the lab servers itself (no scenario → lab import); they must agree.
const SAME_SERVERS: readonly LabServerKind[] = SCENARIO_LAB_SERVERS;
void SAME_SERVERS;

/** The lab a run brings up: the user's flags first, then what the scenarios ask for (`lab:`), then dnsmasq. */
export interface LabPlan {
  server: LabServerKind;
  proxy: boolean;
  /** The client's switch-port MTU the scenarios ask for (`lab: { mtu }`), else undefined. */
  mtu?: number;
  /** Lines for stderr: the scenario prefers another server than the one the user named, and why. */
  notes: string[];
}

/** Picks one lab for all the scenarios, or throws (a usage error) when they need different ones. */
export function planLab(lab: NonNullable<RunArgs['lab']>, scenarios: readonly Scenario[]): LabPlan {
  const proxyWanted = scenarios.filter((s) => s.lab?.proxy === true);
  if (proxyWanted.length > 0 && proxyWanted.length < scenarios.length) {
    const plain = scenarios.filter((s) => s.lab?.proxy !== true);
    throw new Error(`the scenarios need different labs: ${proxyWanted.map((s) => s.name).join(', ')} a proxyDHCP lab, ` +
      `${plain.map((s) => s.name).join(', ')} a plain one; run them separately`);
  }
  const proxy = lab.proxy === true || proxyWanted.length > 0;
  const mtus = [...new Set(scenarios.map((s) => s.lab?.mtu))];
  if (mtus.length > 1) {
    throw new Error(`the scenarios need different labs: ${scenarios.map((s) => `${s.name} ${s.lab?.mtu === undefined ? 'no MTU mismatch' : `client MTU ${s.lab.mtu}`}`).join(', ')}; run them separately`);
  }
  const mtu = mtus[0];
  const asked = [...new Set(scenarios.flatMap((s) => (s.lab?.server === undefined ? [] : [s.lab.server])))];
  const notes: string[] = [];
  if (lab.server !== undefined) {
    for (const s of scenarios) {
      if (s.lab?.server !== undefined && s.lab.server !== lab.server) {
        notes.push(`note: scenario ${s.name} expects the ${s.lab.server} lab${s.lab.reason === undefined ? '' : `: ${s.lab.reason}`}`);
      }
    }
    return { server: lab.server, proxy, notes, ...(mtu === undefined ? {} : { mtu }) };
  }
  if (asked.length > 1) throw new Error(`the scenarios ask for different lab servers (${asked.join(', ')}); run them separately or name one: --lab SERVER`);
  return { server: asked[0] ?? 'dnsmasq', proxy, notes, ...(mtu === undefined ? {} : { mtu }) };
}

const DEFAULT_CLI = fileURLToPath(new URL('../../bin/pxecheck.js', import.meta.url));

function processInterrupt(handler: () => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Own process group: a terminal's Ctrl-C reaches only us, and we forward it exactly once. */
function defaultSpawn(cmd: string, args: string[], quiet: boolean): ChildProcess {
  return spawn(cmd, args, { stdio: quiet ? 'ignore' : ['ignore', 'inherit', 'inherit'], detached: true });
}

/** The child's `run` command line: the lab's interface and server, paths made absolute. */
export function childRunArgs(args: RunArgs, lab: Pick<LabInfo, 'clientIface' | 'serverAddr' | 'ipv6'> & { name?: string }, cwd = process.cwd()): string[] {
  // An IPv6-only lab has no IPv4 server: `${server}` is then its IPv6 address.
  const server = lab.ipv6?.mode === 'only' ? lab.ipv6.serverAddr6 : lab.serverAddr;
  const out = ['run', ...args.scenarios.map((s) => resolve(cwd, s)), '--interface', lab.clientIface, '--server', server, '--format', args.format];
  if (args.output !== undefined) out.push('--output', args.output === '-' ? '-' : resolve(cwd, args.output));
  if (args.pcap !== undefined) out.push('--pcap', resolve(cwd, args.pcap));
  if (args.rate !== undefined) out.push('--max-pps', String(args.rate));
  const l = args.load;
  if (l?.arrival?.kind === 'rate') out.push('--arrival-rate', String(l.arrival.perSecond));
  if (l?.concurrency !== undefined) out.push('--concurrency', String(l.concurrency));
  if (l?.count !== undefined) out.push('--count', String(l.count));
  if (l?.durationMs !== undefined) out.push('--duration', `${l.durationMs}ms`);
  if (l?.shard !== undefined) out.push('--shard', `${l.shard.index + 1}/${l.shard.count}`);
  if (args.maxLoad !== undefined) out.push('--max-load', maxLoadText(args.maxLoad));
  // Faults act on this lab: the child injects them (it sees the arrivals).
  for (const f of args.faultFlags ?? []) out.push('--fault', f);
  if (lab.name !== undefined) out.push('--lab-name', lab.name);
  return out;
}

/** Whether a scenario plays an IPv6 persona (then the lab serves IPv6 too). */
export function usesIpv6(scenarios: readonly Scenario[]): boolean {
  return scenarios.some((s) =>
    s.clients.some((c) => isIpv6Persona(c.persona) || c.steps.some((st) => st.kind === 'become' && isIpv6Persona(st.persona))));
}

/** Exit code of a child: its own, or 1 (interrupted / killed) when a signal ended it. */
function waitExit(child: ChildProcess): Promise<number> {
  return new Promise((res) => {
    if (child.exitCode !== null) return res(child.exitCode);
    child.once('error', () => res(ExitCode.USAGE));
    child.once('exit', (code) => res(code ?? ExitCode.FINDINGS));
  });
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(sig);
  } catch {
    // already gone
  }
}

/** tcpdump on the lab bridge; returns once it has created FILE (bounded), or null if it died. */
async function startBridgeCapture(lab: LabInfo, file: string, spawnFn: NonNullable<RunLabDeps['spawn']>, io: RunIo): Promise<ChildProcess | null> {
  const proc = spawnFn('ip', ['netns', 'exec', lab.clientNs, 'tcpdump', '-i', BRIDGE, '--immediate-mode', '-U', '-w', file], true);
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && proc.exitCode === null && !existsSync(file)) await new Promise((r) => setTimeout(r, 50));
  if (proc.exitCode !== null || !existsSync(file)) {
    io.stderr(`pxecheck: bridge capture: tcpdump on ${BRIDGE} in ${lab.clientNs} did not start; running without it\n`);
    signal(proc, 'SIGKILL');
    return null;
  }
  await new Promise((r) => setTimeout(r, 200)); // the file exists before the filter is attached
  return proc;
}

async function stopCapture(proc: ChildProcess): Promise<void> {
  signal(proc, 'SIGINT'); // tcpdump flushes and closes the file on SIGINT
  const killer = setTimeout(() => signal(proc, 'SIGKILL'), 3_000);
  await waitExit(proc);
  clearTimeout(killer);
}

export async function runWithLab(args: RunArgs, io: RunIo, deps: RunLabDeps = {}): Promise<number> {
  if (args.lab === undefined) throw new Error('runWithLab: args.lab is not set');
  if (!(deps.isRoot ?? (() => process.getuid?.() === 0))()) {
    io.stderr(`pxecheck: ${args.lab.implicit ? IMPLICIT_LAB_ROOT_HINT : LAB_ROOT_HINT}\n`);
    return ExitCode.USAGE;
  }
  // Scenario problems are reported before any lab is built.
  const { scenarios, problems } = loadScenarioFiles(args.scenarios);
  if (problems.length > 0) {
    io.stderr(`${problems.join('\n')}\npxecheck: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the scenario files; no lab was built\n`);
    return ExitCode.USAGE;
  }
  const refusal = loadCeilingRefusal(scenarios, args);
  if (refusal !== null) {
    io.stderr(`pxecheck: ${refusal}; no lab was built, nothing was sent\n`);
    return ExitCode.USAGE;
  }
  let plan: LabPlan;
  try {
    plan = planLab(args.lab, scenarios);
  } catch (e) {
    io.stderr(`pxecheck: ${(e as Error).message}\n`);
    return ExitCode.USAGE;
  }
  for (const n of plan.notes) io.stderr(`pxecheck: ${n}\n`);
  const labKind = `${plan.proxy ? 'dnsmasq as proxyDHCP beside Kea' : plan.server}${plan.mtu === undefined ? '' : `, client port MTU ${plan.mtu}`}`;
  const labWords = `the built-in lab (${labKind})`;
  if (args.lab.implicit) io.stderr(`pxecheck: no transport given: running against the built-in lab (${labKind}; needs root); to test your own server give ${REAL_SERVER_HINT}\n`);
  const name = deps.labName ?? `pxr${randomBytes(2).toString('hex')}`;
  const spawnFn = deps.spawn ?? defaultSpawn;
  const down = deps.labDown ?? labDown;
  let interrupted = false;
  let child: ChildProcess | null = null;
  const stopListening = (deps.onInterrupt ?? processInterrupt)(() => {
    if (!interrupted) io.stderr(`pxecheck: interrupted: stopping the run, then removing lab ${name}\n`);
    interrupted = true;
    if (child) signal(child, 'SIGINT');
  });
  let capture: ChildProcess | null = null;
  const autoCapture = deps.capture === undefined && deps.autoCapture !== false;
  const captureFile = deps.capture !== undefined ? resolve(deps.capture) : autoCapture ? join(tmpdir(), `pxecheck-${name}-bridge.pcapng`) : null;
  let exitCode: number | null = null;
  try {
    let lab: LabInfo;
    try {
      const l = args.lab;
      const ipv6 = l.ipv6 ?? (usesIpv6(scenarios) ? true : undefined);
      lab = await (deps.labUp ?? labUp)({
        name, server: plan.server, ...(plan.proxy ? { proxy: true } : {}), ...(l.config === undefined ? {} : { config: resolve(l.config) }),
        ...(ipv6 === undefined ? {} : { ipv6 }), ...(l.ra === undefined ? {} : { ra: l.ra }),
        ...(l.config6 === undefined ? {} : { config6: resolve(l.config6) }),
        ...(plan.mtu === undefined ? {} : { clientMtu: plan.mtu }),
      });
    } catch (e) {
      const why = e instanceof MissingBinaryError ? e.message : `cannot start ${labWords}: ${(e as Error).message}`;
      io.stderr(`pxecheck: ${why}\n`);
      return ExitCode.USAGE;
    }
    if (interrupted) return ExitCode.FINDINGS;
    if (captureFile !== null) capture = await startBridgeCapture(lab, captureFile, spawnFn, io);
    if (interrupted) return ExitCode.FINDINGS;
    child = spawnFn('ip', ['netns', 'exec', lab.clientNs, process.execPath, deps.cliPath ?? DEFAULT_CLI, ...childRunArgs(args, lab)], false);
    const code = await waitExit(child);
    exitCode = interrupted && code === ExitCode.OK ? ExitCode.FINDINGS : code;
    return exitCode;
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) {
      signal(child, 'SIGKILL');
      await waitExit(child);
    }
    if (capture) await stopCapture(capture);
    if (capture && autoCapture && captureFile !== null) {
      // The automatic recording is for failures: keep it then, and say where.
      if (exitCode === ExitCode.OK) rmSync(captureFile, { force: true });
      else if (existsSync(captureFile)) io.stderr(`pxecheck: the lab bridge was recorded: ${captureFile} (pxecheck analyze ${captureFile})\n`);
    }
    try {
      await down(name);
    } catch (e) {
      io.stderr(`pxecheck: removing lab ${name} failed: ${(e as Error).message}; run 'pxecheck lab down --name ${name}'\n`);
    }
    stopListening();
  }
}
