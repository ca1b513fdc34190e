/**
 * `pxecheck capture`: live capture through libpcap on one or more interfaces, written as pcapng
 * (one interface description block per interface) while each client's boot chain is printed as it
 * happens. Ends on Ctrl-C, `--duration` or `--max-packets` with a complete file and a summary.
 * The interface opener, clock, timers and the interrupt signal are injected (`CaptureDeps`).
 */
import { basename } from 'node:path';
import { LiveCaptureError, openLiveInterface, type LiveInterface, type LiveOpenOptions } from '../capture/live.js';
import type { CaptureRecord } from '../capture/types.js';
import { CaptureFileWriter, PcapngWriter } from '../capture/writer.js';
import type { AnalysisPart } from '../analysis/engine.js';
import { colorEnabled, palette } from '../report/color.js';
import { LiveSession } from './capture-session.js';
import { tryParseDuration } from '../scenario/duration.js';
import { exitCodeFor } from './analyze.js';
import { ExitCode, UsageError } from './exit-codes.js';
import type { Monitor } from '../monitor/monitor.js';
import { parseListenAddress, type ListenAddress } from '../monitor/listen.js';

import { DEFAULT_CAPTURE_FILTER, DEFAULT_MAX_PACKETS } from './capture-defaults.js';
export { DEFAULT_CAPTURE_FILTER, DEFAULT_MAX_PACKETS };
export const DEFAULT_SNAPLEN = 65535;

export interface CaptureArgs {
  /** Interfaces in the order given: pcapng interface ids 0, 1, … */
  interfaces: string[];
  /** pcapng output file, or undefined for none. */
  write: string | undefined;
  /** Seconds, or undefined: until Ctrl-C. */
  duration: number | undefined;
  filter: string;
  analyze: boolean;
  maxPackets: number;
  /** `--keep-duplicates`: analyze mirror-port copies too. */
  keepDuplicates: boolean;
  /** `--metrics [ADDR:]PORT`: serve Prometheus/OpenMetrics on /metrics. */
  metrics?: ListenAddress;
  /** `--events FILE|-`: JSON lines of finished steps, attempts and findings. */
  events?: string;
}

/** Validates raw `capture` arguments (keys as yargs gives them). Throws UsageError. */
export function checkCaptureArgs(raw: Record<string, unknown>): CaptureArgs {
  const list = raw['interface'] ?? raw['i'];
  const interfaces: string[] = [];
  for (const v of Array.isArray(list) ? list : list === undefined ? [] : [list]) {
    for (const name of String(v).split(',')) {
      const n = name.trim();
      if (n === '') continue;
      if (!/^[^\s/]{1,15}$/.test(n) && n !== 'any') throw new UsageError(`capture: "${n}" is not an interface name (see \`ip link\`)`);
      if (!interfaces.includes(n)) interfaces.push(n);
    }
  }
  if (interfaces.length === 0) throw new UsageError('capture: name an interface with -i IFACE (repeat -i for several; see `ip link`)');

  const write = single(raw['write'], 'write');
  if (write === '') throw new UsageError('capture: --write needs a FILE name (pcapng)');

  let duration: number | undefined;
  const d = single(raw['duration'], 'duration');
  if (d !== undefined) {
    // A plain number is seconds; "90s", "2m", "1m30s", "500ms" as in scenario files.
    const ms = /^\d+(\.\d+)?$/.test(d.trim()) ? Number(d) * 1000 : tryParseDuration(d);
    if (ms === null || !Number.isFinite(ms) || ms <= 0) {
      throw new UsageError(`capture: --duration must be a positive number of seconds or a duration like "30s" or "2m" (got "${d}")`);
    }
    duration = ms / 1000;
  }

  let filter = DEFAULT_CAPTURE_FILTER;
  const f = single(raw['filter'], 'filter');
  if (f !== undefined) {
    // The syntax is libpcap's business (it reports the error at open); empty is ours: it would mean "everything".
    if (f.trim() === '') throw new UsageError(`capture: --filter is empty; omit it for the default (${DEFAULT_CAPTURE_FILTER}) or give a BPF expression`);
    filter = f.trim();
  }

  let maxPackets = DEFAULT_MAX_PACKETS;
  const m = single(raw['max-packets'], 'max-packets');
  if (m !== undefined) {
    const n = Number(m.trim());
    if (m.trim() === '' || !Number.isInteger(n) || n < 1) throw new UsageError(`capture: --max-packets must be a positive integer (got "${m}")`);
    maxPackets = n;
  }
  return { interfaces, write, duration, filter, analyze: raw['analyze'] === true, maxPackets, keepDuplicates: raw['keep-duplicates'] === true, ...monitorArgs(raw) };
}

