import { exitCodeFor, isPxecheckError } from '../errors.js';
// Only light modules here: each command loads its implementation in its handler, and yargs is
// loaded only when the fast path (fast-argv.ts) declines a command line (start-up time, bench/startup.mjs).
import { commandChecks } from './command-actions.js';
import type { CliIo } from './decode.js';
import { ExitCode, UsageError, errorLine, fileErrorMessage } from './exit-codes.js';
import { COMMANDS, type CommandName, type CommandSpec } from './commands.js';
import { fastParse } from './fast-argv.js';
import type { RunDeps } from './run.js';
import { dropEarlyTftpWorker, startEarlyTftpWorker } from '../scenario/transport/offload/early-worker.js';

const defaultIo: CliIo = { stderr: (s) => process.stderr.write(s) };

/**
 * `parse`: only the parser (flags known, values present); `check`: also the command's pure checks;
 * neither runs the command (the docs test holds every documented command line to the parser).
 */
export type DryRun = 'parse' | 'check';

/** Entry point: parses argv, runs one command, returns the exit code. Never calls process.exit. */
export async function main(argv: string[], io: CliIo = defaultIo, runDeps: RunDeps = {}, dryRun?: DryRun): Promise<number> {
  // `run --relay-from`: the TFTP worker starts before yargs and the runner load, so its own start-up
  // (50–350 ms on a busy host) is over when a TFTP step begins; run.ts drops it if no step needs it,
  // and whatever way main returns, one no pool adopted stops (a usage error must not leave it warming).
  const earlyTftp = dryRun === undefined && argv[0] === 'run' && runDeps.createTransport === undefined && argv.some((a) => a === '--relay-from' || a.startsWith('--relay-from='));
  if (earlyTftp) void startEarlyTftpWorker();
  try {
    return await mainWith(argv, io, runDeps, dryRun, { fast: true });
  } finally {
    if (earlyTftp) void dropEarlyTftpWorker();
  }
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
  let usageFailure: string | null = null;
  const dashed = argv.map((x) => (x === '-' ? DASH : x));
  const fast = opts.fast ? fastParse(dashed) : null;
  // yargs only when the fast path declined; `yargs?.(…)` leaves the whole chain undefined otherwise.
  const yargs = fast === null ? (await import('yargs')).default : null;
  const checks = commandChecks(io, runDeps);
  /** Runs a command's check (not in a `parse` dry run) and keeps the action it returns. */
  const handler = (name: CommandName) => async (a: Record<string, unknown>): Promise<void> => {
    opts.onArgs?.(a);
    if (dryRun !== 'parse') action = await checks[name](a);
  };
  let parser = yargs?.(dashed)
    .middleware(restoreDash, true)
    .scriptName('pxecheck')
    .usage('pxecheck <command> [options]\n\nNetwork-boot capture analyzer and conformance tester.');
  for (const [name, spec] of Object.entries(COMMANDS) as [CommandName, CommandSpec][]) {
    parser = parser?.command(spec.usage, spec.describe, (y) => {
      const withPositional = spec.positional ? y.positional(spec.positional.name, spec.positional.spec) : y;
      return withPositional.options(spec.flags).epilogue(spec.epilogue);
    }, handler(name));
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
      await handler(fast.command)(fast.args);
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
    const fileError = fileErrorMessage(err);
    if (fileError !== null) {
      io.stderr(`${errorLine(fileError)}\n`);
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
