/**
 * The analysis side of `pxecheck capture`: decoded packets → boot chains → live lines, findings
 * and, at the end, the report. Devices that finished (silent for `LIVE_RELEASE.idle` seconds of
 * capture time, sooner on a busy segment) are analyzed, handed to `onFinished` (metrics, events),
 * and released with the findings the printer remembered for them: a capture that runs for weeks
 * keeps its memory flat while the summary keeps counting them. No I/O: lines are returned.
 * As for a file: times on the steady clock (a clock step is `capture.clock-jump`, not a duration
 * of years) and the decoder's limits as `capture.limit`.
 */
import { SteadyClock } from '../capture/clock.js';
import type { CaptureRecord } from '../capture/types.js';
import { DecodePipeline } from '../decode/pipeline.js';
import type { DecodeSink } from '../decode/messages.js';
import { BootChainBuilder, type CaptureInfo } from '../flow/builder.js';
import { analyzeFacts, type AnalysisPart } from '../analysis/engine.js';
import { RecordStep } from '../analysis/record-step.js';
import { AnalysisSession, LIVE_RELEASE, type ReleasePolicy } from '../analysis/session.js';
import type { Analysis } from '../analysis/types.js';
import { LivePrinter } from '../report/live-printer.js';
import { TextWriter } from '../report/analyze-stream.js';
import type { Palette } from '../report/color.js';
import { heapKeeper } from './heap.js';

export interface LiveSessionOptions {
  /** `file` of the report (the pcapng written, or `live:IFACES`). */
  fileName: string;
  palette?: Palette;
  quietSeconds?: number;
  utc?: boolean;
  /** Keep the full text report for the end (`capture --analyze`): it is spooled, not held. */
  report?: boolean;
  release?: ReleasePolicy;
  /** Devices finished and released, with their verdicts and findings (ids final). */
  onFinished?: (part: AnalysisPart) => void;
  /** Sees every decoded message before the builder (the --metrics/--events monitor). */
  tap?: (next: DecodeSink) => DecodeSink;
  /** Analyze mirror-port copies too (`--keep-duplicates`). */
  keepDuplicates?: boolean;
}

export class LiveSession {
  readonly printer: LivePrinter;
  private readonly builder: BootChainBuilder;
  private readonly pipeline: DecodePipeline;
  /** The same read step as analyze (src/analysis/capture.ts): the system clock may be set mid-capture. */
  private readonly step: RecordStep;
  private readonly session: AnalysisSession;
  private readonly writer: TextWriter | null;
  private readonly info: CaptureInfo;
  /** Lines for findings of devices released since the last call. */
  private pendingLines: string[] = [];
  private now = 0;
  private readonly keepHeap = heapKeeper();

  constructor(private readonly opts: LiveSessionOptions) {
    this.printer = new LivePrinter({ palette: opts.palette, quietSeconds: opts.quietSeconds, utc: opts.utc });
    this.builder = new BootChainBuilder({ onStep: (device, step) => this.printer.stepOpened(device, step) });
    this.pipeline = new DecodePipeline(opts.tap ? opts.tap(this.builder) : this.builder, { dropDuplicates: opts.keepDuplicates !== true });
    this.step = new RecordStep(new SteadyClock(), this.pipeline);
    this.writer = opts.report ? new TextWriter(opts.palette) : null;
    this.info = { file: opts.fileName, packets: 0, warnings: [], truncated: false, firstPacket: null, lastPacket: null };
    this.session = new AnalysisSession(this.builder, {}, opts.release ?? LIVE_RELEASE, (p) => this.finished(p));
  }

  /** A packet (`rec.data` is only read during the call; `rec.time` becomes its steady time). */
  push(rec: CaptureRecord): void {
    this.step.push(rec);
    this.session.tick(this.step.last, this.info);
  }

  /** Devices in memory now (the rest were released). */
  get liveDevices(): number {
    return this.builder.liveDevices;
  }

  get finishedDevices(): number {
    return this.session.finishedDevices;
  }

  /** Steps that completed or went quiet, and findings of devices released since the last call. */
  poll(wallNow: number): string[] {
    const now = (this.now = this.step.clock.at(wallNow));
    const out = this.printer.poll(now);
    if (this.pendingLines.length > 0) {
      out.push(...this.pendingLines);
      this.pendingLines = [];
    }
    return out;
  }

  /** Findings of the devices still in memory, from a snapshot (printed once each). */
  findings(wallNow: number): string[] {
    const now = (this.now = this.step.clock.at(wallNow));
    return this.printer.findings(this.snapshot().findings, now);
  }

  /** An analysis of the devices still in memory (the builder goes on unchanged); one per packet
   *  count, so the printer and the monitor share it within a tick. */
  snapshot(): Analysis {
    if (this.cached?.frames !== this.step.records) {
      this.cached = { frames: this.step.records, analysis: analyzeFacts(this.builder.facts(this.captureInfo())) };
    }
    return this.cached.analysis;
  }

  private cached: { frames: number; analysis: Analysis } | null = null;

  /** The end: open steps as they stand, the last findings, and the report's head (summary of
   *  every device, released or not). */
  finish(wallNow: number): { lines: string[]; analysis: Analysis } {
    this.pipeline.finish();
    this.cached = null;
    const lines = [...this.poll(wallNow), ...this.printer.flush()];
    const analysis = this.session.finish(this.captureInfo());
    lines.push(...this.pendingLines);
    this.pendingLines = [];
    return { lines, analysis };
  }

  /** The `--analyze` report (after `finish`), written in chunks. */
  report(analysis: Analysis, write: (s: string) => void): void {
    this.writer?.end(analysis, write);
  }

  /** With the capture's own warnings, as a file's (no reader here). */
  private captureInfo(): CaptureInfo {
    const step = this.step;
    return { ...this.info, packets: step.records, firstPacket: step.firstPacket, lastPacket: step.lastPacket, warnings: step.warnings() };
  }

  private finished(p: AnalysisPart): void {
    this.pendingLines.push(...this.printer.findings(p.findings, this.now));
    this.printer.forget(p.clients.map((c) => c.mac));
    this.writer?.part(p);
    this.opts.onFinished?.(p);
    this.keepHeap();
  }
}
