import { CaptureFormatError } from '../capture/types.js';
// Only light modules here: each command loads its implementation in its handler, and yargs is
// loaded only when the fast path (fast-argv.ts) declines a command line (start-up time, bench/startup.mjs).
import type { AnalyzeIo } from './analyze.js';
import type { CaptureIo } from './capture.js';
import { DEFAULT_CAPTURE_FILTER, DEFAULT_MAX_PACKETS } from './capture-defaults.js';
import type { CliIo } from './decode.js';
import { ExitCode, UsageError, errorLine } from './exit-codes.js';
import { ANALYZE_FLAGS, DECODE_FLAGS, FILE_POSITIONAL } from './command-flags.js';
import { fastParse } from './fast-argv.js';
import type { RunDeps } from './run.js';

const defaultIo: CliIo = { stderr: (s) => process.stderr.write(s) };

/** The process side of `analyze` (terminal detection, NO_COLOR), unless a test passes its own. */
function analyzeIo(io: CliIo): AnalyzeIo {
  const full = io as Partial<AnalyzeIo>;
  return {
    stderr: io.stderr,
    stdoutIsTTY: 'stdoutIsTTY' in full ? full.stdoutIsTTY : process.stdout.isTTY,
    stderrIsTTY: 'stderrIsTTY' in full ? full.stderrIsTTY : process.stderr.isTTY,
    columns: 'columns' in full ? full.columns : process.stdout.columns,
    env: full.env ?? process.env,
  };
}

/** The process side of `capture` (stdout, terminal detection), unless a test passes its own. */
function captureIo(io: CliIo): CaptureIo {
  const full = io as Partial<CaptureIo>;
  return {
    stdout: full.stdout ?? ((s) => process.stdout.write(s)),
    stderr: io.stderr,
    stdoutIsTTY: 'stdoutIsTTY' in full ? full.stdoutIsTTY : process.stdout.isTTY,
    env: full.env ?? process.env,
  };
}

/**
 * `parse`: only the parser (flags known, values present); `check`: also the command's pure checks;
 * neither runs the command (the docs test holds every documented command line to the parser).
 */
export type DryRun = 'parse' | 'check';

/** Entry point: parses argv, runs one command, returns the exit code. Never calls process.exit. */
export async function main(argv: string[], io: CliIo = defaultIo, runDeps: RunDeps = {}, dryRun?: DryRun): Promise<number> {
  return mainWith(argv, io, runDeps, dryRun, { fast: true });
}

/** What one parser makes of a command line: the handler's arguments (null: no handler ran, or the fast
 *  path declined) and main's exit code and stderr in a `check` dry run. For test/cli/fast-argv.test.ts. */
export async function parseWith(argv: string[], parser: 'fast' | 'yargs'): Promise<{ args: Record<string, unknown> | null; code: number; stderr: string }> {
  let args: Record<string, unknown> | null = null;
  let stderr = '';
  if (parser === 'fast' && fastParse(argv.map((x) => (x === '-' ? DASH : x))) === null) return { args: null, code: -1, stderr };
  const code = await mainWith(argv, { stderr: (s) => { stderr += s; } }, {}, 'check', { fast: parser === 'fast', onArgs: (a) => { args ??= structuredClone(a); } });
  return { args, code, stderr };
}

interface MainOptions {
  /** Try the yargs-free parser first (decode/analyze). */
  fast: boolean;
  /** Sees the arguments a handler gets (tests). */
  onArgs?: (a: Record<string, unknown>) => void;
}

