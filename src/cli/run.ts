/**
 * `pxecheck run`: load every scenario (all problems at once), open the transport, run, report.
 * Exit 0 all passed, 1 a step failed (or the run was interrupted), 2 usage, scenario or
 * environment error. Bounded: a wall-clock cap of the scenarios' budgets plus slack, and Ctrl-C
 * closes the transport and still writes what ran.
 */
import { isIPv6 } from 'node:net';
import { CaptureFileWriter, PcapngWriter } from '../capture/writer.js';
import { colorEnabled, palette } from '../report/color.js';
import { TextOutput } from '../report/output.js';
import { renderRunJson } from '../report/run-json.js';
import { renderRunJunit } from '../report/run-junit.js';
import { renderRunText } from '../report/run-text.js';
import { reportWidth } from '../report/layout.js';
import { SystemClock, type Clock } from '../scenario/clock.js';
import { expandClients, isLoadMode, runScenarios, type RunResult } from '../scenario/driver.js';
import { loadPlan } from '../scenario/load/settings.js';
import { loadAskOf, loadCeiling, loadCeilingProblem } from '../scenario/safety.js';
import { formatProblem, loadScenario, ScenarioError } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema/index.js';
import type { ClientTransport } from '../scenario/transport/types.js';
import type { AnalyzeIo } from './analyze.js';
import { ExitCode } from './exit-codes.js';
import type { RunArgs } from './options.js';
import { ProgressLine } from '../report/load-progress.js';
import type { LabFaultInjector } from '../lab/faults.js';
import type { FaultSpec } from '../scenario/load/fault-schema.js';
import { UdpPort } from '../wire/ports.js';
import { EnvironmentError } from '../errors.js';
import { dropEarlyTftpWorker, startEarlyTftpWorker } from '../scenario/transport/offload/early-worker.js';
import { warmHttpSteps } from '../scenario/run/warm-up.js';
export { EnvironmentError } from '../errors.js';

export type RunIo = AnalyzeIo;

/** Clients above which raw mode takes every frame instead of a per-MAC capture filter (the raw transport names at most 64 MACs in its filter). */
export const MAC_FILTER_MAX = 64;

export interface RunDeps {
  /** Opens the transport (default: raw.js / relay.js, imported on demand); `macs`: every client MAC. */
  createTransport?: (args: RunArgs, macs: string[], link?: TransportLink) => Promise<ClientTransport>;
  clock?: Clock;
  /** Subscribe to Ctrl-C; returns the unsubscribe (default: process SIGINT). */
  onInterrupt?: (handler: () => void) => () => void;
  /** Extra wall-clock seconds over the scenarios' budgets before the run is cut (default 5). */
  slackSeconds?: number;
}

export const PRIVILEGE_HINT =
  'raw mode sends and receives layer-2 frames through libpcap and needs CAP_NET_RAW and CAP_NET_ADMIN: ' +
  'run as root, or grant them to node once with `sudo setcap cap_net_raw,cap_net_admin+eip $(which node)`; ' +
  'or use relay mode, which needs no privileges: --relay-from ADDR --server ADDR';

function isMissingModule(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find module|Failed to load url/i.test(String((e as Error).message));
}

/** Link settings the scenarios ask of the transport (raw mode). */
export interface TransportLink {
  mtu?: number;
  /** Some step fetches over TFTP (relay mode: start a TFTP worker thread at once). */
  tftp?: boolean;
  /** Some step fetches over HTTP (warm the transport's TCP path before the first step). */
  http?: boolean;
}

