import { basename } from 'node:path';
import type { CaptureInput } from '../capture/index.js';
import type { WireIssue } from '../wire/issues.js';
import { summarize, type AnalysisPart } from '../analysis/engine.js';
import type { Analysis, ClientReport } from '../analysis/types.js';
import type { AnalysisThresholds } from '../findings/types.js';
import { analysisToJson, renderAnalysisJson } from '../report/analyze-json.js';
import { ANALYZE_JSON_VERSION } from '../report/analyze-version.js';
import { renderAnalysisText } from '../report/analyze-text.js';
import { writeAnalysisRows } from '../report/analyze-rows.js';
import { reportWidth } from '../report/layout.js';
import { colorEnabled, palette } from '../report/color.js';
import { renderAnalysisHtml } from '../report/html/page.js';
import { renderJunit } from '../report/junit.js';
import { checkAnnotateTarget, writeAnnotated } from '../report/annotate.js';
import { TextOutput } from '../report/output.js';
import { createProgress } from '../report/progress.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { expandInputs, inputErrorMessage, refuseOverwrite, regularFileSize, WarningPrinter } from './inputs.js';
import { analyzeToReply, type ParallelAnalyze, type WorkerReply } from './analyze-pool.js';
import { inOrder } from './in-order.js';
import { FleetSummary, type Fleet } from '../analysis/fleet.js';
import { renderFleetText } from '../report/fleet-text.js';
import { STDIN_NAME } from '../capture/index.js';
import { canonicalIp, clientSpecText, macOrNull, type ClientSpec } from './client-spec.js';
import { normalizeMac, type AnalyzeArgs } from './options.js';
import { JsonWriter, JunitWriter, TextWriter, type AnalysisWriter } from '../report/analyze-stream.js';
import { PartSelection } from './analyze-select.js';
import { collectGarbage, growHeapSlowly, heapKeeper } from './heap.js';

/** The engine (src/analysis/capture.ts `analyzeCapture`), injected so reports and exit codes test without it.
 *  Several inputs are merged by time into one capture. */
export type AnalyzeFn = (
  input: CaptureInput | readonly CaptureInput[],
  opts: {
    thresholds?: Partial<AnalysisThresholds>;
    /** Mirror-port copies analyzed too (`--keep-duplicates`). */
    keepDuplicates?: boolean;
    onProgress?: (bytesRead: number) => void;
    onWarning?: (w: WireIssue, name: string) => void;
    /** Devices as they finish: the returned Analysis then holds only what the parts did not. */
    onPart?: (part: AnalysisPart) => void;
    /** Reading is over; the devices left are analyzed next. */
    onReadEnd?: () => void;
  },
) => Promise<Analysis>;

