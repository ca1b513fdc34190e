/**
 * `pxecheck merge A.json B.json …`: the JSON reports of load runs (`run --shard i/n --format json`
 * on several hosts) as one report with exact merged percentiles, budgets held against the whole.
 * Exit 0 all budgets met, 1 a budget missed or a client failed, 2 unreadable or unmergeable input.
 */
import { readFileSync } from 'node:fs';
import { MergeError, mergeRunResults } from '../scenario/load/merge.js';
import type { RunResult } from '../scenario/run/result.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { RUN_FORMATS, type RunFormat } from './options.js';
import { writeRunReport, type RunIo } from './run.js';

export interface MergeArgs {
  files: string[];
  format: RunFormat;
  output: string | undefined;
}

export function checkMergeArgs(raw: Record<string, unknown>): MergeArgs {
  const list = raw['files'];
  const files = (Array.isArray(list) ? list : list === undefined ? [] : [list]).map(String).filter((s) => s !== '');
  if (files.length === 0) throw new UsageError('merge: name the JSON reports to merge (pxecheck run … --format json -o shard1.json)');
  const format = String(raw['format'] ?? 'text');
  if (!(RUN_FORMATS as readonly string[]).includes(format)) throw new UsageError(`merge: --format must be one of ${RUN_FORMATS.join(', ')} (got "${format}")`);
  const output = raw['output'] === undefined ? undefined : String(raw['output']);
  if (output !== undefined && files.includes(output)) throw new UsageError(`merge: --output ${output} is one of the inputs; choose another file`);
  return { files, format: format as RunFormat, output };
}

function readReport(file: string): RunResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new MergeError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new MergeError(`${file}: not JSON (${(e as Error).message}); merge reads the output of \`pxecheck run --format json\``);
  }
  const scenarios = (json as { scenarios?: unknown } | null)?.scenarios;
  if (!Array.isArray(scenarios)) throw new MergeError(`${file}: not a \`pxecheck run --format json\` report (no "scenarios" list)`);
  for (const s of scenarios as Array<{ load?: { kinds?: unknown; clients?: unknown; budgetSpec?: unknown } }>) {
    const l = s?.load;
    if (l !== undefined && (typeof l.kinds !== 'object' || typeof l.clients !== 'object' || typeof l.budgetSpec !== 'object')) {
      throw new MergeError(`${file}: a load report lacks kinds, clients or budgetSpec`);
    }
  }
  return json as RunResult;
}

export function runMerge(args: MergeArgs, io: RunIo): number {
  let result: RunResult;
  const notes: string[] = [];
  try {
    result = mergeRunResults(args.files.map((file) => ({ file, result: readReport(file) })), notes);
  } catch (e) {
    if (e instanceof MergeError) io.stderr(`pxecheck merge: ${e.message}\n`);
    else if (e instanceof Error && /histogram|encoding|cookie|base64|inflate|incorrect header/i.test(e.message)) io.stderr(`pxecheck merge: a histogram cannot be decoded: ${e.message}\n`);
    else throw e;
    return ExitCode.USAGE;
  }
  for (const n of notes) io.stderr(`pxecheck merge: note: ${n}\n`);
  return writeRunReport(result, args.format, args.output, io);
}