/** The real transports, imported only when asked for (libpcap is not loaded in relay mode). */
export async function defaultTransport(args: RunArgs, macs: string[] = [], link: TransportLink = {}): Promise<ClientTransport> {
  const t = args.transport;
  if (t.kind === 'raw') {
    let mod: typeof import('../scenario/transport/raw/transport.js');
    try {
      mod = await import('../scenario/transport/raw/transport.js');
    } catch (e) {
      if (isMissingModule(e)) throw new EnvironmentError(`raw mode is not available in this build (the libpcap transport is missing); ${PRIVILEGE_HINT}`);
      throw new EnvironmentError(`cannot load the raw transport: ${(e as Error).message}; ${PRIVILEGE_HINT}`);
    }
    try {
      return await mod.createRawTransport({
        interface: t.interface, ...(macs.length > 0 ? { macs } : {}), ...(args.rate === undefined ? {} : { rateLimitPps: args.rate }),
        ...(link.mtu === undefined ? {} : { mtu: link.mtu }), ...(link.tftp === true ? { prewarmTftp: true } : {}), ...(link.http === true ? { prewarmTcp: true } : {}),
      });
    } catch (e) {
      throw new EnvironmentError(`cannot open interface ${t.interface}: ${(e as Error).message}\nhint: ${PRIVILEGE_HINT}`);
    }
  }
  let mod: typeof import('../scenario/transport/relay.js');
  try {
    mod = await import('../scenario/transport/relay.js');
  } catch (e) {
    throw new EnvironmentError(isMissingModule(e) ? 'relay mode is not available in this build (the relay transport is missing)' : `cannot load the relay transport: ${(e as Error).message}`);
  }
  const rate = { ...(args.rate === undefined ? {} : { rateLimitPps: args.rate }), ...(link.tftp === true ? { prewarmTftp: true } : {}), ...(link.http === true ? { prewarmTcp: true } : {}) };
  try {
    if (isIPv6(t.relayFrom)) {
      // A DHCPv6 relay (RFC 8415 §19): RELAY-FORW with link-address = relayFrom, interface-id = --circuit-id.
      // The DHCPv4 side stays on loopback with a free port: it is never used by IPv6 personas.
      return await mod.createRelayTransport({
        relayFrom: '127.0.0.1', relayPort: 0, server: '127.0.0.1', relayFrom6: t.relayFrom, server6: args.server, ...rate,
        ...(t.circuitId === undefined ? {} : { interfaceId6: t.circuitId }),
      });
    }
    return await mod.createRelayTransport({
      relayFrom: t.relayFrom, server: args.server, ...rate,
      ...(t.circuitId === undefined ? {} : { circuitId: t.circuitId }), ...(t.remoteId === undefined ? {} : { remoteId: t.remoteId }),
    });
  } catch (e) {
    const port = isIPv6(t.relayFrom) ? UdpPort.DHCPV6_SERVER : UdpPort.DHCP_SERVER;
    throw new EnvironmentError(`cannot open relay mode from ${t.relayFrom} to ${args.server}: ${(e as Error).message} (is ${t.relayFrom} an address of this machine, and is UDP port ${port} free? binding it may need root or CAP_NET_BIND_SERVICE)`);
  }
}

