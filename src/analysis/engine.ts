/**
 * The analysis engine: facts (from the flow layer) → findings (a pure function of them) →
 * outcomes and the summary. The same for a capture file and for a live capture, which hands it a
 * fresh snapshot of the facts now and then.
 */
import type { FindingCode } from '../findings/catalogue.js';
import { evaluateFindings, type FindingsPart } from '../findings/rules.js';
import { identityCut, roleUnknown } from '../findings/blind.js';
import { DEFAULT_THRESHOLDS, type AnalysisThresholds, type Finding } from '../findings/types.js';
import { REBOOT_GAP_S } from '../flow/attempts.js';
import type { DeviceFacts, FlowFacts } from '../flow/facts.js';
import { SummaryAccumulator } from './summary.js';
import type { Analysis, AnalysisSummary, AttemptReport, ClientReport, Outcome } from './types.js';

export function analyzeFacts(facts: FlowFacts, thresholds: Partial<AnalysisThresholds> = {}): Analysis {
  const { clients, findings } = analyzePart(facts, { ...DEFAULT_THRESHOLDS, ...thresholds }, { idBase: 0, last: true });
  return {
    file: facts.capture.file,
    packets: facts.capture.packets,
    clients,
    findings,
    summary: summarize(clients, findings, facts.capture.first, facts.capture.last),
    routers: [...facts.routers],
    ndp: { ...facts.ndp },
  };
}

/** Devices finished together and what was found about them (ids final, in time order). */
export interface AnalysisPart {
  /** The capture's name (as `Analysis.file`). */
  file: string;
  clients: ClientReport[];
  findings: Finding[];
}

/** Findings and verdicts of some devices of a capture (all of them, or those that finished). */
export function analyzePart(facts: FlowFacts, th: AnalysisThresholds, part: FindingsPart): AnalysisPart {
  const { findings, rootCauses, blindSpots } = evaluateFindings(facts, th, part);
  const byId = new Map(findings.map((f) => [f.id, f]));
  const clients = facts.devices.map((d) => clientReport(d, rootCauses.get(d.key), byId, blindSpots.get(d.key) ?? null));
  return { file: facts.capture.file, clients, findings };
}

function clientReport(d: DeviceFacts, roots: ReadonlyMap<number, string> | undefined, byId: ReadonlyMap<string, Finding>, blind: FindingCode | null): ClientReport {
  const attempts: AttemptReport[] = d.attempts.map((a) => {
    const rootId = roots?.get(a.index) ?? null;
    const root = rootId === null ? null : byId.get(rootId) ?? null;
    let outcome: Outcome;
    if (d.role === 'other' || a.entry === 'os') outcome = 'not-a-boot';
    else if (root) outcome = 'failed';
    else outcome = a.loaded ? 'booted' : 'incomplete';
    return {
      index: a.index, entry: a.entry, outcome, stage: a.stage,
      rootCause: root?.code ?? null, rootCauseId: root?.id ?? null, pxeError: root?.pxeError ?? null,
      start: a.start, end: a.end, timeToBootProgram: a.timeToBootProgram, bootProgram: a.bootProgram,
      steps: d.steps.slice(a.firstStep, a.lastStep + 1).map((s) => s.step),
      ...(blind !== null && outcome === 'incomplete' ? { blindSpot: blind } : {}),
    };
  });
  const boots = attempts.filter((a) => a.outcome !== 'not-a-boot');
  const booted = boots.find((a) => a.outcome === 'booted');
  let outcome: Outcome = d.role === 'other' || boots.length === 0 ? 'not-a-boot' : booted ? 'booted' : lastOutcome(boots, byId);
  if (blind !== null) {
    // What the device did last cannot be judged: it may have booted after an earlier failure.
    if (outcome === 'failed' && boots[boots.length - 1]!.outcome === 'incomplete') outcome = 'incomplete';
    // A cut that took the identity of its requests hides where one boot attempt ends and the next
    // begins: a failure seen may be followed by a boot entry that worked. A cut that left them (a
    // few bytes off the end) does not: an explicit failure seen whole (a TFTP ERROR, a NAK) stands.
    // Unless no server ever answered it: every answer's chaddr survives the cut, so no entry of it
    // can have worked unseen.
    if (outcome === 'failed' && blind === 'capture.snaplen' && identityCut(d) && (d.exchange?.answers ?? 1) > 0) outcome = 'incomplete';
    // Nor can what kind of device it is, when its own DHCP is not (all) in the capture.
    if (outcome === 'not-a-boot' && roleUnknown(d)) outcome = 'incomplete';
  }
  return {
    mac: d.key, role: d.role, roleReason: d.roleReason, outcome,
    rootCause: booted ? null : deviceRootCause(boots, byId, outcome),
    arch: d.arch, archName: d.archName, vendorClass: d.vendorClass,
    steps: d.steps.map((s) => s.step),
    attempts,
    timeToBootProgram: booted?.timeToBootProgram ?? [...boots].reverse().find((a) => a.timeToBootProgram !== null)?.timeToBootProgram ?? null,
    booted: outcome === 'booted',
    ...(blind !== null && outcome === 'incomplete' ? { blindSpot: blind } : {}),
  };
}

/** The outcome of the last attempt, where an attempt the firmware fell through to after a failed
 *  one (its next boot entry, at once) counts as part of the failure it follows. */
function lastOutcome(boots: readonly AttemptReport[], byId: ReadonlyMap<string, Finding>): Outcome {
  let head = boots[0]!;
  for (let i = 1; i < boots.length; i++) {
    const a = boots[i]!;
    const prev = boots[i - 1]!;
    // A failure lowered to a warning (an entry nobody served) absorbs nothing.
    const real = head.outcome === 'failed' && byId.get(head.rootCauseId ?? '')?.severity === 'error';
    const fellThrough = real && a.entry !== prev.entry && a.start - prev.end <= REBOOT_GAP_S;
    if (!fellThrough) head = a;
  }
  return head.outcome;
}

/** The root cause of the first failed attempt that stands on its own (an error, linked to
 *  nothing), else of the first failed attempt. */
function deviceRootCause(boots: readonly AttemptReport[], byId: ReadonlyMap<string, Finding>, outcome: Outcome): FindingCode | null {
  const failed = boots.filter((a) => a.rootCauseId !== null);
  const main = failed.find((a) => {
    const f = byId.get(a.rootCauseId!);
    return f !== undefined && f.severity === 'error' && f.causedBy === null;
  });
  // An incomplete device whose only failures were entries nobody served has no root cause yet.
  if (!main && outcome === 'incomplete') return null;
  return (main ?? failed[0])?.rootCause ?? null;
}

export function summarize(clients: readonly ClientReport[], findings: readonly Finding[], first: number | null, last: number | null): AnalysisSummary {
  const acc = new SummaryAccumulator();
  acc.add(clients, findings);
  return acc.summary(first, last);
}

export { quantile } from './summary.js';
