/**
 * `pxecheck analyze FILE --scenario SCENARIO`: hold a recorded boot (the flow engine's boot chains)
 * to a scenario's expectations and budgets, offline. Each scenario step is matched, in order, to
 * the next recorded step of its kind. DHCPv4 replies are observed from the capture's decoded
 * messages by the live runner's own functions (dhcp-facts.ts), so option values are checked as in
 * `run`, and a DHCPv6 step's `options:` from its decoded reply (those messages come from the one
 * analysis read, whatever the input: a file, a pipe or merged files); what a capture cannot show
 * (hashes, HTTP bodies and headers, iPXE script errors) is not checked and said so.
 */
import type { Analysis } from '../../analysis/types.js';
import type { BootStep, Dhcp4Step, Dhcp6Step, HttpStep, ProxyDhcpStep, TftpStep } from '../../flow/types.js';
import { effectiveExpect, evaluate, type Observed } from '../expect.js';
import { expandClients } from '../driver.js';
import type { Dhcp6Expect, RaExpect, Scenario, Step, StepExpect } from '../schema/index.js';
import { macVariables, interpolateDeep } from '../vars.js';
import type { CapturedDhcp } from './captured-dhcp.js';
import { Recording } from './recording.js';
import { learnDhcpVariables, observeReplies, observeReply, repliesInCapture } from './dhcp-facts.js';
import { optionMap6, replyInCapture } from './dhcp6-facts.js';
import { tftpUrl } from './urls.js';
import { dhcp6Observed, dhcp6StepMatches, dhcp6Variables, offlineRaExpect, raObserved } from './offline-v6.js';
import { seconds, type ClientResult, type ScenarioResult, type StepResult } from './result.js';
import { summarizeExpect } from './steps.js';

/** Frames of the recorded DHCP exchanges: the messages `DhcpCollector.captured` must decode. */
export function dhcpFrames(analysis: Analysis): Set<number> {
  const out = new Set<number>();
  for (const c of analysis.clients) {
    for (const s of c.steps) if (s.kind === 'dhcp4' || s.kind === 'proxydhcp' || s.kind === 'dhcp6') for (const f of s.frames) out.add(f);
  }
  return out;
}

/** `captured`: the DHCP messages of `dhcpFrames(analysis)`. */
export function checkRecordedBoot(scenario: Scenario, analysis: Analysis, captured: CapturedDhcp, server: string | undefined): ScenarioResult {
  const expanded = expandClients(scenario);
  const clients: ClientResult[] = expanded.map((e) => {
    let chain = analysis.clients.find((c) => c.mac.toLowerCase() === e.mac);
    let note: string | undefined;
    if (chain === undefined && expanded.length === 1 && analysis.clients.length === 1) {
      chain = analysis.clients[0]!;
      note = `scenario MAC ${e.mac} not in the capture; checked its only client ${chain.mac}`;
    }
    const steps = chain === undefined
      ? e.client.steps.map((s): StepResult => ({
        name: s.name ?? s.kind, kind: s.kind, ok: false, duration: 0, budget: budgetOf(s),
        error: `client ${e.mac} does not appear in ${analysis.file} (clients seen: ${analysis.clients.map((c) => c.mac).join(', ') || 'none'})`, details: {},
      }))
      : checkChain(e.client.steps, new Recording(chain, captured), baseVars(e.name, e.mac, e.client.persona, e.client.hostname, scenario.vars, server), note);
    return { name: e.name, persona: e.client.persona, mac: chain?.mac ?? e.mac, ok: steps.every((s) => s.ok), steps };
  });
  const first = analysis.summary.firstPacket;
  const last = analysis.summary.lastPacket;
  const duration = first === null || last === null ? 0 : (last - first) * 1000;
  const res: ScenarioResult = { name: scenario.name, file: scenario.file, ok: clients.every((c) => c.ok), duration: Math.round(duration * 1000) / 1000, clients };
  if (duration > scenario.budgetMs) {
    res.ok = false;
    res.interrupted = `the recorded boot took ${seconds(duration)}, the scenario budget is ${seconds(scenario.budgetMs)}`;
  }
  return res;
}

function budgetOf(s: Step): number | null {
  return s.kind !== 'sleep' && s.within !== undefined ? s.within : null;
}

function baseVars(name: string, mac: string, persona: string, hostname: string | undefined, vars: Record<string, string>, server: string | undefined): Map<string, string> {
  const m = new Map(Object.entries(vars));
  if (server !== undefined) m.set('server', server);
  m.set('client', name);
  m.set('persona', persona);
  for (const [k, v] of Object.entries(macVariables(mac))) m.set(k, v);
  m.set('hostname', hostname ?? name);
  return m;
}