function processInterrupt(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/** Every frame the transport reports, as pcapng with one interface per link type. */
function pcapSink(path: string, transport: ClientTransport): { close(): void } {
  const file = new CaptureFileWriter(path);
  const writer = new PcapngWriter(file.write, { application: 'pxecheck run' });
  const ifaces = new Map<number, number>();
  transport.onFrame?.((_dir, time, linkType, frame) => {
    let id = ifaces.get(linkType);
    if (id === undefined) ifaces.set(linkType, (id = writer.addInterface(linkType, { name: `${transport.kind}-${linkType}`, tsresol: 9 })));
    writer.writePacket(id, time, frame);
  });
  return { close: () => file.close() };
}

/** Every scenario file loaded, or every problem of every file (file:line:col: message). */
export function loadScenarioFiles(paths: readonly string[]): { scenarios: Scenario[]; problems: string[] } {
  const scenarios: Scenario[] = [];
  const problems: string[] = [];
  for (const path of paths) {
    try {
      scenarios.push(loadScenario(path));
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      problems.push(...e.problems.map(formatProblem));
    }
  }
  return { scenarios, problems };
}

/**
 * The first load scenario that asks for more than the ceiling in force (issue 15: load mode has a
 * default ceiling that must be raised on purpose), as one line; null when all are within it.
 */
export function loadCeilingRefusal(scenarios: readonly Scenario[], args: Pick<RunArgs, 'load' | 'maxLoad'>): string | null {
  const ceiling = loadCeiling(args.maxLoad);
  for (const s of scenarios) {
    if (!isLoadMode(s, args)) continue;
    const problem = loadCeilingProblem(loadAskOf(loadPlan(s, args.load, ceiling)), args.maxLoad);
    if (problem !== null) return `${s.file}: ${problem}`;
  }
  return null;
}

export async function runRun(args: RunArgs, io: RunIo, deps: RunDeps = {}): Promise<number> {
  try {
    return await runScenarioFiles(args, io, deps);
  } finally {
    // Every way out (a usage error before the transport, one opening it, a run done): an early TFTP
    // worker no pool adopted stops now instead of warming while the CLI exits. Not awaited.
    void dropEarlyTftpWorker();
  }
}

async function runScenarioFiles(args: RunArgs, io: RunIo, deps: RunDeps): Promise<number> {
  const { scenarios, problems } = loadScenarioFiles(args.scenarios);
  if (problems.length > 0) {
    io.stderr(`${problems.join('\n')}\npxecheck: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the scenario files; nothing was sent\n`);
    return ExitCode.USAGE;
  }
  // Before the transport opens: above the ceiling not one frame leaves.
  const refusal = loadCeilingRefusal(scenarios, args);
  if (refusal !== null) {
    io.stderr(`pxecheck: ${refusal}; nothing was sent\n`);
    return ExitCode.USAGE;
  }
  // A TFTP step ahead (tftp, or an iPXE script that may fetch over TFTP): the TFTP worker starts now
  // (main.ts already did for --relay-from), so its start-up overlaps loading and opening the
  // transport; without such a step a worker main.ts started is stopped.
  const tftp = scenarios.some((s) => s.clients.some((c) => c.steps.some((st) => st.kind === 'tftp' || st.kind === 'ipxe-script')));
  const http = scenarios.some((s) => s.clients.some((c) => c.steps.some((st) => st.kind === 'http' || st.kind === 'ipxe-script')));
  if (deps.createTransport === undefined) {
    void (tftp ? startEarlyTftpWorker() : dropEarlyTftpWorker());
  }

  const faults = await faultInjector(args, scenarios);
  if (typeof faults === 'string') {
    io.stderr(`pxecheck: ${faults}\n`);
    return ExitCode.USAGE;
  }

  let transport: ClientTransport;
  try {
    // Raw mode filters frames by MAC when there are few; a storm's MACs would not fit a BPF program.
    const total = scenarios.reduce((n, s) => n + s.clients.reduce((m, c) => m + c.mac.count, 0), 0);
    const macs = total > MAC_FILTER_MAX ? [] : [...new Set(scenarios.flatMap((s) => expandClients(s).map((c) => c.mac)))];
    // The smallest `mtu:` of the scenarios: a transfer that must fit every one of them.
    const mtus = scenarios.flatMap((s) => (s.mtu === undefined ? [] : [s.mtu]));
    transport = await (deps.createTransport ?? defaultTransport)(args, macs, { ...(mtus.length ? { mtu: Math.min(...mtus) } : {}), ...(tftp ? { tftp } : {}), ...(http ? { http } : {}) });
  } catch (e) {
    io.stderr(`pxecheck: ${(e as Error).message}\n`);
    return ExitCode.USAGE;
  }

  // An HTTP step ahead: one played on the loopback transport first, so the first real one is not
  // timed while V8 compiles the step's code (~1 ms of it, scenario/run/warm-up.ts). Not with an
  // injected transport (tests drive their own).
  if (http && deps.createTransport === undefined) await warmHttpSteps();

  const pcap = args.pcap === undefined ? null : pcapSink(args.pcap, transport);
  const abort = new AbortController();
  let reason: string | null = null;
  const stopListening = (deps.onInterrupt ?? processInterrupt)(() => {
    reason = 'interrupted (Ctrl-C): closing the transport, writing partial results';
    io.stderr(`pxecheck: ${reason}\n`);
    abort.abort();
  });
  transport.onFailure?.((message) => {
    reason = `the transport stopped: ${message}`;
    io.stderr(`pxecheck: ${reason}; writing the results so far\n`);
    abort.abort();
  });
  const capSeconds = scenarios.reduce((t, s) => t + s.budgetMs / 1000, 0) + (deps.slackSeconds ?? 5);
  const cap = setTimeout(() => {
    reason = `the run exceeded its wall-clock cap of ${capSeconds} s (the scenarios' budgets plus slack)`;
    io.stderr(`pxecheck: ${reason}\n`);
    abort.abort();
  }, capSeconds * 1000);
  cap.unref?.();

  let result: RunResult;
  const progress = io.stderrIsTTY === true ? new ProgressLine(io.stderr) : null;
  try {
    result = await runScenarios(scenarios, {
      transport, clock: deps.clock ?? new SystemClock(), target: { server: args.server }, signal: abort.signal, loadCeiling: loadCeiling(args.maxLoad),
      ...(args.load === undefined ? {} : { load: faults === null ? args.load : { ...args.load, faults: faults.flags } }),
      ...(progress === null && faults === null ? {} : {
        loadHooks: { ...(progress === null ? {} : { progress: (p) => progress.show(p) }), ...(faults === null ? {} : { faults: faults.injector }) },
      }),
    });
  } finally {
    faults?.injector.close();
    progress?.clear();
    clearTimeout(cap);
    stopListening();
    await transport.close().catch(() => undefined);
    pcap?.close();
  }
  if (reason !== null) result.ok = false;
  return writeRunReport(result, args.format, args.output, io);
}

/**
 * Faults (`load.faults`, `--fault`) act on a lab's servers and links: `--lab` hands its child
 * `--lab-name`; by hand, run inside a lab from `pxecheck lab up --name NAME` with `--lab-name NAME`.
 * null when there are none; a one-line problem (exit 2) when they cannot be injected.
 */
async function faultInjector(args: RunArgs, scenarios: readonly Scenario[]): Promise<{ injector: LabFaultInjector; flags: FaultSpec[] } | null | string> {
  let flags: FaultSpec[] = [];
  if (args.faultFlags !== undefined && args.faultFlags.length > 0) {
    const { parseFaultFlags } = await import('../scenario/load/fault-flags.js');
    const parsed = parseFaultFlags(args.faultFlags);
    if (typeof parsed === 'string') return parsed;
    flags = parsed;
  }
  const wanted = flags.length > 0 || scenarios.some((s) => (s.load?.faults?.length ?? 0) > 0);
  if (!wanted) return null;
  if (args.labName === undefined) {
    return 'faults act on a lab\'s servers and links: run with --lab, or inside a lab from `pxecheck lab up --name NAME` with --lab-name NAME';
  }
  const { LabFaultInjector } = await import('../lab/faults.js');
  try {
    return { injector: LabFaultInjector.forLab(args.labName), flags };
  } catch (e) {
    return (e as Error).message;
  }
}

/** The report of a run (or of merged load runs) in the chosen format; the exit code from `ok`. */
export function writeRunReport(result: RunResult, format: RunArgs['format'], output: string | undefined, io: RunIo): number {
  const args = { format, output };
  const out = TextOutput.open(args.output);
  try {
    if (args.format === 'json') out.line(renderRunJson(result));
    else if (args.format === 'junit') out.line(renderRunJunit(result));
    else {
      const toFile = args.output !== undefined && args.output !== '-';
      const pal = palette(colorEnabled({ isTTY: io.stdoutIsTTY, toFile, env: io.env }));
      for (const l of renderRunText(result, pal, { width: toFile ? null : reportWidth(io) })) out.line(l);
    }
  } finally {
    out.close();
  }
  return result.ok ? ExitCode.OK : ExitCode.FINDINGS;
}

/** The engine that turns a capture into boot chains (src/analysis/capture.ts), injected for tests;
 *  `tap` rides along its read (the DHCP messages the checks observe). */
export type ChainsFn = (tap: import('../analysis/capture.js').AnalysisTap) => Promise<import('../analysis/types.js').Analysis>;

/**
 * `pxecheck analyze FILE --scenario SCENARIO...`: the scenarios' expectations and budgets applied
 * to a recorded boot, reported like `run` (same formats and exit codes).
 */
export async function runAnalyzeScenario(
  scenarioPaths: string[], server: string | undefined, format: RunArgs['format'], output: string | undefined,
  analyze: ChainsFn, io: RunIo,
): Promise<number> {
  const { checkRecordedBoot, dhcpFrames } = await import('../scenario/run/offline.js');
  const { DhcpCollector } = await import('../scenario/run/captured-dhcp.js');
  const { scenarios, problems } = loadScenarioFiles(scenarioPaths);
  if (problems.length > 0) {
    io.stderr(`${problems.join('\n')}\npxecheck: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the scenario files\n`);
    return ExitCode.USAGE;
  }
  // The DHCP replies themselves (the boot chains keep no option values), taken during the one
  // read: a pipe, a FIFO or merged files are checked as a file is.
  const dhcp = new DhcpCollector();
  const analysis = await analyze({ sink: (builder) => dhcp.tap(builder) });
  const captured = dhcp.captured(dhcpFrames(analysis));
  const results = scenarios.map((s) => checkRecordedBoot(s, analysis, captured, server));
  const result: RunResult = { ok: results.every((r) => r.ok), scenarios: results };
  const out = TextOutput.open(output);
  try {
    if (format === 'json') out.line(renderRunJson(result));
    else if (format === 'junit') out.line(renderRunJunit(result));
    else {
      const toFile = output !== undefined && output !== '-';
      for (const l of renderRunText(result, palette(colorEnabled({ isTTY: io.stdoutIsTTY, toFile, env: io.env })), { width: toFile ? null : reportWidth(io) })) out.line(l);
    }
  } finally {
    out.close();
  }
  return result.ok ? ExitCode.OK : ExitCode.FINDINGS;
}
