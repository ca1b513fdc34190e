/**
 * The findings layer: a pure function of the flow facts. Rules run per boot attempt (so a device
 * that boots twice is judged twice, never one loop), then per link and capture-wide; each names a
 * catalogue code. `linkCauses` then picks each failed attempt's root cause and links the findings
 * it caused.
 */
import { forgetRecentSteps, laterLoadedSameOrLaterStage } from './step-index.js';
import { collapseAlike } from './collapse.js';
import type { DeviceFacts, FlowFacts, StepFacts } from '../flow/facts.js';
import { CUT_MARK } from '../wire/tftp.js';
import { capturedName, knownName, looksLikeBootProgram } from '../flow/classify.js';
import { add, attemptAt, firmwareOf, fmt, unanswered, type ChainOnce, type Ctx } from './rules-context.js';
import { captureFindings } from './capture.js';
import { blindSpot, dropHidden, hidesHttpResponse, oneSidedFinding, type BlindSpot } from './blind.js';
import { declineRule, dhcp4Rules, proxyDhcpRules } from './rules-dhcp.js';
import { dhcp6Rules, ipv6StallRule, routerRules } from './rules-v6.js';
import { tftpRules, unreachableRule } from './rules-transfer.js';
import { mtuRules } from './rules-mtu.js';
import { arpRule } from './rules-arp.js';
import { adjustForRole } from './roles.js';
import { linkCauses, type RootCauses } from './causes.js';
import type { AnalysisThresholds, Finding } from './types.js';

export interface FindingsResult {
  /** In time order, each with its id and root-cause link. */
  findings: Finding[];
  /** Device key → attempt index → id of the root cause of that failed attempt. */
  rootCauses: RootCauses;
  /** Device key → the blind spot of the capture that keeps its boot from being judged. */
  blindSpots: Map<string, BlindSpot>;
}

/** How a run fits in a longer analysis: a capture analyzed in parts (devices released as they
 *  finish) numbers its findings on from the previous part, and raises the capture-wide ones and
 *  the routers' own once, with the last part. */
export interface FindingsPart {
  /** Findings already numbered (ids go on from `F${idBase + 1}`). */
  idBase: number;
  /** The last part: capture-wide findings and router conflicts are raised. */
  last: boolean;
}

export function evaluateFindings(facts: FlowFacts, th: AnalysisThresholds, part: FindingsPart = { idBase: 0, last: true }): FindingsResult {
  const ctx: Ctx = { out: [], end: facts.capture.last ?? 0, th, device: null, attempt: null, firmware: null };
  if (part.last) captureFindings(ctx, facts.capture);
  const blindSpots = new Map<string, BlindSpot>();
  for (const d of facts.devices) {
    const start = ctx.out.length;
    ctx.device = d;
    deviceRules(ctx, d);
    const blind = blindSpot(d);
    if (blind !== null) {
      blindSpots.set(d.key, blind);
      dropHidden(d, ctx.out, start, facts.capture.cut);
    }
    adjustForRole(d, ctx.out, start);
  }
  ctx.device = null;
  ctx.attempt = null;
  ctx.firmware = null;
  oneSidedFinding(ctx, facts.devices);
  const raByLink = routerRules(ctx, facts.devices, facts.routers, part.last, facts.capture.cut?.snap ?? null);
  ctx.out.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  ctx.out.forEach((f, i) => { f.id = `F${part.idBase + i + 1}`; });
  const rootCauses = linkCauses(facts, ctx.out, th, raByLink, part.idBase, blindSpots);
  forgetRecentSteps();
  return { findings: collapseAlike(ctx.out, rootCauses, part.idBase), rootCauses, blindSpots };
}

function deviceRules(ctx: Ctx, d: DeviceFacts): void {
  for (const a of d.attempts) {
    ctx.attempt = a;
    ctx.firmware = firmwareOf(d, a);
    const steps = d.steps.slice(a.firstStep, a.lastStep + 1);
    attemptRules(ctx, d.key, steps);
    ipv6StallRule(ctx, d, a, steps);
  }
  // Device-wide facts, placed in the attempt of their time.
  if (d.malformed) {
    ctx.attempt = attemptAt(d, d.malformed.time);
    add(ctx, 'decode.malformed', d.key, d.malformed.time, d.malformed.frames,
      `${d.malformed.count} frame(s) of this client could not be fully decoded: ${d.malformed.what.join('; ')}`);
  }
  const firstDecline = d.steps.find((s) => s.kind === 'dhcp4' && s.decline !== null);
  if (firstDecline) {
    ctx.attempt = attemptAt(d, firstDecline.step.start);
    declineRule(ctx, d.key, d.steps);
  }
  unreachableRule(ctx, d);
  arpRule(ctx, d);
  mtuRules(ctx, d);
}

