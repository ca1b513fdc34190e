/**
 * The boot-chain flow engine: decoded messages (in capture order) → one chain per client, steps in
 * time order. Keeps only strings and numbers copied out of the messages, never a message or a byte
 * view (they point into the capture read buffer, reused after the callback).
 * The protocol handlers live next to it: builder-dhcp4, builder-dhcp6 (with neighbour discovery),
 * builder-transfer (TFTP, HTTP, ICMP); builder-state holds what they share.
 */
import type { WireIssue } from '../wire/issues.js';
import type { DecodedMessage, DecodeSink, UndecodedFrame } from '../decode/messages.js';
import { FrameSample } from './frames.js';
import type { ChainState, StepState } from './state.js';
import {
  DEFAULT_THRESHOLDS, type Analysis, type AnalysisThresholds, type BootChain, type BootStep, type Finding,
} from './types.js';
import { evaluateFindings, summarize, type CaptureInfo } from '../findings/rules.js';
import { newFlowState, type FlowState } from './builder-state.js';
import { dhcp4Message } from './builder-dhcp4.js';
import { dhcp6Message, ndpMessage } from './builder-dhcp6.js';
import { httpMessage, icmpMessage, tftpMessage } from './builder-transfer.js';

export { TFTP_ICMP_ERROR_CODE } from './builder-transfer.js';

export interface BootChainBuilderOptions {
  thresholds?: Partial<AnalysisThresholds>;
  /** Called when a step is opened (its fields keep filling in afterwards). */
  onStep?: (chain: BootChain, step: BootStep) => void;
  /** Called for each finding, in time order, from `finish`. */
  onFinding?: (f: Finding) => void;
}

export interface FinishInfo {
  file: string;
  packets: number;
  captureWarnings: WireIssue[];
  truncated: boolean;
  /** Times of the first and last record of the capture (any protocol); default: of the messages. */
  firstPacket?: number | null;
  lastPacket?: number | null;
}

export class BootChainBuilder implements DecodeSink {
  readonly thresholds: AnalysisThresholds;
  private readonly flow: FlowState;
  /** Frames with issues nobody could attribute to a client. */
  private readonly strayMalformed = new FrameSample();
  private strayMalformedTime = 0;
  private readonly strayWhat = new Set<string>();
  private firstTime: number | null = null;
  private lastTime: number | null = null;

  constructor(private readonly opts: BootChainBuilderOptions = {}) {
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
    this.flow = newFlowState(opts);
  }

  message(m: DecodedMessage): void {
    this.seen(m.time);
    let chain: ChainState | null = null;
    switch (m.proto) {
      case 'dhcp4': chain = dhcp4Message(this.flow, m); break;
      case 'dhcp6': chain = dhcp6Message(this.flow, m); break;
      case 'tftp': chain = tftpMessage(this.flow, m); break;
      case 'http': chain = httpMessage(this.flow, m); break;
      case 'icmp': chain = icmpMessage(this.flow, m); break;
      case 'ndp': chain = ndpMessage(this.flow, m); break;
    }
    if (m.issues.length > 0) this.noteIssues(chain, m.frame, m.time, m.issues);
  }

  undecoded(f: UndecodedFrame): void {
    this.seen(f.time);
    this.noteIssues(null, f.frame, f.time, f.issues);
  }

  finish(info: FinishInfo): Analysis {
    const first = info.firstPacket ?? this.firstTime;
    const last = info.lastPacket ?? this.lastTime;
    // A host that only solicited routers (a server, a router, an OS at startup) is not a boot client.
    const states = [...this.flow.chains.values()].filter((c) => !(c.states.length > 0 && c.states.every((s) => s.kind === 'ra')));
    for (const c of states) dropIdleSolicitations(c);
    for (const c of states) {
      for (const s of c.states) {
        s.step.frames = s.frames.toArray();
        s.step.frameCount = s.frames.count;
      }
    }
    const routers = this.flow.routers.list();
    const capture: CaptureInfo = {
      first, last, truncated: info.truncated, captureWarnings: info.captureWarnings,
      strayMalformed: this.strayMalformed.count > 0
        ? { frames: this.strayMalformed.toArray(), count: this.strayMalformed.count, time: this.strayMalformedTime, what: [...this.strayWhat] }
        : null,
      unreachable: this.flow.unreachable,
      routers,
    };
    const findings = evaluateFindings(states, capture, this.thresholds);
    for (const f of findings) this.opts.onFinding?.(f);
    const clients = states.map((s) => s.chain);
    return {
      file: info.file, packets: info.packets, clients, findings, summary: summarize(clients, findings, first, last),
      routers, ndp: { ...this.flow.ndpCounts },
    };
  }

  private seen(t: number): void {
    if (this.firstTime === null || t < this.firstTime) this.firstTime = t;
    if (this.lastTime === null || t > this.lastTime) this.lastTime = t;
  }

  private noteIssues(c: ChainState | null, frame: number, time: number, issues: WireIssue[]): void {
    let what: string | null = null;
    for (const i of issues) {
      if (i.kind === 'unsupported') continue;
      what = `${i.layer}: ${i.message}`;
      break;
    }
    if (what === null) return;
    if (c) {
      if (!c.malformed) {
        c.malformed = new FrameSample();
        c.malformedTime = time;
        c.malformedWhat = new Set();
      }
      c.malformed.add(frame);
      if (c.malformedWhat!.size < 8) c.malformedWhat!.add(what);
    } else {
      if (this.strayMalformed.count === 0) this.strayMalformedTime = time;
      this.strayMalformed.add(frame);
      if (this.strayWhat.size < 8) this.strayWhat.add(what);
    }
  }
}

/** Unanswered router solicitations of a client that never used DHCPv6 (iPXE and operating systems
 *  solicit routers on IPv4-only networks too): not part of its boot, so not steps. */
function dropIdleSolicitations(c: ChainState): void {
  if (c.states.some((s) => s.kind === 'dhcp6')) return;
  const idle = (s: StepState): boolean => s.kind === 'ra' && !s.answered;
  if (!c.states.some(idle)) return;
  c.states = c.states.filter((s) => !idle(s));
  c.chain.steps = c.states.map((s) => s.step);
}
