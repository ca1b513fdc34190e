/**
 * Finding rules: run once over the finished chains (the builder's per-step facts), each rule
 * naming a catalogue code. Also decides `timeToBootProgram` / `booted` per chain and the summary.
 */
import type { WireIssue } from '../wire/issues.js';
import type { ChainState } from '../flow/state.js';
import type { AnalysisSummary, AnalysisThresholds, BootChain, Finding, RouterInfo } from '../flow/types.js';
import { baseName, looksLikeBootProgram } from '../flow/classify.js';
import { add, fmt, unanswered, type ChainOnce, type Ctx } from './rules-context.js';
import { dhcp4Rules, proxyDhcpRules } from './rules-dhcp.js';
import { dhcp6Rules, ipv6StallRule, routerRules } from './rules-v6.js';
import { tftpRules, unreachableRule, type UnreachableFact } from './rules-transfer.js';
import { captureFindings } from './capture.js';

export type { UnreachableFact } from './rules-transfer.js';

export interface CaptureInfo {
  first: number | null;
  last: number | null;
  truncated: boolean;
  captureWarnings: WireIssue[];
  strayMalformed: { frames: number[]; count: number; time: number; what: string[] } | null;
  /** Chain key → ICMP unreachables answering that client's datagrams. */
  unreachable?: ReadonlyMap<string, readonly UnreachableFact[]>;
  /** Routers seen advertising (for the ra.* rules). */
  routers?: readonly RouterInfo[];
}

export function evaluateFindings(chains: ChainState[], cap: CaptureInfo, th: AnalysisThresholds): Finding[] {
  const icmpFrames = new Set<number>();
  for (const facts of cap.unreachable?.values() ?? []) for (const u of facts) icmpFrames.add(u.icmpFrame);
  const ctx: Ctx = { out: [], end: cap.last ?? 0, th, icmpFrames };
  ctx.out.push(...captureFindings({ truncated: cap.truncated, warnings: cap.captureWarnings, last: cap.last }));
  if (cap.strayMalformed) {
    const m = cap.strayMalformed;
    add(ctx, 'decode.malformed', null, m.time, m.frames, `${m.count} frame(s) could not be fully decoded: ${m.what.join('; ')}`);
  }
  for (const c of chains) {
    const start = ctx.out.length;
    unreachableRule(ctx, c.key, cap.unreachable?.get(c.key));
    chainRules(ctx, c);
    ipv6StallRule(ctx, c);
    const errors = ctx.out.slice(start).some((f) => f.severity === 'error');
    bootTiming(c, errors);
  }
  routerRules(ctx, chains, cap.routers ?? []);
  ctx.out.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return ctx.out;
}

function chainRules(ctx: Ctx, c: ChainState): void {
  const mac = c.key;
  if (c.malformed) {
    add(ctx, 'decode.malformed', mac, c.malformedTime, c.malformed.toArray(),
      `${c.malformed.count} frame(s) of this client could not be fully decoded: ${[...(c.malformedWhat ?? [])].join('; ')}`);
  }
  const fetches = new Map<string, { count: number; frames: number[]; time: number }>();
  const ignoredOptions = new Set<string>();
  const once: ChainOnce = { multipleServers: false, offerIgnored: false, loop: false };
  const states = c.states;
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    switch (s.kind) {
      case 'dhcp4':
        dhcp4Rules(ctx, mac, s, states, i, once);
        break;
      case 'proxydhcp':
        proxyDhcpRules(ctx, mac, s, states, i);
        break;
      case 'dhcp6':
        dhcp6Rules(ctx, mac, s, states, i, once);
        break;
      case 'ra':
        break;
      case 'tftp':
        tftpRules(ctx, mac, s, ignoredOptions, states, i);
        if (!s.step.probe && s.serverAnswered) countFetch(fetches, s.step.file, s.requestFrame, s.step.start);
        break;
      case 'http':
        if (s.step.status !== null && s.step.status >= 400) {
          add(ctx, 'http.error', mac, s.responseTime ?? s.step.start, [s.requestFrame, s.responseFrame],
            `${s.step.method} ${s.step.url} → HTTP ${s.step.status}.`);
        } else if (!s.responded && unanswered(ctx, { time: s.step.start })) {
          add(ctx, 'http.error', mac, s.step.start, [s.requestFrame],
            `${s.step.method} ${s.step.url} got no response in ${fmt(ctx.end - s.step.start)} s.`);
        }
        if (s.responded) countFetch(fetches, s.step.url, s.requestFrame, s.step.start);
        break;
    }
  }
  for (const [file, f] of fetches) {
    if (once.loop || f.count < ctx.th.loopCount || !looksLikeBootProgram(file)) continue;
    once.loop = true;
    add(ctx, 'ipxe.chainload-loop', mac, f.time, f.frames,
      `The boot program "${file}" was fetched ${f.count} times (loop threshold ${ctx.th.loopCount}).`);
  }
}

function countFetch(m: Map<string, { count: number; frames: number[]; time: number }>, file: string, frame: number, time: number): void {
  // Keyed by the path or URL as fetched: a chainload loop fetches the very same one again.
  const f = m.get(file);
  if (f) {
    f.count++;
    if (f.frames.length < 16) f.frames.push(frame);
  } else m.set(file, { count: 1, frames: [frame], time });
}

/** The chain's boot-program fetches: TFTP/HTTP transfers of a file a DHCP step named, or that look
 *  like a loader/kernel. Sets `timeToBootProgram` (first packet → start of the last one) and `booted`. */
function bootTiming(c: ChainState, hasError: boolean): void {
  const named = new Set<string>();
  for (const s of c.states) {
    const f = s.kind === 'dhcp4' || s.kind === 'proxydhcp' ? s.step.bootfile : s.kind === 'dhcp6' ? s.step.bootfileUrl : null;
    if (f) named.add(baseName(f));
  }
  let lastFetch: number | null = null;
  let completed = false;
  for (const s of c.states) {
    let file: string | null = null;
    let done = false;
    if (s.kind === 'tftp' && !s.step.probe) { file = s.step.file; done = s.step.complete && !s.step.error; }
    else if (s.kind === 'http') { file = s.step.url; done = s.step.ok; }
    if (file === null) continue;
    if (!named.has(baseName(file)) && !looksLikeBootProgram(file)) continue;
    lastFetch = s.step.start;
    if (done) completed = true;
  }
  c.chain.timeToBootProgram = lastFetch === null ? null : lastFetch - c.first;
  c.chain.booted = completed && !hasError;
}

export function summarize(clients: BootChain[], findings: Finding[], first: number | null, last: number | null): AnalysisSummary {
  const failedClients = new Set<string>();
  let errors = 0, warnings = 0, infos = 0;
  for (const f of findings) {
    if (f.severity === 'error') { errors++; if (f.client) failedClients.add(f.client); }
    else if (f.severity === 'warning') warnings++;
    else infos++;
  }
  const times = clients.map((c) => c.timeToBootProgram).filter((t): t is number => t !== null).sort((a, b) => a - b);
  return {
    clients: clients.length,
    booted: clients.filter((c) => c.booted).length,
    failed: failedClients.size,
    errors, warnings, infos,
    medianTimeToBootProgram: quantile(times, 0.5),
    p95TimeToBootProgram: quantile(times, 0.95),
    firstPacket: first,
    lastPacket: last,
  };
}

/** Nearest-rank quantile of sorted values (null when empty). */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  if (q === 0.5 && sorted.length % 2 === 0) return (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}
