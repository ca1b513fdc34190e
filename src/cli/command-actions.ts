/**
 * What each command does once its flags are parsed: the pure checks (options.ts and the commands'
 * check functions) run here and throw a UsageError on bad input; the result is the action main runs.
 * Implementations are imported on demand, so a tiny decode/analyze loads only what it needs.
 */
import type { AnalyzeIo } from './analyze.js';
import type { CaptureIo } from './capture.js';
import type { CommandName } from './commands.js';
import type { CliIo } from './decode.js';
import { UsageError } from './exit-codes.js';
import type { RunDeps } from './run.js';

export type CommandAction = () => Promise<number>;
export type CommandCheck = (a: Record<string, unknown>) => Promise<CommandAction>;

/** The process side of `analyze` (terminal detection, NO_COLOR), unless a test passes its own. */
export function analyzeIo(io: CliIo): AnalyzeIo {
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
export function captureIo(io: CliIo): CaptureIo {
  const full = io as Partial<CaptureIo>;
  return {
    stdout: full.stdout ?? ((s) => process.stdout.write(s)),
    stderr: io.stderr,
    stdoutIsTTY: 'stdoutIsTTY' in full ? full.stdoutIsTTY : process.stdout.isTTY,
    env: full.env ?? process.env,
  };
}

/** Every command's check, returning the action to run. */
export function commandChecks(io: CliIo, runDeps: RunDeps): Record<CommandName, CommandCheck> {
  return {
    decode: async (a) => {
      const { checkDecodeArgs } = await import('./options.js');
      const args = checkDecodeArgs(a);
      return async () => (await import('./decode.js')).runDecode(args, io);
    },
    analyze: async (a) => {
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
        return () => {
          refuseOverwrite(args.output, [...args.files, ...scenarios]);
          return runAnalyzeScenario(scenarios, server, format, args.output, (tap) => analyzeCapture(input, { thresholds: args.thresholds, keepDuplicates: args.keepDuplicates, tap }), analyzeIo(io));
        };
      } else {
        const { runAnalyze } = await import('./analyze.js');
        const metricsOut = a['metrics-out'];
        if (typeof metricsOut === 'string') {
          if (metricsOut === '' || metricsOut === '-') throw new UsageError('analyze: --metrics-out needs a FILE name (e.g. /var/lib/node_exporter/textfile/pxecheck.prom)');
          // The monitor rides along the same single pass (src/monitor/textfile.ts).
          const [{ metricsTextfile }, { refuseOverwrite }] = await Promise.all([import('../monitor/textfile.js'), import('./inputs.js')]);
          const textfile = metricsTextfile(metricsOut);
          return async () => {
            refuseOverwrite(metricsOut, args.files, '--metrics-out');
            const code = await runAnalyze(args, textfile.analyze, analyzeIo(io));
            await textfile.write();
            return code;
          };
        } else {
          const { workerThreads } = await import('./analyze-pool.js');
          return () => runAnalyze(args, analyzeCapture, analyzeIo(io), workerThreads);
        }
      }
    },
    run: async (a) => {
      const { checkRunArgs } = await import('./options.js');
      const args = checkRunArgs(a);
      const capture = typeof a['capture'] === 'string' ? a['capture'] : undefined;
      if (capture !== undefined && args.lab === undefined) throw new UsageError('run: --capture FILE only applies with --lab (use --pcap FILE for the frames pxecheck sends and receives)');
      const runInputs = [...args.scenarios, args.lab?.config, args.lab?.config6];
      const { refuseOverwrite } = await import('./inputs.js');
      for (const [flag, file] of [['--output', args.output], ['--pcap', args.pcap], ['--capture', capture]] as const) refuseOverwrite(file, runInputs, flag);
      return args.lab !== undefined
        ? async () => (await import('./run-lab.js')).runWithLab(args, analyzeIo(io), capture === undefined ? {} : { capture })
        : async () => (await import('./run.js')).runRun(args, analyzeIo(io), runDeps);
    },
    capture: async (a) => {
      const { checkCaptureArgs, runCapture } = await import('./capture.js');
      const args = checkCaptureArgs(a);
      return () => runCapture(args, captureIo(io));
    },
    lab: async (a) => {
      const { checkLabArgs, runLab } = await import('./lab.js');
      const args = checkLabArgs(a);
      return () => runLab(args, io);
    },
    export: async (a) => {
      return async () => {
        const { checkExportArgs, runExport } = await import('./export.js');
        const stdout = (io as { stdout?: (s: string) => void }).stdout ?? ((s: string) => void process.stdout.write(s));
        return runExport(checkExportArgs(a), { stdout, stderr: io.stderr });
      };
    },
    merge: async (a) => {
      const { checkMergeArgs, runMerge } = await import('./merge.js');
      const args = checkMergeArgs(a);
      return async () => runMerge(args, analyzeIo(io));
    },
  };
}
