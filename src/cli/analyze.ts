import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { summarize } from '../analysis/engine.js';
import type { Analysis } from '../analysis/types.js';
import type { AnalysisThresholds } from '../findings/types.js';
import { renderAnalysisJson } from '../report/analyze-json.js';
import { renderAnalysisText } from '../report/analyze-text.js';
import { colorEnabled, palette } from '../report/color.js';
import { renderJunit } from '../report/junit.js';
import { checkAnnotateTarget, writeAnnotated } from '../report/annotate.js';
import { TextOutput } from '../report/output.js';
import { createProgress } from '../report/progress.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { normalizeMac, type AnalyzeArgs } from './options.js';

/** The engine (src/flow/analyze.ts `analyzeCapture`), injected so reports and exit codes test without it. */
export type AnalyzeFn = (
  path: string,
  opts: { thresholds?: Partial<AnalysisThresholds>; onProgress?: (bytesRead: number) => void },
) => Promise<Analysis>;

export interface AnalyzeIo {
  stderr: (s: string) => void;
  stdoutIsTTY: boolean | undefined;
  stderrIsTTY: boolean | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

/** `pxecheck analyze`: exit 1 when an error finding remains after --client filtering, else 0. */
export async function runAnalyze(args: AnalyzeArgs, analyze: AnalyzeFn, io: AnalyzeIo): Promise<number> {
  // stat first: a missing file is reported before anything is drawn (and gives the size for progress).
  const size = statSync(args.file).size;
  if (args.annotate !== undefined) checkAnnotateTarget(args.file, args.annotate);
  const progress = createProgress({ label: `pxecheck: reading ${basename(args.file)}`, totalBytes: size, isTTY: io.stderrIsTTY, write: io.stderr });
  let analysis: Analysis;
  try {
    analysis = await analyze(args.file, progress ? { thresholds: args.thresholds, onProgress: (n) => progress.update(n) } : { thresholds: args.thresholds });
  } finally {
    progress?.done();
  }
  if (args.client !== null) analysis = selectClient(analysis, args.client);
  // --annotate: a second pass copies the capture with the findings as packet comments.
  if (args.annotate !== undefined) await writeAnnotated(analysis, args.file, args.annotate);

  const out = TextOutput.open(args.output);
  try {
    if (args.format === 'json') out.line(renderAnalysisJson(analysis));
    else if (args.format === 'junit') out.line(renderJunit(analysis));
    else {
      const toFile = args.output !== undefined && args.output !== '-';
      const pal = palette(colorEnabled({ isTTY: io.stdoutIsTTY, toFile, env: io.env }));
      for (const l of renderAnalysisText(analysis, pal)) out.line(l);
    }
  } finally {
    out.close();
  }
  return exitCodeFor(analysis);
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