/** What matching one scenario step found: the recorded step, what it shows, what it is held to. */
interface Match {
  recorded: BootStep | null;
  observed: Observed | null;
  expect: StepExpect | undefined;
}

interface MatchContext {
  rec: Recording;
  vars: Map<string, string>;
  where: string;
  /** Checks a capture cannot answer, said in the result. */
  skipped: string[];
  failures: string[];
}

function checkChain(steps: readonly Step[], rec: Recording, vars: Map<string, string>, note: string | undefined): StepResult[] {
  return steps.map((raw, index) => {
    const name = raw.name ?? raw.kind;
    const budget = budgetOf(raw);
    if (raw.kind === 'become' || raw.kind === 'sleep') {
      if (raw.kind === 'become') vars.set('persona', raw.persona);
      return { name, kind: raw.kind, ok: true, duration: 0, budget, error: null, details: { offline: true } };
    }
    const c: MatchContext = { rec, vars, where: `client ${rec.chain.mac}, step ${index + 1}`, skipped: [], failures: [] };
    let step: Step = raw;
    try {
      step = interpolateDeep(raw, vars, c.where);
    } catch (e) {
      c.failures.push((e as Error).message);
    }
    const { recorded, observed, expect } = matchStep(step, c);
    const duration = recorded === null ? 0 : Math.round(recorded.duration * 1e6) / 1e3;
    if (recorded === null || observed === null) c.failures.push(`no recorded ${step.kind} step matches (after the previous matched step)`);
    else learn(step, observed, expect, c);
    if (budget !== null && duration > budget) c.failures.unshift(`${name} took ${seconds(duration)}, budget ${seconds(budget)}`);
    return {
      name, kind: step.kind, ok: c.failures.length === 0, duration, budget, error: c.failures.length === 0 ? null : c.failures.join('\n'),
      details: {
        expect: summarizeExpect(effectiveExpect(raw)), offline: true,
        ...(recorded === null ? {} : { frames: recorded.frames }), ...(c.skipped.length ? { notChecked: c.skipped } : {}),
        ...(note !== undefined && index === 0 ? { note } : {}),
      },
    };
  });
}

/** Evaluate a matched step, then take its variables as the live runner would. */
function learn(step: Step, observed: Observed, expect: StepExpect | undefined, c: MatchContext): void {
  // Without --server, the first DHCP server that answered stands in for ${server}.
  if (!c.vars.has('server') && observed.serverId !== undefined) c.vars.set('server', observed.serverId);
  c.failures.push(...evaluate(expect, observed, c.vars, c.where).failures);
  if (observed.messageType === 'ack') learnDhcpVariables(c.vars, observed);
  if (step.kind === 'dhcp6' && observed.messageType === 'reply') for (const [k, v] of Object.entries(dhcp6Variables(observed))) c.vars.set(k, v);
}

function matchStep(step: Step, c: MatchContext): Match {
  switch (step.kind) {
    case 'dhcp': case 'request': case 'renew': case 'rebind': case 'inform': case 'release': case 'decline':
      return matchDhcp(step, c);
    case 'proxydhcp': return matchProxyDhcp(step, c);
    case 'dhcp6': return matchDhcp6(step, c);
    case 'ra': return matchRa(step, c);
    case 'tftp': return matchTftp(step, c);
    case 'http': case 'ipxe-script': return matchHttp(step, c);
    default: return { recorded: null, observed: null, expect: undefined };
  }
}

/** The client message that starts each DHCPv4 step kind. */
const FIRST_MESSAGE: Record<string, string> = { dhcp: 'DISCOVER', release: 'RELEASE', decline: 'DECLINE', inform: 'INFORM' };

function matchDhcp(step: Step, c: MatchContext): Match {
  const want = FIRST_MESSAGE[step.kind] ?? 'REQUEST';
  const d = c.rec.take((s): s is Dhcp4Step => s.kind === 'dhcp4' && s.messages.includes(want));
  if (d === null) return { recorded: null, observed: null, expect: undefined };
  const prefer = step.kind === 'dhcp' ? step.prefer : undefined;
  // Offers counted as the boot chain counts them (one per server and address, retransmissions not again).
  const observed = observeReplies(repliesInCapture(c.rec.messages(d.frames)), d.offers.length, prefer);
  return { recorded: d, observed, expect: effectiveExpect(step) };
}