export interface AnalyzeIo {
  stderr: (s: string) => void;
  stdoutIsTTY: boolean | undefined;
  stderrIsTTY: boolean | undefined;
  /** The terminal's width when stdout is one (process.stdout.columns). */
  columns?: number | undefined;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * `pxecheck analyze`: one report per input (folders expand to their captures), or one for all with
 * --merge. Exit code: the worst of them — 2 for an input that could not be read, 1 when an error
 * finding remains after --client/--only-failed filtering, else 0. When the reader of stdout goes
 * away (`| head`), no further input is started and the exit is 0, quietly (as tshark does).
 */
export async function runAnalyze(args: AnalyzeArgs, analyze: AnalyzeFn, io: AnalyzeIo, parallel?: ParallelAnalyze): Promise<number> {
  const inputs = expandInputs(args.files);
  refuseOverwrite(args.output, inputs);
  const jobs: (string | string[])[] = inputs.length === 1 ? [inputs[0]!] : args.merge ? [inputs] : inputs;
  const many = jobs.length > 1;
  // One HTML page is one analysis: several captures become one with --merge.
  if (many && args.format === 'html') throw new UsageError('analyze --format html takes one capture: name one file, or add --merge to analyze several as one');
  // --annotate copies the one capture it analyzed: a second pass over a file, not a pipe.
  if (args.annotate !== undefined) {
    if (jobs.length !== 1 || typeof jobs[0] !== 'string' || jobs[0] === '-') throw new UsageError('analyze --annotate takes one capture file (not a pipe, several files or --merge)');
    checkAnnotateTarget(jobs[0], args.annotate);
  }
  const warnings = new WarningPrinter(io.stderr);
  const reports = new Reports(args, io, many);
  // Several captures (not merged): a fleet summary after their reports.
  const fleet = many ? new FleetSummary() : null;
  const threads = many && parallel ? Math.min(args.jobs ?? parallel.cores, jobs.length) : 1;
  let worst: number = ExitCode.OK;
  let clientFound = args.clients === null;
  // Text, JSON and JUnit of one capture are written as devices finish (memory does not grow with
  // the capture); HTML, rows and --annotate need the whole analysis at once, and several captures
  // go through the fleet path (each analysed whole, in worker threads).
  const streamOneInput = !many && args.format !== 'html' && args.format !== 'rows' && args.annotate === undefined;
  try {
    // One capture (or --merge) in text, JSON or JUnit: written as devices finish, memory flat.
    if (streamOneInput) {
      const code = await streamOne(jobs[0]!, args, analyze, io, warnings, reports, false);
      if (code !== null) {
        if (code !== ExitCode.USAGE && args.clients !== null) clientFound = true;
        worst = Math.max(worst, code);
      }
      if (reports.broken) return ExitCode.OK;
    }
    const results = streamOneInput ? noJobs() : threads > 1
      ? inThreads(jobs as string[], parallel!, threads, args, analyze, io, warnings)
      : inThisThread(jobs, args, analyze, io, warnings, many);
    for await (const r of results) {
      if ('error' in r) {
        io.stderr(`pxecheck: ${r.error}\n`);
        fleet?.addUnreadable();
        worst = ExitCode.USAGE;
        continue;
      }
      let analysis = r.analysis;
      // --annotate: a second pass copies the capture with the findings as packet comments.
      if (args.annotate !== undefined) await writeAnnotated(analysis, jobs[0] as string, args.annotate);
      const specs = args.clients;
      if (specs !== null) {
        // Several files: one without those clients is left out; none with them is a usage error.
        if (many && !specs.some((spec) => analysis.clients.some((c) => chainMatches(c, spec)))) continue;
        analysis = many ? keepClients(analysis, (c) => specs.some((spec) => chainMatches(c, spec))) : selectClients(analysis, specs);
        clientFound = true;
      }
      if (args.onlyFailed) {
        const all = analysis;
        analysis = keepClients(all, (c) => isFailedDevice(all, c));
      }
      reports.add(analysis);
      // Nobody reads on: the rest is not analysed (leaving the loop closes the worker pool).
      if (reports.broken) return ExitCode.OK;
      fleet?.add(analysis);
      worst = Math.max(worst, exitCodeFor(analysis));
    }
    if (fleet !== null) reports.fleet(fleet.result());
  } finally {
    reports.close();
  }
  if (!clientFound) throw new UsageError(`--client ${args.clients!.map(clientSpecText).join(', ')}: no such client in ${inputs.join(', ')}`);
  return worst;
}

/** An analysed input, or the one-line reason it could not be read. */
type JobResult = { analysis: Analysis } | { error: string };

/** Inputs one after the other in this thread, reader warnings and progress as they come. */
async function* inThisThread(jobs: readonly (string | string[])[], args: AnalyzeArgs, analyze: AnalyzeFn, io: AnalyzeIo, warnings: WarningPrinter, many: boolean): AsyncGenerator<JobResult> {
  for (const job of jobs) {
    let analysis: Analysis;
    try {
      analysis = await analyzeOne(job, args, analyze, io, warnings);
    } catch (err) {
      const msg = many ? inputErrorMessage(err) : null;
      if (msg === null) throw err;
      yield { error: msg };
      continue;
    }
    yield { analysis };
  }
}

/**
 * Inputs on `threads` worker threads (standard input in this one), handed back in input order
 * with their reader warnings, so that stdout and stderr read as a run in one thread would.
 */
async function* inThreads(files: readonly string[], parallel: ParallelAnalyze, threads: number, args: AnalyzeArgs, analyze: AnalyzeFn, io: AnalyzeIo, warnings: WarningPrinter): AsyncGenerator<JobResult> {
  // This thread analyses too, with one worker fewer: on N cores N analyses run, not N workers
  // beside a main thread that mostly waits (and one isolate less to load and warm up).
  const pool = parallel.open(threads - 1);
  let bytes = 0;
  const total = files.reduce((n, f) => n + (regularFileSize(f) ?? 0), 0);
  const progress = createProgress({ label: `pxecheck: analysing ${files.length} captures on ${threads} threads`, totalBytes: total, isTTY: io.stderrIsTTY, write: io.stderr });
  let here = 0;
  const settings = { thresholds: args.thresholds, keepDuplicates: args.keepDuplicates };
  const inThread = async (file: string, id: number): Promise<WorkerReply> => {
    here++;
    try {
      return await analyzeToReply((f, o) => analyze(f, o), { id, file, ...settings });
    } finally {
      here--;
    }
  };
  // Standard input is read here whatever else runs (a worker cannot read it).
  const run = (file: string, id: number): Promise<WorkerReply> =>
    file === STDIN_NAME || here === 0 ? inThread(file, id) : pool.run(file, settings);
  let index = 0;
  try {
    for await (const s of inOrder(files, run, { concurrency: threads })) {
      const file = files[index++]!;
      // A worker that died (out of memory on a huge capture) loses that capture, not the run.
      if (!s.ok) {
        progress?.done();
        yield { error: `${file}: ${s.error instanceof Error ? s.error.message : String(s.error)}` };
        continue;
      }
      const reply = s.value;
      progress?.done();
      warnings.replay(reply.warnings, reply.more);
      if (reply.kind === 'internal-error') throw Object.assign(new Error(reply.message), { stack: reply.stack });
      yield reply.kind === 'analysis' ? { analysis: reply.analysis } : { error: reply.message };
      bytes += regularFileSize(file) ?? 0;
      progress?.update(bytes);
    }
  } finally {
    progress?.done();
    await pool.close();
  }
}

/** Nothing: the one input went through the streaming writer. */
async function* noJobs(): AsyncGenerator<JobResult> {}

/**
 * One input through a streaming writer. Returns its exit code, or null when it is left out (several
 * inputs, none of the --client devices in it). Same results as the whole-analysis path.
 */
async function streamOne(job: string | string[], args: AnalyzeArgs, analyze: AnalyzeFn, io: AnalyzeIo, warnings: WarningPrinter, reports: Reports, many: boolean): Promise<number | null> {
  const writer = reports.writer();
  const sel = new PartSelection(args.clients, args.onlyFailed);
  const keepHeap = heapKeeper();
  // Only while this analysis runs (tests and other commands in the process keep V8's default).
  const defaultGrowth = growHeapSlowly();
  const onPart = (p: AnalysisPart): void => {
    writer.part(sel.keep(p));
    keepHeap();
  };
  let analysis: Analysis;
  try {
    analysis = await analyzeOne(job, args, analyze, io, warnings, onPart, collectGarbage);
    // An engine that returns the whole analysis instead of parts (tests inject one).
    if (analysis.clients.length > 0 || analysis.findings.length > 0) onPart(analysis);
    if (args.clients !== null) {
      if (many && !sel.anyMatched) {
        writer.discard();
        return null;
      }
      if (!many) sel.check(analysis.file);
    }
  } catch (err) {
    writer.discard();
    const msg = many ? inputErrorMessage(err) : null;
    if (msg === null) throw err;
    io.stderr(`pxecheck: ${msg}\n`);
    return ExitCode.USAGE;
  } finally {
    defaultGrowth();
  }
  const summary = sel.summary(analysis.summary.firstPacket, analysis.summary.lastPacket);
  reports.end({ ...analysis, clients: [], findings: [], summary }, writer);
  return summary.errors > 0 ? ExitCode.FINDINGS : ExitCode.OK;
}

async function analyzeOne(job: string | string[], args: AnalyzeArgs, analyze: AnalyzeFn, io: AnalyzeIo, warnings: WarningPrinter, onPart?: (p: AnalysisPart) => void, onReadEnd?: () => void): Promise<Analysis> {
  // A progress percentage needs a size: regular files only (not pipes, stdin or a merge).
  const size = typeof job === 'string' ? regularFileSize(job) : null;
  const progress = size === null ? null : createProgress({ label: `pxecheck: reading ${basename(job as string)}`, totalBytes: size, isTTY: io.stderrIsTTY, write: io.stderr });
  try {
    return await analyze(job, { thresholds: args.thresholds, keepDuplicates: args.keepDuplicates, onWarning: warnings.onWarning, ...(progress ? { onProgress: (n: number) => progress.update(n) } : {}), ...(onPart ? { onPart } : {}), ...(onReadEnd ? { onReadEnd } : {}) });
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

  /** The output's reader went away (EPIPE). */
  get broken(): boolean {
    return this.out?.broken ?? false;
  }

  /** A writer for the next input's report (text, JSON or JUnit). */
  writer(): AnalysisWriter {
    if (this.args.format === 'json') return new JsonWriter(this.many);
    if (this.args.format === 'junit') return new JunitWriter(this.many);
    return new TextWriter(this.palette(), this.width());
  }

  /** Writes an input's report: the head from `a`, its devices from `w`. */
  end(a: Analysis, w: AnalysisWriter): void {
    const out = (this.out ??= TextOutput.open(this.args.output));
    const first = this.count++ === 0;
    if (this.args.format === 'junit' && this.many && first) out.line('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>');
    if (this.args.format !== 'json' && this.args.format !== 'junit' && this.many) out.line(`${first ? '' : '\n'}==> ${a.file} <==`);
    w.end(a, (s) => out.text(s), (b) => out.bytes(b));
  }

  private toFile(): boolean {
    return this.args.output !== undefined && this.args.output !== '-';
  }

  private palette(): ReturnType<typeof palette> {
    return palette(colorEnabled({ isTTY: this.io.stdoutIsTTY, toFile: this.toFile(), env: this.io.env }));
  }

  private width(): number | null {
    return this.toFile() ? null : reportWidth(this.io);
  }

  add(a: Analysis): void {
    const out = (this.out ??= TextOutput.open(this.args.output));
    const first = this.count++ === 0;
    if (this.args.format === 'rows') writeAnalysisRows(a, (l) => out.line(l));
    else if (this.args.format === 'html') out.line(renderAnalysisHtml(a));
    else if (this.args.format === 'json') out.line(this.many ? JSON.stringify(analysisToJson(a)) : renderAnalysisJson(a));
    else if (this.args.format === 'junit') {
      if (!this.many) return out.line(renderJunit(a));
      if (first) out.line('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>');
      for (const l of renderJunit(a).split('\n').slice(1)) out.line(`  ${l}`);
    } else {
      const toFile = this.args.output !== undefined && this.args.output !== '-';
      const pal = palette(colorEnabled({ isTTY: this.io.stdoutIsTTY, toFile, env: this.io.env }));
      if (this.many) out.line(`${first ? '' : '\n'}==> ${a.file} <==`);
      for (const l of renderAnalysisText(a, pal, { width: toFile ? null : reportWidth(this.io) })) out.line(l);
    }
  }

  /** The fleet summary of several captures: text after the reports, JSON as a last line of its
   *  own; rows and JUnit have none (the rows are the data to aggregate). */
  fleet(f: Fleet): void {
    if (this.args.format === 'json') {
      const out = (this.out ??= TextOutput.open(this.args.output));
      out.line(JSON.stringify({ tool: 'pxecheck', version: ANALYZE_JSON_VERSION, fleet: f }));
    } else if (this.args.format === 'text') {
      const out = (this.out ??= TextOutput.open(this.args.output));
      const toFile = this.args.output !== undefined && this.args.output !== '-';
      const pal = palette(colorEnabled({ isTTY: this.io.stdoutIsTTY, toFile, env: this.io.env }));
      out.line('');
      for (const l of renderFleetText(f, pal)) out.line(l);
    }
  }

  close(): void {
    if (this.out && this.many && this.args.format === 'junit') this.out.line('</testsuites>');
    this.out?.close();
  }
}

/** 1 when an error finding remains (the findings of a streamed report are counted in its summary). */
export function exitCodeFor(a: Analysis): number {
  return a.summary.errors > 0 || a.findings.some((f) => f.severity === 'error') ? ExitCode.FINDINGS : ExitCode.OK;
}

const MAX_LISTED = 8;

/** What `--only-failed` keeps: a boot device whose boot failed (the engine's verdict). */
export function isFailedDevice(_a: Analysis, client: ClientReport): boolean {
  return client.outcome === 'failed';
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
