/**
 * The options table and pure checks. Nothing here touches a process, a file or the clock, so every
 * rule is unit-tested without spawning pxecheck (jest-cli's `check(argv)`).
 */
import { isIPv6 } from 'node:net';
import type { AppProto } from '../decode/messages.js';
import type { AnalysisThresholds } from '../findings/types.js';
import { LAB_CLIENT_IFACE, LAB_SERVERS, type LabServerKind } from '../lab/labctl.js';
import { SERVER_ADDR } from '../lab/lab.js';
import { UsageError } from './exit-codes.js';
import { THRESHOLD_FLAGS } from './thresholds.js';
import { macOrNull, parseClientSpecs, type ClientSpec } from './client-spec.js';
import { ipv6LabFlags } from './lab.js';
import type { RaMode } from '../lab/fullchain-v6.js';
import { parsePerSecond } from '../scenario/rate.js';
import { tryParseDuration } from '../scenario/duration.js';
import { parseShard } from '../scenario/load/arrivals.js';
import type { LoadRunSettings } from '../scenario/load/settings.js';
import { parseMaxLoad, type LoadAsk } from '../scenario/safety.js';

export { THRESHOLD_FLAGS, thresholdHelp } from './thresholds.js';

/** `line` is an alias of `summary` (one line per message, like tshark's default view). */
export const DECODE_FORMATS = ['text', 'summary', 'line', 'jsonl', 'none'] as const;
export type DecodeFormat = (typeof DECODE_FORMATS)[number];
export const APP_PROTOS: readonly AppProto[] = ['dhcp4', 'dhcp6', 'tftp', 'http', 'icmp', 'ndp'];

export interface DecodeArgs {
  /** The first input (kept for callers that name one file). */
  file: string;
  /** Every input: positional FILEs then `-r FILE`s; folders are expanded later (cli/inputs.ts). */
  files: string[];
  /** Read the inputs as one capture ordered by time. */
  merge: boolean;
  format: DecodeFormat;
  protos: ReadonlySet<AppProto> | null;
  output: string | undefined;
  /** `--client` (repeatable), null for every client. */
  clients: ClientSpec[] | null;
  /** `--xid` (repeatable), null for every transaction. */
  xids: ReadonlySet<number> | null;
  /** `--from` / `--to`, null when not given. */
  from: TimeBound | null;
  to: TimeBound | null;
}

/** A point in the capture: epoch seconds, or seconds after its first packet. */
export type TimeBound = { kind: 'absolute'; epoch: number } | { kind: 'relative'; seconds: number };

/** Validates raw `decode` arguments; throws UsageError naming the flag and the allowed values. */
export function checkDecodeArgs(raw: { file?: unknown; read?: unknown; merge?: unknown; format?: unknown; proto?: unknown; output?: unknown; client?: unknown; xid?: unknown; from?: unknown; to?: unknown }): DecodeArgs {
  const files = inputList(raw.file, raw.read);
  if (files.length === 0) throw new UsageError('decode: missing FILE (a .pcap, .pcapng or .gz capture, a folder of them, or - for standard input)');
  const format = (raw.format ?? 'text') as string;
  if (!(DECODE_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`decode: --format must be one of ${DECODE_FORMATS.join(', ')} (got "${format}")`);
  }
  return {
    file: files[0]!,
    files,
    merge: raw.merge === true,
    format: format as DecodeFormat,
    protos: parseProtoList(raw.proto),
    output: typeof raw.output === 'string' ? raw.output : undefined,
    clients: parseClientSpecs(raw.client),
    xids: parseXids(raw.xid),
    from: parseTimeBound(raw.from, 'from'),
    to: parseTimeBound(raw.to, 'to'),
  };
}

/** Positional FILEs and `-r FILE` (tcpdump/tshark habit), in that order; empty strings dropped. */
export function inputList(positional: unknown, read: unknown): string[] {
  const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
  return [...list(positional), ...list(read)].map(String).filter((s) => s !== '');
}

/** `--xid 0x1a2b3c4d` or `1a2b3c4d` (hex, as every report prints xids); repeatable, commas too. */
export function parseXids(raw: unknown): ReadonlySet<number> | null {
  if (raw === undefined || raw === null) return null;
  const out = new Set<number>();
  for (const item of (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(','))) {
    const s = item.trim().toLowerCase().replace(/^0x/, '');
    if (!/^[0-9a-f]{1,8}$/.test(s)) throw new UsageError(`--xid: "${item.trim()}" is not a transaction id (hex, e.g. 0x1a2b3c4d)`);
    out.add(parseInt(s, 16));
  }
  return out;
}