function matchProxyDhcp(step: Step, c: MatchContext): Match {
  const p = c.rec.take((s): s is ProxyDhcpStep => s.kind === 'proxydhcp');
  if (p === null) return { recorded: null, observed: null, expect: undefined };
  const r = repliesInCapture(c.rec.messages(p.frames));
  const observed: Observed = r.ack !== null ? { ...observeReply(r.ack), messageType: 'ack' } : { messageType: r.nak !== null ? 'nak' : null };
  return { recorded: p, observed, expect: effectiveExpect(step) };
}

function satisfies(e: StepExpect | undefined, o: Observed | null, c: MatchContext): boolean {
  return o !== null && evaluate(e, o, c.vars, c.where).ok;
}

function matchDhcp6(step: Extract<Step, { kind: 'dhcp6' }>, c: MatchContext): Match {
  const e6 = effectiveExpect(step) as Dhcp6Expect | undefined;
  /** The exchange as the boot chain summarises it, with every option of its decoded reply. */
  const observe = (s: Dhcp6Step): Observed => {
    const reply = replyInCapture(c.rec.messages6(s.frames));
    return reply === null ? dhcp6Observed(s) : { ...dhcp6Observed(s), options: optionMap6(reply) };
  };
  const d = c.rec.takeBest((s): s is Dhcp6Step => s.kind === 'dhcp6' && dhcp6StepMatches(step, s), (s) => satisfies(e6, observe(s), c));
  return { recorded: d, observed: d === null ? null : observe(d), expect: e6 };
}

function matchRa(step: Step, c: MatchContext): Match {
  const er = offlineRaExpect(effectiveExpect(step) as RaExpect | undefined, c.skipped);
  const r = c.rec.findRa((s) => satisfies(er, raObserved(s), c));
  return { recorded: r, observed: r === null ? null : raObserved(r), expect: er };
}

function matchTftp(step: Extract<Step, { kind: 'tftp' }>, c: MatchContext): Match {
  // A DHCPv6 boot file is a URL: match the transfer by its path.
  const file = tftpUrl(step.file)?.file ?? step.file;
  const t = c.rec.take((s): s is TftpStep => s.kind === 'tftp' && !s.probe && s.file === file) ??
    c.rec.take((s): s is TftpStep => s.kind === 'tftp' && !s.probe);
  if (t === null) return { recorded: null, observed: null, expect: undefined };
  if (step.expect?.sha256 !== undefined) c.skipped.push('sha256 (a capture summary keeps no hashes)');
  if (!t.complete && t.error === null) c.failures.push(`TFTP ${t.file}: the transfer did not complete in the capture`);
  const observed: Observed = { size: t.bytes, blksize: t.blksize, tftpError: t.error?.code ?? null, ...(t.tsize === null ? {} : { tsize: t.tsize }) };
  return { recorded: t, observed, expect: { ...effectiveExpect(step), sha256: undefined } as StepExpect };
}

function matchHttp(step: Extract<Step, { kind: 'http' | 'ipxe-script' }>, c: MatchContext): Match {
  const url = step.url;
  const wantStatus = (h: HttpStep): boolean => satisfies({ status: (step.expect?.status ?? ['2xx']) }, { ...(h.status === null ? {} : { status: h.status }) }, c) && (h.method !== 'HEAD');
  const h = c.rec.takeBest((s): s is HttpStep => s.kind === 'http' && (s.url === url || url.endsWith(new URL(s.url, 'http://x').pathname)), wantStatus);
  if (h === null) return { recorded: null, observed: null, expect: undefined };
  const observed: Observed = { ...(h.status === null ? {} : { status: h.status }), size: h.bytes };
  let expect = effectiveExpect(step);
  if (step.kind === 'ipxe-script') {
    const later = c.rec.rest().filter((s): s is HttpStep => s.kind === 'http' && s.status !== null && s.status < 400);
    observed.fetchedUrls = [h.url, ...later.map((s) => s.url)];
    observed.booted = c.rec.chain.booted;
    if (step.expect?.errors !== undefined) c.skipped.push('errors (script errors are not in a capture)');
    expect = { ...expect, errors: undefined } as StepExpect;
  }
  for (const k of ['sha256', 'body', 'headers'] as const) {
    if (step.expect !== undefined && k in step.expect && (step.expect as Record<string, unknown>)[k] !== undefined) c.skipped.push(`${k} (not kept by the capture summary)`);
  }
  return { recorded: h, observed, expect: { ...expect, sha256: undefined, body: undefined, headers: undefined } as StepExpect };
}