function attemptRules(ctx: Ctx, mac: string, steps: readonly StepFacts[]): void {
  const fetches = new Map<string, { count: number; frames: number[]; time: number; file: string }>();
  const ignoredOptions = new Set<string>();
  const once: ChainOnce = { multipleServers: false, offerIgnored: false, loop: false, proxyPort: false, proxyPortIpxe: false };
  const named: string[] = [];
  for (const s of steps) if ((s.kind === 'dhcp4' || s.kind === 'proxydhcp') && s.step.bootfile) named.push(s.step.bootfile);
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    switch (s.kind) {
      case 'dhcp4':
        dhcp4Rules(ctx, mac, s, steps, i, once);
        break;
      case 'proxydhcp':
        proxyDhcpRules(ctx, mac, s, steps, i, once);
        break;
      case 'dhcp6':
        dhcp6Rules(ctx, mac, s, steps, i, once);
        break;
      case 'ra':
        break;
      case 'tftp':
        tftpRules(ctx, mac, s, ignoredOptions, steps, i);
        // A cut name counts as the file DHCP named that it is the start of; else as itself, cut
        // (requests cut alike at one place: the same file as far as seen), a boot program only
        // when what was captured already reads as one ("undionly.kpxe" whose NUL the cut took).
        if (!s.step.probe && s.serverAnswered && s.step.direction === 'download') {
          const cut = s.step.cut === 'file';
          countFetch(fetches, (cut ? knownName(s.step.file, true, named) : null) ?? s.step.file, `${s.step.server}|${s.step.tsize ?? (s.step.complete ? s.step.bytes : '?')}`, s.requestFrame, s.step.start);
        }
        break;
      case 'http':
        if (s.step.status !== null && s.step.status >= 400) {
          // Lowered, as a TFTP error is, by a later file of the chain that loaded, of this URL or
          // of the same or a later stage: a fetch answered 2xx whose end the snap length cut counts
          // here when the client went on after it, never as proof of boot (progress.ts).
          add(ctx, 'http.error', mac, s.responseTime ?? s.step.start, [s.requestFrame, s.responseFrame],
            `${s.step.method} ${s.step.url} → HTTP ${s.step.status}.`, undefined, laterLoadedSameOrLaterStage(steps, i, s.step.url) ? 'warning' : undefined);
        } else if (!s.responded && unanswered(ctx, { time: s.step.start }) && !hidesHttpResponse(ctx.device!)) {
          add(ctx, 'http.error', mac, s.step.start, [s.requestFrame],
            `${s.step.method} ${s.step.url} got no response in ${fmt(ctx.end - s.step.start)} s.`);
        }
        if (s.responded && s.step.method !== 'HEAD') countFetch(fetches, s.step.url, `${s.step.server}|${s.step.complete ? s.step.bytes : '?'}`, s.requestFrame, s.step.start);
        break;
    }
  }
  for (const f of fetches.values()) {
    if (once.loop || f.count < ctx.th.loopCount || !looksLikeBootProgram(capturedName(f.file, f.file.endsWith(CUT_MARK)))) continue;
    once.loop = true;
    add(ctx, 'ipxe.chainload-loop', mac, f.time, f.frames,
      `The boot program "${f.file}" (same server, same size) was fetched ${f.count} times in one boot attempt (loop threshold ${ctx.th.loopCount}).`);
  }
}

/** Fetches of the same program: same path or URL, same server and size (a second "ipxe.pxe" of
 *  another size is another program, not a loop). */
function countFetch(m: Map<string, { count: number; frames: number[]; time: number; file: string }>, file: string, where: string, frame: number, time: number): void {
  const key = `${file}|${where}`;
  const f = m.get(key);
  if (f) {
    f.count++;
    if (f.frames.length < 16) f.frames.push(frame);
  } else m.set(key, { count: 1, frames: [frame], time, file });
}
