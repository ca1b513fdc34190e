import { basename } from 'node:path';
import type { CaptureInput } from '../capture/index.js';
import type { WireIssue } from '../wire/issues.js';
import { summarize } from '../analysis/engine.js';
import type { Analysis } from '../analysis/types.js';
import type { AnalysisThresholds } from '../findings/types.js';
import { analysisToJson, renderAnalysisJson } from '../report/analyze-json.js';
import { renderAnalysisText } from '../report/analyze-text.js';
import { colorEnabled, palette } from '../report/color.js';
import { renderJunit } from '../report/junit.js';
import { TextOutput } from '../report/output.js';
import { createProgress } from '../report/progress.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { expandInputs, inputErrorMessage, refuseOverwrite, regularFileSize, WarningPrinter } from './inputs.js';
import { normalizeMac, type AnalyzeArgs } from './options.js';

/** The engine (src/analysis/capture.ts `analyzeCapture`), injected so reports and exit codes test without it.
 *  Several inputs are merged by time into one capture. */
export type AnalyzeFn = (
  input: CaptureInput | readonly CaptureInput[],
  opts: {
    thresholds?: Partial<AnalysisThresholds>;
    onProgress?: (bytesRead: number) => void;
    onWarning?: (w: WireIssue, name: string) => void;
  },
) => Promise<Analysis>;

export interface AnalyzeIo {
  stderr: (s: string) => void;
  stdoutIsTTY: boolean | undefined;
  stderrIsTTY: boolean | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * `pxecheck analyze`: one report per input (folders expand to their captures), or one for all with
 * --merge. Exit code: the worst of them — 2 for an input that could not be read, 1 when an error
 * finding remains after --client filtering, else 0.
 */
export async function runAnalyze(args: AnalyzeArgs, analyze: AnalyzeFn, io: AnalyzeIo): Promise<number> {
  const inputs = expandInputs(args.files);
  refuseOverwrite(args.output, inputs);
  const jobs: (string | string[])[] = inputs.length === 1 ? [inputs[0]!] : args.merge ? [inputs] : inputs;
  const many = jobs.length > 1;
  const warnings = new WarningPrinter(io.stderr);
  const reports = new Reports(args, io, many);
  let worst: number = ExitCode.OK;
  let clientFound = args.client === null;
  try {
    for (const job of jobs) {
      let analysis: Analysis;
      try {
        analysis = await analyzeOne(job, args, analyze, io, warnings);
      } catch (err) {
        const msg = many ? inputErrorMessage(err) : null;
        if (msg === null) throw err;
        io.stderr(`pxecheck: ${msg}\n`);
        worst = ExitCode.USAGE;
        continue;
      }
      if (args.client !== null) {
        // Several files: one without that client is left out; none with it is a usage error.
        if (many && !hasClient(analysis, args.client)) continue;
        analysis = selectClient(analysis, args.client);
        clientFound = true;
      }
      reports.add(analysis);
      worst = Math.max(worst, exitCodeFor(analysis));
    }
  } finally {
    reports.close();
  }
  if (!clientFound) throw new UsageError(`--client ${args.client}: no such client in ${inputs.join(', ')}`);
  return worst;
}

async function analyzeOne(job: string | string[], args: AnalyzeArgs, analyze: AnalyzeFn, io: AnalyzeIo, warnings: WarningPrinter): Promise<Analysis> {
  // A progress percentage needs a size: regular files only (not pipes, stdin or a merge).
  const size = typeof job === 'string' ? regularFileSize(job) : null;
  const progress = size === null ? null : createProgress({ label: `pxecheck: reading ${basename(job as string)}`, totalBytes: size, isTTY: io.stderrIsTTY, write: io.stderr });
  try {
    return await analyze(job, { thresholds: args.thresholds, onWarning: warnings.onWarning, ...(progress ? { onProgress: (n: number) => progress.update(n) } : {}) });
  } finally {
    progress?.done();
    warnings.finish();
  }
}

/**
 * The reports in the chosen format, written as each input finishes. One input: exactly the
 * single-capture report. Several: text reports one after the other under a `==> FILE <==` header,
 * JSON Lines (one compact document per input), JUnit one <testsuite> per input in <testsuites>.
 * The output file is opened at the first report, so a failed read never truncates it.
 */
class Reports {
  private out: TextOutput | null = null;
  private count = 0;

  constructor(private readonly args: AnalyzeArgs, private readonly io: AnalyzeIo, private readonly many: boolean) {}

  add(a: Analysis): void {
    const out = (this.out ??= TextOutput.open(this.args.output));
    const first = this.count++ === 0;
    if (this.args.format === 'json') out.line(this.many ? JSON.stringify(analysisToJson(a)) : renderAnalysisJson(a));
    else if (this.args.format === 'junit') {
      if (!this.many) return out.line(renderJunit(a));
      if (first) out.line('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>');
      for (const l of renderJunit(a).split('\n').slice(1)) out.line(`  ${l}`);
    } else {
      const toFile = this.args.output !== undefined && this.args.output !== '-';
      const pal = palette(colorEnabled({ isTTY: this.io.stdoutIsTTY, toFile, env: this.io.env }));
      if (this.many) out.line(`${first ? '' : '\n'}==> ${a.file} <==`);
      for (const l of renderAnalysisText(a, pal)) out.line(l);
    }
  }

  close(): void {
    if (this.out && this.many && this.args.format === 'junit') this.out.line('</testsuites>');
    this.out?.close();
  }
}

function hasClient(a: Analysis, mac: string): boolean {
  const want = normalizeMac(mac);
  return a.clients.some((c) => safeNormalize(c.mac) === want);
}

export function exitCodeFor(a: Analysis): number {
  return a.findings.some((f) => f.severity === 'error') ? ExitCode.FINDINGS : ExitCode.OK;
}

const MAX_LISTED = 8;

/**
 * Keeps one client's chain and findings, plus the capture-wide findings (they concern every
 * client); the summary is recomputed with the engine's `summarize`. Unknown MAC → UsageError
 * listing the MACs seen.
 */
export function selectClient(a: Analysis, mac: string): Analysis {
  const want = normalizeMac(mac);
  const chain = a.clients.find((c) => safeNormalize(c.mac) === want);
  if (!chain) {
    const seen = a.clients.map((c) => c.mac);
    const list = seen.length === 0 ? 'none' : seen.slice(0, MAX_LISTED).join(', ') + (seen.length > MAX_LISTED ? `, … (${seen.length - MAX_LISTED} more)` : '');
    throw new UsageError(`--client ${want}: no such client in ${a.file}; clients seen: ${list}`);
  }
  const findings = a.findings.filter((f) => f.client === null || f.client === chain.mac);
  return { ...a, clients: [chain], findings, summary: summarize([chain], findings, a.summary.firstPacket, a.summary.lastPacket) };
}

function safeNormalize(mac: string): string {
  try {
    return normalizeMac(mac);
  } catch {
    return mac.toLowerCase();
  }
}