/** `--from 2024-01-02T03:04:05Z` (ISO time) or `--from 12.5` / `12.5s` (seconds after the first packet). */
export function parseTimeBound(raw: unknown, flag: string): TimeBound | null {
  if (raw === undefined || raw === null) return null;
  if (Array.isArray(raw)) throw new UsageError(`--${flag} given more than once`);
  const s = String(raw).trim();
  const rel = /^(\d+(\.\d+)?)s?$/.exec(s);
  if (rel) return { kind: 'relative', seconds: Number(rel[1]) };
  const epoch = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s) ? Date.parse(s) : NaN;
  if (!Number.isFinite(epoch)) {
    throw new UsageError(`--${flag}: "${s}" is neither seconds after the first packet (e.g. 12.5) nor an ISO time (e.g. 2024-01-02T03:04:05Z)`);
  }
  return { kind: 'absolute', epoch: epoch / 1000 };
}

/** `--proto dhcp4,tftp` (also repeated flags) → a set; null means all. */
export function parseProtoList(raw: unknown): ReadonlySet<AppProto> | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const items = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean);
  const out = new Set<AppProto>();
  for (const item of items) {
    const p = item === 'dhcp' ? null : (item as AppProto);
    if (item === 'dhcp') { out.add('dhcp4'); out.add('dhcp6'); continue; }
    if (!p || !APP_PROTOS.includes(p)) {
      throw new UsageError(`--proto: unknown protocol "${item}" (choose from ${APP_PROTOS.join(', ')}, or dhcp for both DHCP versions)`);
    }
    out.add(p);
  }
  return out;
}

export const ANALYZE_FORMATS = ['text', 'json', 'junit', 'html', 'rows'] as const;
export type AnalyzeFormat = (typeof ANALYZE_FORMATS)[number];

export interface AnalyzeArgs {
  /** The first input (kept for callers that name one file). */
  file: string;
  /** Every input: positional FILEs then `-r FILE`s; folders are expanded later (cli/inputs.ts). */
  files: string[];
  /** Read the inputs as one capture ordered by time (one report instead of one per file). */
  merge: boolean;
  format: AnalyzeFormat;
  /** `--client` (repeatable): MACs and IP addresses, or null for every client. */
  clients: ClientSpec[] | null;
  /** `--only-failed`: keep the devices `isFailedDevice` calls failed. */
  onlyFailed: boolean;
  /** `--keep-duplicates`: analyze mirror-port copies too. */
  keepDuplicates: boolean;
  output: string | undefined;
  /** Only the thresholds given on the command line; the engine fills in DEFAULT_THRESHOLDS. */
  thresholds: Partial<AnalysisThresholds>;
  /** --annotate: write a pcapng copy with the findings as packet comments here. */
  annotate?: string;
  /** --jobs: worker threads for several captures (undefined: one per core). */
  jobs?: number;
}

/** Validates raw `analyze` arguments (keys as yargs gives them: `slow-offer` etc.). */
export function checkAnalyzeArgs(raw: Record<string, unknown>): AnalyzeArgs {
  const files = inputList(raw['file'], raw['read']);
  if (files.length === 0) throw new UsageError('analyze: missing FILE (a .pcap, .pcapng or .gz capture, a folder of them, or - for standard input)');
  const format = String(raw['format'] ?? 'text');
  if (!(ANALYZE_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`analyze: --format must be one of ${ANALYZE_FORMATS.join(', ')} (got "${format}")`);
  }
  const thresholds: Partial<AnalysisThresholds> = {};
  for (const t of THRESHOLD_FLAGS) {
    const v = raw[t.flag];
    if (v === undefined) continue;
    thresholds[t.key] = parseThreshold(t.flag, v, t.integer, t.min);
  }
  if (raw['server'] !== undefined && (raw['scenario'] === undefined || (Array.isArray(raw['scenario']) && raw['scenario'].length === 0))) {
    throw new UsageError('analyze: --server only applies with --scenario FILE (it is the address ${server} stands for in the scenario)');
  }
  return {
    file: files[0]!,
    files,
    merge: raw['merge'] === true,
    format: format as AnalyzeFormat,
    clients: parseClientSpecs(raw['client']),
    onlyFailed: raw['only-failed'] === true,
    keepDuplicates: raw['keep-duplicates'] === true,
    output: typeof raw['output'] === 'string' ? raw['output'] : undefined,
    thresholds,
    ...(typeof raw['annotate'] === 'string' && raw['annotate'] !== '' ? { annotate: raw['annotate'] } : {}),
    ...(raw['jobs'] !== undefined ? { jobs: parseJobs(raw['jobs']) } : {}),
  };
}