function monitorArgs(raw: Record<string, unknown>): Pick<CaptureArgs, 'metrics' | 'events'> {
  const m = single(raw['metrics'], 'metrics');
  const metrics = m === undefined ? undefined : parseListenAddress(m);
  if (metrics === null) throw new UsageError(`capture: --metrics takes [ADDR:]PORT, e.g. 9464, 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464 (got "${m}")`);
  const events = single(raw['events'], 'events');
  if (events === '') throw new UsageError('capture: --events needs a FILE name, or - for standard output');
  if (events !== undefined && events !== '-' && events === single(raw['write'], 'write')) throw new UsageError('capture: --events and --write name the same file');
  return { ...(metrics ? { metrics } : {}), ...(events !== undefined ? { events } : {}) };
}

function single(v: unknown, flag: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) throw new UsageError(`capture: --${flag} given more than once`);
  return String(v);
}

export interface CaptureIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdoutIsTTY: boolean | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

export interface CaptureDeps {
  openInterface?: (name: string, opts: LiveOpenOptions) => LiveInterface;
  /** Epoch seconds. */
  now?: () => number;
  /** Calls `fn` every `ms` milliseconds; returns the cancel. */
  every?: (ms: number, fn: () => void) => () => void;
  /** Calls `fn` once after `ms` milliseconds; returns the cancel. */
  after?: (ms: number, fn: () => void) => () => void;
  /** Registers the Ctrl-C handler; returns its removal. */
  onInterrupt?: (fn: () => void) => () => void;
  /** Seconds without a packet before an open step is printed as it stands. */
  quietSeconds?: number;
  utc?: boolean;
  /** Devices finished and released from memory, with their verdicts and findings (metrics,
   *  events). Called during the capture and, for the devices left, at its end. */
  onFinished?: (part: AnalysisPart) => void;
}

/** How often open steps are checked, the file flushed, and findings re-evaluated (throttled). */
const TICK_MS = 250;
const FINDINGS_EVERY_S = 2;

const defaultDeps: Required<Omit<CaptureDeps, 'quietSeconds' | 'utc' | 'onFinished'>> = {
  openInterface: openLiveInterface,
  now: () => Date.now() / 1000,
  every: (ms, fn) => {
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  },
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  onInterrupt: (fn) => {
    process.on('SIGINT', fn);
    return () => process.off('SIGINT', fn);
  },
};

export type StopReason = 'interrupt' | 'duration' | 'max-packets' | 'interface-gone';

/**
 * Runs a capture until Ctrl-C, the duration or the packet cap. Exit: 2 when an interface or the
 * file cannot be opened; with --analyze as `analyze` (1 on an error finding), else 0.
 */
