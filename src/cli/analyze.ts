import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { summarize } from '../analysis/engine.js';
import type { Analysis, ClientReport } from '../analysis/types.js';
import type { AnalysisThresholds } from '../findings/types.js';
import { renderAnalysisJson } from '../report/analyze-json.js';
import { renderAnalysisText } from '../report/analyze-text.js';
import { reportWidth } from '../report/layout.js';
import { colorEnabled, palette } from '../report/color.js';
import { renderJunit } from '../report/junit.js';
import { TextOutput } from '../report/output.js';
import { createProgress } from '../report/progress.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { canonicalIp, clientSpecText, macOrNull, type ClientSpec } from './client-spec.js';
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
  /** The terminal's width when stdout is one (process.stdout.columns). */
  columns?: number | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

/** `pxecheck analyze`: exit 1 when an error finding remains after --client/--only-failed filtering, else 0. */
export async function runAnalyze(args: AnalyzeArgs, analyze: AnalyzeFn, io: AnalyzeIo): Promise<number> {
  // stat first: a missing file is reported before anything is drawn (and gives the size for progress).
  const size = statSync(args.file).size;
  const progress = createProgress({ label: `pxecheck: reading ${basename(args.file)}`, totalBytes: size, isTTY: io.stderrIsTTY, write: io.stderr });
  let analysis: Analysis;
  try {
    analysis = await analyze(args.file, progress ? { thresholds: args.thresholds, onProgress: (n) => progress.update(n) } : { thresholds: args.thresholds });
  } finally {
    progress?.done();
  }
  if (args.clients !== null) analysis = selectClients(analysis, args.clients);
  if (args.onlyFailed) analysis = keepClients(analysis, (c) => isFailedDevice(analysis, c));

  const out = TextOutput.open(args.output);
  try {
    if (args.format === 'json') out.line(renderAnalysisJson(analysis));
    else if (args.format === 'junit') out.line(renderJunit(analysis));
    else {
      const toFile = args.output !== undefined && args.output !== '-';
      const pal = palette(colorEnabled({ isTTY: io.stdoutIsTTY, toFile, env: io.env }));
      for (const l of renderAnalysisText(analysis, pal, { width: toFile ? null : reportWidth(io) })) out.line(l);
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
 * What `--only-failed` keeps. Today: a device with an error finding of its own. (One function on
 * purpose: it moves to the engine's per-attempt outcome when that lands.)
 */
export function isFailedDevice(a: Analysis, client: ClientReport): boolean {
  return a.findings.some((f) => f.client === client.mac && f.severity === 'error');
}

/**
 * Keeps the clients any spec names, their findings and the capture-wide ones (they concern every
 * client); the summary is recomputed. A spec that names nobody → UsageError listing who was seen.
 */
export function selectClients(a: Analysis, specs: readonly ClientSpec[]): Analysis {
  for (const spec of specs) {
    if (a.clients.some((c) => chainMatches(c, spec))) continue;
    const seen = a.clients.map((c) => c.mac);
    const list = seen.length === 0 ? 'none' : seen.slice(0, MAX_LISTED).join(', ') + (seen.length > MAX_LISTED ? `, … (${seen.length - MAX_LISTED} more)` : '');
    throw new UsageError(`--client ${clientSpecText(spec)}: no such client in ${a.file}; clients seen: ${list}`);
  }
  return keepClients(a, (c) => specs.some((spec) => chainMatches(c, spec)));
}

/** One client, as `--client MAC` (kept for callers that select a single device). */
export function selectClient(a: Analysis, mac: string): Analysis {
  return selectClients(a, [{ kind: 'mac', mac: normalizeMac(mac) }]);
}

/** The analysis restricted to the clients `keep` accepts (capture-wide findings stay). */
export function keepClients(a: Analysis, keep: (c: ClientReport) => boolean): Analysis {
  const clients = a.clients.filter(keep);
  const macs = new Set(clients.map((c) => c.mac));
  const findings = a.findings.filter((f) => f.client === null || macs.has(f.client));
  return { ...a, clients, findings, summary: summarize(clients, findings, a.summary.firstPacket, a.summary.lastPacket) };
}

/** A MAC names the device; an address names the device that leased or used it. */
export function chainMatches(c: ClientReport, spec: ClientSpec): boolean {
  if (spec.kind === 'mac') return macOrNull(c.mac) === spec.mac;
  if (c.mac.startsWith('ip:')) return canonicalIp(c.mac.slice(3)) === spec.addr;
  return c.steps.some((st) => {
    switch (st.kind) {
      case 'dhcp4':
      case 'proxydhcp': return 'yiaddr' in st && st.yiaddr !== null && st.yiaddr === spec.addr;
      case 'dhcp6': return st.addresses.some((x) => canonicalIp(x) === spec.addr) || st.leases.some((l) => canonicalIp(l.address) === spec.addr);
      default: return false;
    }
  });
}