/** `--jobs N`: at least 1, at most a sane bound (each worker holds a capture's analysis). */
export const MAX_JOBS = 256;

function parseJobs(v: unknown): number {
  if (Array.isArray(v)) throw new UsageError('--jobs given more than once');
  const s = String(v).trim();
  const n = Number(s);
  if (s === '' || !Number.isInteger(n) || n < 1 || n > MAX_JOBS) throw new UsageError(`--jobs must be an integer from 1 to ${MAX_JOBS} (got "${s}")`);
  return n;
}

function parseThreshold(flag: string, v: unknown, integer: boolean, min: number): number {
  if (Array.isArray(v)) throw new UsageError(`--${flag} given more than once`);
  const s = String(v).trim();
  const n = s === '' ? NaN : Number(s);
  const what = integer ? `an integer >= ${min}` : 'a positive number of seconds';
  if (!Number.isFinite(n) || (integer ? !Number.isInteger(n) || n < min : n <= min)) {
    throw new UsageError(`--${flag} must be ${what} (got "${s}")`);
  }
  return n;
}

/** A MAC in any spelling `--client` accepts → `aa:bb:cc:dd:ee:ff`; throws UsageError on anything else. */
export function normalizeMac(raw: string): string {
  const mac = macOrNull(raw);
  if (mac === null) throw new UsageError(`--client: "${raw}" is not a MAC address (expected aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff or aabb.ccdd.eeff)`);
  return mac;
}

// ---------------------------------------------------------------------------------------------
// run

export const RUN_FORMATS = ['text', 'json', 'junit'] as const;
export type RunFormat = (typeof RUN_FORMATS)[number];

export interface RunArgs {
  scenarios: string[];
  transport: { kind: 'raw'; interface: string } | { kind: 'relay'; relayFrom: string; circuitId?: string; remoteId?: string };
  /** The boot server under test: `${server}` in scenarios. */
  server: string;
  format: RunFormat;
  output: string | undefined;
  pcap: string | undefined;
  /** `--max-pps` (old name `--rate`): packets per second the transport (raw or relay) may send (undefined: its default safety bound). */
  rate: number | undefined;
  /** `--arrival-rate`, `--concurrency`, `--count`, `--duration`, `--shard`: load mode (docs/load.md). */
  load?: LoadRunSettings;
  /** `--max-load`: the load ceiling raised on purpose (src/scenario/safety.ts). */
  maxLoad?: Partial<LoadAsk>;
  /** `--fault` as written (run --lab hands them to its child); runRun parses them into `load.faults`. */
  faultFlags?: string[];
  /** `--lab-name NAME`: the running lab whose servers and links faults act on. */
  labName?: string;
  /**
   * `--lab [SERVER]`: run inside a throw-away lab (src/cli/run-lab.ts); transport and server are
   * then the lab's client interface and boot server.
   */
  lab?: {
    /** undefined: the user named none, the scenarios' `lab:` (or the default) picks it. */
    server: LabServerKind | undefined; config: string | undefined; ipv6?: true | 'only'; ra?: RaMode; config6?: string;
    /** `--lab-proxy`: dnsmasq as proxyDHCP beside Kea (a scenario's `lab: { proxy: true }` asks too). */
    proxy?: true;
    /** No transport flag at all: the built-in lab was chosen for the user (run-lab.ts says so). */
    implicit?: true;
  };
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function oneString(raw: unknown, flag: string): string | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw new UsageError(`run: --${flag} given more than once`);
  const s = String(raw).trim();
  if (s === '') throw new UsageError(`run: --${flag} needs a value`);
  return s;
}

/** An IPv4 or IPv6 address (DHCPv6 scenarios relay to and test IPv6 servers). */
function ipFlag(raw: unknown, flag: string, what: string): string | undefined {
  const s = oneString(raw, flag);
  if (s !== undefined && !IPV4_RE.test(s) && isIPv6(s) === false) throw new UsageError(`run: --${flag} must be an IPv4 or IPv6 address (${what}), got "${s}"`);
  return s;
}