export async function runCapture(args: CaptureArgs, io: CaptureIo, deps: CaptureDeps = {}): Promise<number> {
  const d = { ...defaultDeps, ...deps };
  const pal = palette(colorEnabled({ isTTY: io.stdoutIsTTY, toFile: false, env: io.env }));
  // With `--events -` standard output carries only the events; the live lines go to stderr.
  const out = (lines: readonly string[]): void => {
    for (const l of lines) (args.events === '-' ? io.stderr : io.stdout)(l + '\n');
  };

  // Interfaces first: a missing privilege or a wrong name is reported before any file is created.
  const ifaces: LiveInterface[] = [];
  try {
    for (const name of args.interfaces) ifaces.push(d.openInterface(name, { filter: args.filter, snapLength: DEFAULT_SNAPLEN }));
  } catch (e) {
    for (const i of ifaces) i.close();
    if (e instanceof LiveCaptureError) {
      io.stderr(`pxecheck capture: ${e.message}\n`);
      return ExitCode.USAGE;
    }
    throw e;
  }
  let monitor: Monitor | null = null;
  if (args.metrics || args.events !== undefined) {
    try {
      const { Monitor } = await import('../monitor/monitor.js');
      monitor = await Monitor.open({ metrics: args.metrics, events: args.events, source: `live:${args.interfaces.join(',')}`, stdout: io.stdout });
    } catch (e) {
      for (const i of ifaces) i.close();
      io.stderr(`pxecheck capture: ${(e as Error).message}\n`);
      return ExitCode.USAGE;
    }
    if (monitor.url) io.stderr(`pxecheck capture: metrics on ${monitor.url}\n`);
  }
  let file: CaptureFileWriter | null = null;
  let pcapng: PcapngWriter | null = null;
  if (args.write !== undefined) {
    try {
      file = new CaptureFileWriter(args.write);
    } catch (e) {
      for (const i of ifaces) i.close();
      await monitor?.close();
      io.stderr(`pxecheck capture: cannot write ${args.write}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return ExitCode.USAGE;
    }
    pcapng = new PcapngWriter(file.write, { application: 'pxecheck capture' });
    for (const i of ifaces) pcapng.addInterface(i.linkType, { name: i.name, snaplen: DEFAULT_SNAPLEN });
    file.flush();
  }

  const fileName = args.write ?? `live:${args.interfaces.join(',')}`;
  const mon = monitor;
  const live = new LiveSession({
    fileName, palette: pal, quietSeconds: deps.quietSeconds, utc: deps.utc, report: args.analyze, keepDuplicates: args.keepDuplicates,
    ...(mon ? { tap: (next) => mon.tap(next) } : {}),
    onFinished: (p) => {
      mon?.finished(p, d.now());
      deps.onFinished?.(p);
    },
  });
  const printer = live.printer;
  let frames = 0;
  let framesAtLastFindings = 0;
  let lastFindingsAt = d.now();
  let stopped = false;
  let stop!: (why: StopReason) => void;
  const ended = new Promise<StopReason>((resolve) => {
    stop = (why) => {
      if (stopped) return;
      stopped = true;
      resolve(why);
    };
  });
  // One record object reused for every packet: the pipeline copies what it keeps.
  const rec: CaptureRecord = { frame: 0, time: 0, linkType: 0, interfaceId: 0, data: new Uint8Array(0), origLen: 0 };
  // An interface that goes down or disappears ends the whole capture (the file stays complete).
  let gone: string | null = null;
  ifaces.forEach((iface) => iface.onError((message) => {
    gone ??= message;
    stop('interface-gone');
  }));
  ifaces.forEach((iface, id) => {
    // Views into the binding's batch buffer, no copy per frame: the file writer and the session
    // copy what they keep (test/capture/live-views.test.ts).
    const subscribe = iface.onPacketView?.bind(iface) ?? iface.onPacket.bind(iface);
    subscribe((frame, time, wireLength) => {
      if (stopped) return;
      frames++;
      // The length on the wire goes into the file and the analysis: a frame the snap length cut
      // (a TSO/GSO frame on the server itself) is a cut frame, not a short one.
      const origLen = Math.max(wireLength, frame.length);
      pcapng?.writePacket(id, time, frame, origLen);
      rec.frame = frames;
      rec.time = time;
      rec.linkType = iface.linkType;
      rec.interfaceId = id;
      rec.data = frame;
      rec.origLen = origLen;
      live.push(rec);
      if (frames >= args.maxPackets) stop('max-packets');
    });
  });

  const statsNow = () => ifaces.map((i) => ({ name: i.name, ...i.stats() }));
  const tick = (): void => {
    const now = d.now();
    out(live.poll(now));
    file?.flush();
    // Findings come from a snapshot of the facts (the builder goes on unchanged); throttled, and
    // only when packets arrived since the last evaluation.
    // Either way: a wall clock set back mid-capture must not hold the findings back until it catches up.
    if (frames > framesAtLastFindings && Math.abs(now - lastFindingsAt) >= FINDINGS_EVERY_S) {
      framesAtLastFindings = frames;
      lastFindingsAt = now;
      out(live.findings(now));
    }
    if (monitor?.due(now)) monitor.update(live.snapshot(), now, statsNow());
  };

  io.stderr(`pxecheck capture: listening on ${args.interfaces.join(', ')}${args.write ? `, writing ${args.write}` : ''}` +
    `${args.duration !== undefined ? ` for ${args.duration} s` : ''} (Ctrl-C to stop)\n`);
  const cancelTick = d.every(TICK_MS, tick);
  const cancelTimer = args.duration !== undefined ? d.after(args.duration * 1000, () => stop('duration')) : () => {};
  const removeInterrupt = d.onInterrupt(() => stop('interrupt'));

  const why = await ended;
  if (gone !== null) io.stderr(`pxecheck capture: stopped: ${gone}\n`);
  cancelTick();
  cancelTimer();
  removeInterrupt();
  const stats = statsNow();
  for (const i of ifaces) i.close();
  // The file is complete (every block whole) before anything else is printed.
  file?.close();

  const ending = live.finish(d.now());
  out(ending.lines);
  const analysis = ending.analysis;
  // Devices finished on the way went to the monitor one by one (onFinished); the rest now.
  monitor?.finish(analysis, d.now(), stats);

  const s = analysis.summary;
  const drops = stats.map((st) => `${st.name}: ${st.received} received, ${dropsText(st)}${st.truncated > 0 ? `, ${st.truncated} cut to the snap length` : ''}`);
  out([
    '',
    `${pal.bold('Capture ended')} (${stopReasonText(why, args)}): ${frames} packet${frames === 1 ? '' : 's'} (${drops.join('; ')})`,
    `${pal.bold('Clients:')} ${s.clients} boot, ${s.otherClients} other; boots ${s.booted} booted, ${s.failed} failed, ${s.incomplete} incomplete; steps ${printer.counts.steps}`,
    `${pal.bold('Findings:')} ${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.infos} info`,
    ...(args.write ? [`${pal.bold('Wrote:')} ${args.write} (pcapng; \`pxecheck analyze ${basename(args.write)}\` reads it back)`] : []),
    ...(monitor && args.events !== undefined ? [`${pal.bold('Events:')} ${monitor.core.counts.step} steps, ${monitor.core.counts.attempt} attempts, ${monitor.core.counts.finding} findings${args.events === '-' ? '' : ` to ${args.events}`}`] : []),
  ]);
  await monitor?.close();
  // A vanished interface is an environment error (exit 2), after the file and summary are complete.
  if (!args.analyze) return why === 'interface-gone' ? ExitCode.USAGE : ExitCode.OK;
  io.stdout('\n');
  live.report(analysis, io.stdout);
  return why === 'interface-gone' ? ExitCode.USAGE : exitCodeFor(analysis);
}

/** pcap_stats at the end: packets the kernel dropped (ring buffer full) and the interface dropped. */
function dropsText(st: { dropped: number | null; ifDropped?: number | null }): string {
  if (st.dropped === null) return 'drops: unknown';
  return `dropped: ${st.dropped} by the kernel${st.ifDropped ? `, ${st.ifDropped} by the interface` : ''}`;
}

function stopReasonText(why: StopReason, args: CaptureArgs): string {
  if (why === 'duration') return `--duration ${args.duration} s`;
  if (why === 'max-packets') return `--max-packets ${args.maxPackets} reached`;
  if (why === 'interface-gone') return 'an interface went away';
  return 'interrupted';
}
