import { exitCodeFor, isPxecheckError } from '../errors.js';
// Only light modules here: each command loads its implementation in its handler, and yargs is
// loaded only when the fast path (fast-argv.ts) declines a command line (start-up time, bench/startup.mjs).
import type { AnalyzeIo } from './analyze.js';
import type { CaptureIo } from './capture.js';
import type { CliIo } from './decode.js';
import { ExitCode, UsageError, errorLine } from './exit-codes.js';
import { COMMANDS, type CommandName, type CommandSpec } from './commands.js';
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
  /** The command handlers; the commands' flags and help are the table in commands.ts. */
  const handlers: Record<CommandName, (a: Record<string, unknown>) => Promise<void>> = {
    decode: decodeHandler,
    analyze: analyzeHandler,
    run: handler(async (a) => {
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
    capture: handler(async (a) => {
      const { checkCaptureArgs, runCapture } = await import('./capture.js');
      const args = checkCaptureArgs(a);
      action = () => runCapture(args, captureIo(io));
    }),
    lab: handler(async (a) => {
      const { checkLabArgs, runLab } = await import('./lab.js');
      const args = checkLabArgs(a);
      action = () => runLab(args, io);
    }),
    export: handler(async (a) => {
      action = async () => {
        const { checkExportArgs, runExport } = await import('./export.js');
        const stdout = (io as { stdout?: (s: string) => void }).stdout ?? ((s: string) => void process.stdout.write(s));
        return runExport(checkExportArgs(a), { stdout, stderr: io.stderr });
      };
    }),
    merge: handler(async (a) => {
      const { checkMergeArgs, runMerge } = await import('./merge.js');
      const args = checkMergeArgs(a);
      action = async () => runMerge(args, analyzeIo(io));
    }),
  };
  let parser = yargs?.(dashed)
    .middleware(restoreDash, true)
    .scriptName('pxecheck')
    .usage('pxecheck <command> [options]\n\nNetwork-boot capture analyzer and conformance tester.');
  for (const [name, spec] of Object.entries(COMMANDS) as [CommandName, CommandSpec][]) {
    parser = parser?.command(spec.usage, spec.describe, (y) => {
      const withPositional = spec.positional ? y.positional(spec.positional.name, spec.positional.spec) : y;
      return withPositional.options(spec.flags).epilogue(spec.epilogue);
    }, handlers[name]);
  }
  parser = parser
    ?.option('debug', { type: 'boolean', global: true, describe: 'print the stack of an internal error' })
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
    // Ours (each with a stable code): the message is for the user; the code says the exit status.
    if (isPxecheckError(err)) {
      io.stderr(`${errorLine(err.message)}\n`);
      return exitCodeFor(err);
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