/** Validates raw `run` arguments: one transport (raw or relay), the server, format, rate. */
export function checkRunArgs(raw: Record<string, unknown>): RunArgs {
  const list = raw['scenario'] ?? raw['scenarios'];
  const scenarios = (Array.isArray(list) ? list : list === undefined ? [] : [list]).map(String).filter((s) => s !== '');
  // `run --lab x.yaml`: yargs gave the scenario to --lab (its value is optional).
  if (typeof raw['lab'] === 'string' && /\.ya?ml$/i.test(raw['lab'])) {
    throw new UsageError(`run: --lab took "${raw['lab']}" as its server: put the SCENARIO files first or name the server (--lab dnsmasq)`);
  }
  if (scenarios.length === 0) throw new UsageError('run: name at least one SCENARIO file (see scenarios/*.yaml)');
  const format = String(raw['format'] ?? 'text');
  if (!(RUN_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`run: --format must be one of ${RUN_FORMATS.join(', ')} (got "${format}")`);
  }
  const lab = raw['lab'];
  if (lab !== undefined && lab !== false) return checkRunLabArgs(raw, scenarios, format as RunFormat);
  // `run x.yaml` with no transport and no server: the built-in lab, as if --lab was given.
  if (['interface', 'relay-from', 'server', 'circuit-id', 'remote-id'].every((f) => raw[f] === undefined)) {
    const args = checkRunLabArgs(raw, scenarios, format as RunFormat);
    return { ...args, lab: { ...args.lab!, implicit: true } };
  }
  for (const flag of ['server-config', 'server-config6', 'lab-ipv6', 'lab-ipv6-only', 'lab-ra', 'lab-proxy']) {
    if (raw[flag] !== undefined) throw new UsageError(`run: --${flag}${flag.startsWith('server-config') ? ' FILE' : ''} only applies with --lab`);
  }
  const iface = oneString(raw['interface'], 'interface');
  const relayFrom = ipFlag(raw['relay-from'], 'relay-from', 'this machine\'s address the server sees as the relay: giaddr, or the DHCPv6 link-address');
  const server = ipFlag(raw['server'], 'server', 'the boot server under test');
  if (relayFrom !== undefined && server !== undefined && isIPv6(relayFrom) !== isIPv6(server)) {
    throw new UsageError(`run: --relay-from ${relayFrom} and --server ${server} must be the same IP version (IPv4 relays DHCPv4, IPv6 relays DHCPv6)`);
  }
  if (iface !== undefined && relayFrom !== undefined) throw new UsageError('run: choose one transport: --interface IFACE (raw) or --relay-from ADDR (relay), not both');
  if (iface === undefined && relayFrom === undefined) {
    throw new UsageError('run: choose a transport: --interface IFACE (raw layer 2, needs CAP_NET_RAW) or --relay-from ADDR --server ADDR (relay mode, no privileges); or give neither and no --server to run against the built-in lab (root)');
  }
  if (server === undefined) throw new UsageError('run: --server ADDR is required: the boot server under test (scenarios refer to it as ${server})');
  const rate = rateFlag(raw['max-pps'] ?? raw['rate']);
  const circuitId = oneString(raw['circuit-id'], 'circuit-id');
  const remoteId = oneString(raw['remote-id'], 'remote-id');
  return {
    scenarios,
    transport: iface !== undefined
      ? { kind: 'raw', interface: iface }
      : { kind: 'relay', relayFrom: relayFrom!, ...(circuitId === undefined ? {} : { circuitId }), ...(remoteId === undefined ? {} : { remoteId }) },
    server,
    format: format as RunFormat,
    output: oneString(raw['output'], 'output'),
    pcap: oneString(raw['pcap'], 'pcap'),
    rate,
    ...loadFlags(raw),
    ...maxLoadFlag(raw),
    ...(raw['lab-name'] === undefined ? {} : { labName: labNameFlag(raw['lab-name']) }),
  };
}

/** `--lab-name NAME`: a lab's name as `pxecheck lab up --name` takes it. */
function labNameFlag(raw: unknown): string {
  const name = oneString(raw, 'lab-name')!;
  if (!/^[a-z][a-z0-9-]{0,11}$/.test(name)) throw new UsageError(`run: --lab-name must be a lab name (1–12 lowercase letters, digits, '-'), got "${name}"`);
  return name;
}

/** `--max-pps N` (`--rate N` is its old name and an alias). */
function rateFlag(raw: unknown): number | undefined {
  const rawRate = oneString(raw, 'max-pps');
  if (rawRate === undefined) return undefined;
  const rate = Number(rawRate);
  if (!Number.isFinite(rate) || rate <= 0) throw new UsageError(`run: --max-pps (--rate) must be a positive number of packets per second (got "${rawRate}")`);
  return rate;
}

function wholeFlag(raw: unknown, flag: string, what: string, max: number): number | undefined {
  const s = oneString(raw, flag);
  if (s === undefined) return undefined;
  const n = Number(s.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`run: --${flag} must be ${what}: a whole number from 1 to ${max} (got "${s}")`);
  return n;
}