async function mainWith(argv: string[], io: CliIo, runDeps: RunDeps, dryRun: DryRun | undefined, opts: MainOptions): Promise<number> {
  let action: (() => Promise<number>) | null = null;
  /** Wraps a command handler: in a `parse` dry run the checks are skipped. */
  const handler = <A>(fn: (a: A) => Promise<void>) => async (a: A): Promise<void> => {
    opts.onArgs?.(a as Record<string, unknown>);
    if (dryRun !== 'parse') await fn(a);
  };
  const decodeHandler = handler(async (a: Record<string, unknown>) => {
    const { checkDecodeArgs } = await import('./options.js');
    const args = checkDecodeArgs(a);
    action = async () => (await import('./decode.js')).runDecode(args, io);
  });
  const analyzeHandler = handler(async (a: Record<string, unknown>) => {
    const { checkAnalyzeArgs } = await import('./options.js');
    const args = checkAnalyzeArgs(a);
    const scenarios = (a['scenario'] as string[] | undefined) ?? [];
    const { analyzeCapture } = await import('../analysis/capture.js');
    if (scenarios.length > 0) {
      if (args.annotate !== undefined) throw new UsageError('analyze: --annotate does not combine with --scenario');
      if (a['metrics-out'] !== undefined) throw new UsageError('analyze: --metrics-out does not combine with --scenario');
      const server = typeof a['server'] === 'string' ? a['server'] : undefined;
      if (args.files.length > 1 && !args.merge) throw new UsageError('analyze --scenario checks one recorded boot: give one capture, or --merge several');
      const format = args.format;
      if (format === 'html' || format === 'rows') throw new UsageError(`analyze: --format ${format} does not combine with --scenario (use text, json or junit)`);
      const input = args.files.length > 1 ? args.files : args.file;
      const { runAnalyzeScenario } = await import('./run.js');
      const { refuseOverwrite } = await import('./inputs.js');
      action = () => {
        refuseOverwrite(args.output, [...args.files, ...scenarios]);
        return runAnalyzeScenario(args.file, scenarios, server, format, args.output, () => analyzeCapture(input, { thresholds: args.thresholds }), analyzeIo(io));
      };
    } else {
      const { runAnalyze } = await import('./analyze.js');
      const metricsOut = a['metrics-out'];
      if (typeof metricsOut === 'string') {
        if (metricsOut === '' || metricsOut === '-') throw new UsageError('analyze: --metrics-out needs a FILE name (e.g. /var/lib/node_exporter/textfile/pxecheck.prom)');
        // The monitor rides along the same single pass (src/monitor/textfile.ts).
        const [{ metricsTextfile }, { refuseOverwrite }] = await Promise.all([import('../monitor/textfile.js'), import('./inputs.js')]);
        const textfile = metricsTextfile(metricsOut);
        action = async () => {
          refuseOverwrite(metricsOut, args.files, '--metrics-out');
          const code = await runAnalyze(args, textfile.analyze, analyzeIo(io));
          await textfile.write();
          return code;
        };
      } else {
        const { workerThreads } = await import('./analyze-pool.js');
        action = () => runAnalyze(args, analyzeCapture, analyzeIo(io), workerThreads);
      }
    }
  });
  let usageFailure: string | null = null;
  const dashed = argv.map((x) => (x === '-' ? DASH : x));
  const fast = opts.fast ? fastParse(dashed) : null;
  // yargs only when the fast path declined; `yargs?.(…)` leaves the whole chain undefined otherwise.
  const yargs = fast === null ? (await import('yargs')).default : null;
  const parser = yargs?.(dashed)
    .middleware(restoreDash, true)
    .scriptName('pxecheck')
    .usage('pxecheck <command> [options]\n\nNetwork-boot capture analyzer and conformance tester.')
    .command(
      'decode [file..]',
      'Decode DHCPv4/v6, proxyDHCP, TFTP and HTTP messages in a pcap/pcapng(.gz) capture',
      (y) =>
        y
          .positional('file', FILE_POSITIONAL)
          .options(DECODE_FLAGS)
          .epilogue('Exit status: 0 decoded, 2 usage error or unreadable input.'),
      decodeHandler,
    )
    .command(
      'analyze [file..]',
      'Rebuild each client\'s boot chain (DHCP → proxyDHCP → TFTP → iPXE → HTTP) and report what went wrong',
      (y) => {
        const b = y.positional('file', FILE_POSITIONAL).options(ANALYZE_FLAGS);
        return b.epilogue('Exit status: 0 no error finding, 1 at least one error finding, 2 usage error or unreadable input.');
      },
      analyzeHandler,
    )
    .command(
      'run <scenario..>',
      'Play scripted PXE/UEFI/iPXE/phone clients against a boot server and check every step against expectations and time budgets',
      (y) =>
        y
          .positional('scenario', { type: 'string', array: true, describe: 'scenario files (YAML, see docs/scenarios.md)' })
          .option('interface', { alias: 'i', type: 'string', requiresArg: true, describe: 'raw mode: send as real clients on IFACE (needs CAP_NET_RAW/CAP_NET_ADMIN)' })
          .option('relay-from', { type: 'string', requiresArg: true, describe: 'relay mode: act as a DHCP relay agent from ADDR (no privileges)' })
          .option('server', { alias: 'target', type: 'string', requiresArg: true, describe: 'the boot server under test (${server} in scenarios)' })
          .option('circuit-id', { type: 'string', requiresArg: true, describe: 'relay mode: option 82 circuit id' })
          .option('remote-id', { type: 'string', requiresArg: true, describe: 'relay mode: option 82 remote id' })
          .option('format', { alias: 'f', type: 'string', requiresArg: true, default: 'text', describe: 'text | json | junit' })
          .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write the report to FILE instead of stdout' })
          .option('pcap', { type: 'string', requiresArg: true, describe: 'write every frame sent and received to FILE (pcapng)' })
          .option('max-pps', { alias: 'rate', type: 'string', requiresArg: true, describe: 'send at most N packets per second, raw or relay mode (--rate is its old name)' })
          .option('arrival-rate', { type: 'string', requiresArg: true, describe: 'load mode: start N new clients per second (500 or 500/s), like perfdhcp -r' })
          .option('concurrency', { type: 'string', requiresArg: true, describe: 'load mode: at most N clients in flight' })
          .option('count', { type: 'string', requiresArg: true, describe: 'load mode: start N clients (at most the scenario\'s MACs)' })
          .option('duration', { type: 'string', requiresArg: true, describe: 'load mode: stop starting clients after this time (30s, 2m)' })
          .option('shard', { type: 'string', requiresArg: true, describe: 'load mode: run slice I of N of the storm (1/4 … 4/4); merge the JSON with `pxecheck merge`' })
          .option('max-load', { type: 'string', requiresArg: true, describe: 'load mode: raise the default ceiling (100 new clients/s, 200 at once, 10,000 in all) on purpose: arrival-rate=N,concurrency=N,count=N or none' })
          .option('fault', { type: 'string', requiresArg: true, describe: 'load mode in a lab: inject a fault, e.g. "{ restart: dhcp, at: 5s }" (repeatable; docs/load.md, Faults)' })
          .option('lab-name', { type: 'string', requiresArg: true, describe: 'the lab (from `pxecheck lab up --name NAME`) whose servers and links the faults act on' })
          // type string without requiresArg: a bare --lab gives '' (dnsmasq).
          .option('lab', { type: 'string', describe: 'build a throw-away lab (dnsmasq | kea | isc-dhcpd, default dnsmasq), run the scenarios from its client side, remove it (needs root)' })
          .option('server-config', { type: 'string', requiresArg: true, describe: 'with --lab: your own config for the lab\'s server instead of the built-in full chain' })
          .option('capture', { type: 'string', requiresArg: true, describe: 'with --lab: tcpdump the lab bridge for the whole run into FILE' })
          .option('lab-proxy', { type: 'boolean', describe: 'with --lab: dnsmasq as proxyDHCP on ${server} beside Kea handing out addresses' })
          .option('lab-ipv6', { type: 'boolean', describe: 'with --lab: the lab also serves IPv6 network boot (automatic when a scenario has an IPv6 persona)' })
          .option('lab-ipv6-only', { type: 'boolean', describe: 'with --lab: the lab serves IPv6 network boot only' })
          .option('lab-ra', { type: 'string', requiresArg: true, describe: 'with --lab and IPv6: router advertisements managed | unmanaged (M=0) | none' })
          .option('server-config6', { type: 'string', requiresArg: true, describe: 'with --lab kea and IPv6: your own kea-dhcp6 config' })
          .epilogue('Exit status: 0 every step passed, 1 a step failed, 2 usage, scenario or environment error.'),
      handler(async (a) => {
        const { checkRunArgs } = await import('./options.js');
        const args = checkRunArgs(a);
        const capture = typeof a['capture'] === 'string' ? a['capture'] : undefined;
        if (capture !== undefined && args.lab === undefined) throw new UsageError('run: --capture FILE only applies with --lab (use --pcap FILE for the frames pxecheck sends and receives)');
        const runInputs = [...args.scenarios, args.lab?.config, args.lab?.config6];
        const { refuseOverwrite } = await import('./inputs.js');
        for (const [flag, file] of [['--output', args.output], ['--pcap', args.pcap], ['--capture', capture]] as const) refuseOverwrite(file, runInputs, flag);
        action = args.lab !== undefined
          ? async () => (await import('./run-lab.js')).runWithLab(args, analyzeIo(io), capture === undefined ? {} : { capture })
          : async () => (await import('./run.js')).runRun(args, analyzeIo(io), runDeps);
      }),
    )
    .command(
      'capture',
      "Capture live (libpcap): print each client's boot chain as it happens and write pcapng",
      (y) =>
        y
          .option('interface', { alias: 'i', type: 'string', array: true, requiresArg: true, describe: 'interface to capture on (repeat for several: one pcapng interface each)' })
          .option('write', { alias: 'w', type: 'string', requiresArg: true, describe: 'write every frame to FILE (pcapng; Wireshark and `pxecheck analyze` read it)' })
          .option('duration', { type: 'string', requiresArg: true, describe: 'stop after S seconds (or 30s, 2m); default: until Ctrl-C' })
          .option('filter', { type: 'string', requiresArg: true, describe: `BPF capture filter (default: ${DEFAULT_CAPTURE_FILTER})` })
          .option('max-packets', { type: 'string', requiresArg: true, describe: `stop after N packets (default ${DEFAULT_MAX_PACKETS})` })
          .option('analyze', { type: 'boolean', default: false, describe: 'at the end print the full analyze report (exit 1 on an error finding)' })
          .option('metrics', { type: 'string', requiresArg: true, describe: 'serve Prometheus/OpenMetrics metrics on http://[ADDR:]PORT/metrics; ADDR defaults to 127.0.0.1 (this machine only; 0.0.0.0:9464 for every address); port 0 picks a free one (printed). See docs/monitoring.md' })
          .option('events', { type: 'string', requiresArg: true, describe: 'write one JSON line per finished step, boot attempt and finding to FILE, or - for standard output (the live lines then go to stderr); schema pxecheck.events/1' })
          .epilogue('Exit status: 0 clean end (with --analyze: 1 on an error finding), 2 usage error, unknown interface or missing capture privileges.'),
      handler(async (a) => {
        const { checkCaptureArgs, runCapture } = await import('./capture.js');
        const args = checkCaptureArgs(a);
        action = () => runCapture(args, captureIo(io));
      }),
    )
    .command(
      'lab <action>',
      'Start, inspect or remove a private boot lab: network namespaces, dnsmasq | kea | isc-dhcpd, TFTP, nginx serving iPXE (needs root)',
      (y) =>
        y
          .positional('action', { type: 'string', describe: 'up | down | status' })
          // No yargs defaults: checkLabArgs rejects up-only flags on down/status.
          .option('server', { type: 'string', requiresArg: true, describe: 'up: the DHCP server: dnsmasq (default) | kea | isc-dhcpd' })
          .option('config', { type: 'string', requiresArg: true, describe: 'up: your own config for that server instead of the built-in full-chain config' })
          .option('proxy', { type: 'boolean', describe: 'up: dnsmasq as proxyDHCP (boot info + TFTP), Kea hands out the addresses' })
          .option('ipv6', { type: 'boolean', describe: 'up: also serve IPv6 network boot (DHCPv6 + RA, TFTP/HTTP on [2001:db8:1::1])' })
          .option('ipv6-only', { type: 'boolean', describe: 'up: serve IPv6 network boot only (no DHCPv4 server)' })
          .option('ra', { type: 'string', requiresArg: true, describe: 'up with --ipv6: router advertisements managed (M=1 O=1, default) | unmanaged (M=0 O=0) | none' })
          .option('config6', { type: 'string', requiresArg: true, describe: 'up with --ipv6 --server kea: your own kea-dhcp6 config instead of the built-in one' })
          .option('name', { type: 'string', requiresArg: true, describe: 'lab name, prefixes the namespaces (default pxelab)' })
          .option('format', { alias: 'f', type: 'string', requiresArg: true, describe: 'text | json' })
          .epilogue('State in /tmp/pxecheck-lab-<name>/, see docs/lab.md. Exit status: 0 ok (also down of a lab that does not exist), 1 status: no lab or a server dead, 2 usage or environment error.'),
      handler(async (a) => {
        const { checkLabArgs, runLab } = await import('./lab.js');
        const args = checkLabArgs(a);
        action = () => runLab(args, io);
      }),
    )
    .command(
      'export <file>',
      'Write every file transferred over TFTP and HTTP (NBPs, scripts, kernels, phone configs) to a directory, with a manifest',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'capture file (.pcap, .pcapng, optionally .gz)' })
          .option('dir', { alias: 'd', type: 'string', requiresArg: true, describe: 'new or empty directory for the files and manifest.json' })
          .option('format', { alias: 'f', type: 'string', requiresArg: true, default: 'text', describe: 'text | json (the manifest on stdout)' })
          .epilogue('Exit status: 0 every transfer complete, 1 an incomplete transfer (written as NAME.partial), 2 usage error, unreadable input or unusable directory.'),
      handler(async (a) => {
        action = async () => {
          const { checkExportArgs, runExport } = await import('./export.js');
          const stdout = (io as { stdout?: (s: string) => void }).stdout ?? ((s: string) => void process.stdout.write(s));
          return runExport(checkExportArgs(a), { stdout, stderr: io.stderr });
        };
      }),
    )
    .command(
      'merge <files..>',
      'Merge the JSON reports of load runs (run --shard I/N on several hosts) into one: exact merged percentiles, budgets on the whole',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, describe: 'reports of `pxecheck run --format json` in load mode' })
          .option('format', { alias: 'f', type: 'string', requiresArg: true, default: 'text', describe: 'text | json | junit' })
          .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write the report to FILE instead of stdout' })
          .epilogue('Exit status: 0 every budget met, 1 a budget missed or clients failed, 2 unreadable or unmergeable reports.'),
      handler(async (a) => {
        const { checkMergeArgs, runMerge } = await import('./merge.js');
        const args = checkMergeArgs(a);
        action = async () => runMerge(args, analyzeIo(io));
      }),
    )
    .option('debug', { type: 'boolean', global: true, describe: 'print the stack of an internal error' })
    .completion('completion', 'Print a bash/zsh completion script (add `source <(pxecheck completion)` to ~/.bashrc or ~/.zshrc)')
    .demandCommand(1, 'name a command (decode, analyze, run, capture, lab, export, merge)')
    // `--no-reply 6` is a threshold flag, not the negation of `--reply`.
    .parserConfiguration({ 'boolean-negation': false })
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version()
    .alias('version', 'V')
    .exitProcess(false)
    .fail((msg, err) => {
      // The first failure is the cause (yargs goes on validating after it: "Did you mean" comes first).
      usageFailure ??= err ? err.message : msg;
    });
  try {
    if (fast !== null) {
      restoreDash(fast.args);
      await (fast.command === 'decode' ? decodeHandler : analyzeHandler)(fast.args);
    } else {
      await parser!.parseAsync();
    }
  } catch (err) {
    if (err instanceof UsageError) usageFailure = err.message;
    else if (!usageFailure) return internalError(err, argv, io);
  }
  if (usageFailure) {
    if ((usageFailure as string).startsWith('Did you mean')) usageFailure = `unknown command "${argv.find((x) => !x.startsWith('-'))}". ${usageFailure}`;
    io.stderr(`${errorLine(usageFailure)}\nRun 'pxecheck --help' for usage.\n`);
    return ExitCode.USAGE;
  }
  if (!action || dryRun) return ExitCode.OK; // --help / --version / dry run
  try {
    return await (action as () => Promise<number>)();
  } catch (err) {
    if (err instanceof UsageError || err instanceof CaptureFormatError) {
      io.stderr(`${errorLine((err as Error).message)}\n`);
      return ExitCode.USAGE;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      io.stderr(`${errorLine('')}cannot read ${(err as NodeJS.ErrnoException).path ?? 'input'}: ${code}\n`);
      return ExitCode.USAGE;
    }
    return internalError(err, argv, io);
  }
}

/** yargs drops a lone `-` (stdin as FILE, stdout as -o): it travels as DASH and is put back. */
const DASH = '\u0000-';

function restoreDash(a: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(a)) {
    if (v === DASH) a[k] = '-';
    else if (Array.isArray(v)) a[k] = v.map((x) => (x === DASH ? '-' : x));
  }
}

/** A bug, not bad input: one line, the stack only with --debug; exit 2. */
function internalError(err: unknown, argv: readonly string[], io: CliIo): number {
  const e = err instanceof Error ? err : new Error(String(err));
  io.stderr(argv.includes('--debug') ? `pxecheck: internal error: ${e.stack ?? e.message}\n` : `pxecheck: internal error: ${e.message} (run with --debug for the stack)\n`);
  return ExitCode.USAGE;
}
