/**
 * One analysis over a capture that may not fit in memory: devices that have finished (silent for
 * a while, in capture time) are analyzed, handed on (`onPart`: reports, metrics, events) and
 * released, their counts kept in the summary; whatever is left is analyzed at the end. The same
 * for a file (`analyze`) and a live capture (`capture`, where it keeps a capture of weeks flat).
 *
 * A capture with fewer devices than `keepBelow` at every moment is analyzed whole at the end, so
 * its report is exactly what analyzing all devices together gives. Past that, parts follow each
 * other: findings are numbered on from the previous part, a device is reported when it finishes,
 * and one heard again after being released starts a new entry.
 */
import { DEFAULT_THRESHOLDS, type AnalysisThresholds } from '../findings/types.js';
import type { BootChainBuilder, CaptureInfo } from '../flow/builder.js';
import type { DeviceFacts, FlowFacts } from '../flow/facts.js';
import { analyzePart, type AnalysisPart } from './engine.js';
import { SummaryAccumulator } from './summary.js';
import type { Analysis } from './types.js';

export interface ReleasePolicy {
  /** Seconds of silence after which any device is finished (Infinity: never for that reason). */
  idle: number;
  /** Above this many devices in memory, those silent for `pressureIdle` seconds are finished too. */
  keepBelow: number;
  pressureIdle: number;
  /** Capture seconds between looks for finished devices. */
  every: number;
}

/** `analyze`: keep everything up to 5,000 devices at once (reports as if analyzed whole), then
 *  release devices as soon as every threshold has had its say (35 s of silence by default). */
export const ANALYZE_RELEASE: ReleasePolicy = { idle: Infinity, keepBelow: 5_000, pressureIdle: 0, every: 5 };
/** `capture`: a device silent for 5 minutes is finished; a busy segment releases sooner. */
export const LIVE_RELEASE: ReleasePolicy = { idle: 300, keepBelow: 5_000, pressureIdle: 0, every: 5 };

/** Silence beyond the longest threshold before a device may be released. */
const RELEASE_MARGIN_S = 5;

export class AnalysisSession {
  readonly th: AnalysisThresholds;
  private readonly summaryAcc = new SummaryAccumulator();
  private idBase = 0;
  private released = false;
  private nextLook: number | null = null;
  /** Devices finished and released so far. */
  finishedDevices = 0;

  constructor(
    private readonly builder: BootChainBuilder,
    thresholds: Partial<AnalysisThresholds> = {},
    private readonly policy: ReleasePolicy = ANALYZE_RELEASE,
    private readonly onPart: (part: AnalysisPart) => void = () => {},
  ) {
    this.th = { ...DEFAULT_THRESHOLDS, ...thresholds };
  }

  /** Capture time moved on to `now`: finished devices, if any are due, are analyzed and handed
   *  on. Cheap when nothing is due (call it per packet). */
  tick(now: number, info: CaptureInfo): void {
    if (this.nextLook === null) this.nextLook = now + this.policy.every;
    if (now < this.nextLook) return;
    this.nextLook = now + this.policy.every;
    const p = this.policy;
    // Never sooner than every threshold has had its say (a verdict must not change by release).
    const floor = Math.max(this.th.stall, this.th.noReply, this.th.tftpIdle, this.th.ipv6Stall) + RELEASE_MARGIN_S;
    let idle = Math.max(p.idle, floor);
    if (this.builder.liveDevices > p.keepBelow) idle = Math.max(Math.min(idle, p.pressureIdle), floor);
    if (!Number.isFinite(idle)) return;
    const devices = this.builder.retire(now, idle);
    if (devices.length === 0) return;
    this.released = true;
    this.part(devices, { ...info, lastPacket: now }, false);
  }

  /** The end of the capture: every device left is analyzed; returns the report's head (its
   *  clients and findings went to `onPart`). */
  finish(info: CaptureInfo): Analysis {
    const devices = this.builder.retire(Infinity, 0);
    const cap = this.part(devices, info, true);
    return {
      file: cap.file, packets: cap.packets, clients: [], findings: [],
      summary: this.summaryAcc.summary(cap.first, cap.last),
      routers: [...this.builder.routers()], ndp: this.builder.ndpCounts(),
    };
  }

  private part(devices: DeviceFacts[], info: CaptureInfo, last: boolean): FlowFacts['capture'] {
    const capture = this.builder.captureFacts(info);
    if (this.released) capture.transfers = this.builder.transfersSeen;
    const facts: FlowFacts = { capture, devices, routers: this.builder.routers(), ndp: this.builder.ndpCounts() };
    const part = analyzePart(facts, this.th, { idBase: this.idBase, last });
    this.idBase += part.findings.length;
    this.finishedDevices += devices.length;
    this.summaryAcc.add(part.clients, part.findings);
    this.onPart(part);
    return capture;
  }
}