/** The load-mode flags; `{}` when none is given (then only a scenario's `load:` starts load mode). */
export function loadFlags(raw: Record<string, unknown>): { load?: LoadRunSettings } {
  const load: LoadRunSettings = {};
  const arrival = oneString(raw['arrival-rate'], 'arrival-rate');
  if (arrival !== undefined) {
    const r = parsePerSecond(arrival);
    if (r === null || r <= 0) throw new UsageError(`run: --arrival-rate must be new clients per second, like 500 or 500/s (got "${arrival}")`);
    load.arrival = { kind: 'rate', perSecond: r };
  }
  const concurrency = wholeFlag(raw['concurrency'], 'concurrency', 'clients in flight at most', 100_000);
  if (concurrency !== undefined) load.concurrency = concurrency;
  const count = wholeFlag(raw['count'], 'count', 'clients to start', 10_000_000);
  if (count !== undefined) load.count = count;
  const duration = oneString(raw['duration'], 'duration');
  if (duration !== undefined) {
    const ms = tryParseDuration(duration);
    if (ms === null || ms <= 0) throw new UsageError(`run: --duration must be a time like 30s or 2m (got "${duration}")`);
    load.durationMs = ms;
  }
  const shard = oneString(raw['shard'], 'shard');
  if (shard !== undefined) {
    const sh = parseShard(shard);
    if (typeof sh === 'string') throw new UsageError(`run: --shard ${sh}`);
    load.shard = sh;
  }
  // Parsed with the scenarios (src/scenario/load/fault-flags.ts): yaml is not loaded for argv.
  const faults = raw['fault'] === undefined ? [] : (Array.isArray(raw['fault']) ? raw['fault'] : [raw['fault']]).map((v) => String(v).trim());
  return Object.keys(load).length === 0 && faults.length === 0 ? {} : { load, ...(faults.length === 0 ? {} : { faultFlags: faults }) };
}

/** `--max-load`: raise the load ceiling on purpose. */
function maxLoadFlag(raw: Record<string, unknown>): { maxLoad?: Partial<LoadAsk> } {
  const text = oneString(raw['max-load'], 'max-load');
  if (text === undefined) return {};
  const r = parseMaxLoad(text);
  if (typeof r === 'string') throw new UsageError(`run: --max-load ${r}`);
  return { maxLoad: r };
}

/** `--lab-ipv6`, `--lab-ipv6-only`, `--lab-ra`, `--server-config6`. */
function labV6(raw: Record<string, unknown>): { ipv6?: true | 'only'; ra?: RaMode; config6?: string } {
  const v6 = ipv6LabFlags(raw, 'run', 'lab-');
  const config6 = oneString(raw['server-config6'], 'server-config6');
  // A kea-dhcp6 config asks for an IPv6 lab.
  return { ...v6, ...(config6 === undefined ? {} : { config6, ipv6: v6.ipv6 ?? true }) };
}

/** `--lab [SERVER]` (a bare `--lab` is '' or true: dnsmasq); the lab brings its own transport and server. */
function checkRunLabArgs(raw: Record<string, unknown>, scenarios: string[], format: RunFormat): RunArgs {
  const lab = raw['lab'];
  if (Array.isArray(lab)) throw new UsageError('run: --lab given more than once');
  const server = lab === undefined || lab === true || lab === '' ? undefined : String(lab).trim();
  if (server !== undefined && !(LAB_SERVERS as readonly string[]).includes(server)) {
    throw new UsageError(`run: --lab takes one of ${LAB_SERVERS.join(', ')} (default: the scenario's lab.server, else dnsmasq), got "${server}"`);
  }
  for (const flag of ['interface', 'relay-from', 'server', 'circuit-id', 'remote-id']) {
    if (raw[flag] !== undefined) throw new UsageError(`run: --lab brings its own client interface and boot server; drop --${flag}`);
  }
  if (raw['lab-name'] !== undefined) throw new UsageError('run: --lab-name names a lab that is already up; --lab builds its own (drop one of them)');
  return {
    scenarios,
    transport: { kind: 'raw', interface: LAB_CLIENT_IFACE },
    server: SERVER_ADDR,
    format,
    output: oneString(raw['output'], 'output'),
    pcap: oneString(raw['pcap'], 'pcap'),
    rate: rateFlag(raw['max-pps'] ?? raw['rate']),
    ...loadFlags(raw),
    ...maxLoadFlag(raw),
    lab: {
      server: server as LabServerKind | undefined, config: oneString(raw['server-config'], 'server-config'), ...labV6(raw),
      ...(raw['lab-proxy'] === true ? { proxy: true as const } : {}),
    },
  };
}
