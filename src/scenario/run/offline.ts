/**
 * `pxecheck analyze FILE --scenario SCENARIO`: hold a recorded boot (the flow engine's boot chains)
 * to a scenario's expectations and budgets, offline. Each scenario step is matched, in order, to
 * the next recorded step of its kind; what a capture summary does not keep (option values other
 * than the boot file, server id and lease; iPXE script errors) is not checked and said so.
 */
import type { Analysis, ClientReport } from '../../analysis/types.js';
import type {BootStep, Dhcp4Step, Dhcp6Step, HttpStep, RaStep, TftpStep } from '../../flow/types.js';
import { effectiveExpect, evaluate, type Observed } from '../expect.js';
import { expandClients } from '../driver.js';
import type { Dhcp6Expect, DhcpExpect, RaExpect, Scenario, Step, StepExpect } from '../schema/index.js';
import { macVariables, interpolateDeep } from '../vars.js';
import { dhcpVariables } from './dhcp-facts.js';
import { tftpUrl } from './urls.js';
import { dhcp6Observed, dhcp6StepMatches, dhcp6Variables, offlineDhcp6Expect, offlineRaExpect, raObserved } from './offline-v6.js';
import { seconds, type ClientResult, type ScenarioResult, type StepResult } from './result.js';
import { summarizeExpect } from './steps.js';

/** Option codes whose values the boot chain keeps (as fields), so their matchers can be checked. */
const KNOWN_OPTION_VALUES = new Set([51, 54, 67]);

export function checkRecordedBoot(scenario: Scenario, analysis: Analysis, server: string | undefined): ScenarioResult {
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
      : checkChain(e.client.steps, chain, baseVars(e.name, e.mac, e.client.persona, e.client.hostname, scenario.vars, server), note);
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

function checkChain(steps: readonly Step[], chain: ClientReport, vars: Map<string, string>, note: string | undefined): StepResult[] {
  let cursor = 0;
  const take = <T extends BootStep>(pred: (s: BootStep) => s is T): T | null => {
    for (let i = cursor; i < chain.steps.length; i++) {
      const s = chain.steps[i]!;
      if (pred(s)) {
        cursor = i + 1;
        return s;
      }
    }
    return null;
  };
  /** Real firmware runs several exchanges of a kind (EDK2: one DHCPv6 per IAID, HEAD before GET):
   *  the first one from the cursor that satisfies `judge`, else the first one at all. */
  const takeBest = <T extends BootStep>(pred: (s: BootStep) => s is T, judge: (s: T) => boolean): T | null => {
    let first = -1;
    for (let i = cursor; i < chain.steps.length; i++) {
      const s = chain.steps[i]!;
      if (!pred(s)) continue;
      if (first < 0) first = i;
      if (judge(s)) {
        cursor = i + 1;
        return s;
      }
    }
    if (first < 0) return null;
    cursor = first + 1;
    return chain.steps[first] as T;
  };
  /** Router advertisements are link-wide and come at any time (EDK2 solicits after its DHCPv6):
   *  the first one that satisfies, from the cursor, else from the start; the cursor stays. */
  const findRa = (judge: (s: RaStep) => boolean): RaStep | null => {
    const ras = chain.steps.filter((s): s is RaStep => s.kind === 'ra' && s.advert !== null);
    const after = ras.filter((s) => chain.steps.indexOf(s) >= cursor);
    return after.find(judge) ?? ras.find(judge) ?? after[0] ?? ras[0] ?? null;
  };
  const satisfies = (e: StepExpect | undefined, o: Observed | null, where: string): boolean => o !== null && evaluate(e, o, vars, where).ok;
  const out: StepResult[] = [];
  steps.forEach((raw, index) => {
    const where = `client ${chain.mac}, step ${index + 1}`;
    const name = raw.name ?? raw.kind;
    const budget = budgetOf(raw);
    if (raw.kind === 'become' || raw.kind === 'sleep') {
      if (raw.kind === 'become') vars.set('persona', raw.persona);
      out.push({ name, kind: raw.kind, ok: true, duration: 0, budget, error: null, details: { offline: true } });
      return;
    }
    const failures: string[] = [];
    const skippedChecks: string[] = [];
    let step: Step = raw;
    try {
      step = interpolateDeep(raw, vars, where);
    } catch (e) {
      failures.push((e as Error).message);
    }
    let expect = effectiveExpect(step);
    let observed: Observed | null = null;
    let recorded: BootStep | null = null;
    switch (step.kind) {
      case 'dhcp': case 'request': case 'renew': case 'rebind': case 'inform': case 'release': case 'decline': {
        const want = step.kind === 'release' ? 'RELEASE' : step.kind === 'decline' ? 'DECLINE' : step.kind === 'inform' ? 'INFORM' : step.kind === 'dhcp' ? 'DISCOVER' : 'REQUEST';
        const d = take((s): s is Dhcp4Step => s.kind === 'dhcp4' && s.messages.includes(want));
        recorded = d;
        if (d !== null) {
          observed = dhcpObserved(d);
          expect = offlineDhcpExpect(expect as DhcpExpect | undefined, skippedChecks);
        }
        break;
      }
      case 'proxydhcp': {
        const p = take((s): s is Extract<BootStep, { kind: 'proxydhcp' }> => s.kind === 'proxydhcp');
        recorded = p;
        if (p !== null) {
          const ack = p.messages.includes('ACK');
          observed = { messageType: ack ? 'ack' : null, ...(p.bootfile ? { bootfile: p.bootfile } : {}), ...(p.nextServer ? { nextServer: p.nextServer } : {}), ...(p.server ? { serverId: p.server } : {}) };
          expect = offlineDhcpExpect(expect as DhcpExpect | undefined, skippedChecks);
        }
        break;
      }
      case 'dhcp6': {
        const e6 = offlineDhcp6Expect(expect as Dhcp6Expect | undefined, skippedChecks);
        const d = takeBest((s): s is Dhcp6Step => s.kind === 'dhcp6' && dhcp6StepMatches(step, s), (s) => satisfies(e6, dhcp6Observed(s), where));
        recorded = d;
        if (d !== null) {
          observed = dhcp6Observed(d);
          expect = e6;
        }
        break;
      }
      case 'ra': {
        const er = offlineRaExpect(expect as RaExpect | undefined, skippedChecks);
        const r = findRa((s) => satisfies(er, raObserved(s), where));
        recorded = r;
        if (r !== null) {
          observed = raObserved(r);
          expect = er;
        }
        break;
      }
      case 'tftp': {
        // A DHCPv6 boot file is a URL: match the transfer by its path.
        const file = tftpUrl(step.file)?.file ?? step.file;
        const t = take((s): s is TftpStep => s.kind === 'tftp' && !s.probe && s.file === file) ??
          take((s): s is TftpStep => s.kind === 'tftp' && !s.probe);
        recorded = t;
        if (t !== null) {
          observed = { size: t.bytes, blksize: t.blksize, tftpError: t.error?.code ?? null, ...(t.tsize === null ? {} : { tsize: t.tsize }) };
          if (step.expect?.sha256 !== undefined) skippedChecks.push('sha256 (a capture summary keeps no hashes)');
          expect = { ...expect, sha256: undefined } as StepExpect;
          if (!t.complete && t.error === null) failures.push(`TFTP ${t.file}: the transfer did not complete in the capture`);
        }
        break;
      }
      case 'http': case 'ipxe-script': {
        const url = step.url;
        const wantStatus = (h: HttpStep): boolean => satisfies({ status: (step.expect?.status ?? ['2xx']) }, { ...(h.status === null ? {} : { status: h.status }) }, where) && (h.method !== 'HEAD');
        const h = takeBest((s): s is HttpStep => s.kind === 'http' && (s.url === url || url.endsWith(new URL(s.url, 'http://x').pathname)), wantStatus);
        recorded = h;
        if (h !== null) {
          observed = { ...(h.status === null ? {} : { status: h.status }), size: h.bytes };
          if (step.kind === 'ipxe-script') {
            const later = chain.steps.slice(cursor).filter((s): s is HttpStep => s.kind === 'http' && s.status !== null && s.status < 400);
            observed.fetchedUrls = [h.url, ...later.map((s) => s.url)];
            observed.booted = chain.booted;
            if (step.expect?.errors !== undefined) skippedChecks.push('errors (script errors are not in a capture)');
            expect = { ...expect, errors: undefined } as StepExpect;
          }
          for (const k of ['sha256', 'body', 'headers'] as const) {
            if (step.expect !== undefined && k in step.expect && (step.expect as Record<string, unknown>)[k] !== undefined) skippedChecks.push(`${k} (not kept by the capture summary)`);
          }
          expect = { ...expect, sha256: undefined, body: undefined, headers: undefined } as StepExpect;
        }
        break;
      }
    }
    const duration = recorded === null ? 0 : Math.round(recorded.duration * 1e6) / 1e3;
    if (recorded === null || observed === null) failures.push(`no recorded ${step.kind} step matches (after the previous matched step)`);
    else {
      // Without --server, the first DHCP server that answered stands in for ${server}.
      if (!vars.has('server') && observed.serverId !== undefined) vars.set('server', observed.serverId);
      failures.push(...evaluate(expect, observed, vars, where).failures);
      if (observed.messageType === 'ack') for (const [k, v] of Object.entries(dhcpVariables(observed))) vars.set(k, v);
      if (step.kind === 'dhcp6' && observed.messageType === 'reply') for (const [k, v] of Object.entries(dhcp6Variables(observed))) vars.set(k, v);
    }
    if (budget !== null && duration > budget) failures.unshift(`${name} took ${seconds(duration)}, budget ${seconds(budget)}`);
    out.push({
      name, kind: step.kind, ok: failures.length === 0, duration, budget, error: failures.length === 0 ? null : failures.join('\n'),
      details: {
        expect: summarizeExpect(effectiveExpect(raw)), offline: true,
        ...(recorded === null ? {} : { frames: recorded.frames }), ...(skippedChecks.length ? { notChecked: skippedChecks } : {}),
        ...(note !== undefined && index === 0 ? { note } : {}),
      },
    });
  });
  return out;
}

function dhcpObserved(d: Dhcp4Step): Observed {
  const last = [...d.messages].reverse().find((m) => m === 'ACK' || m === 'NAK' || m === 'OFFER');
  const options = new Map<number, string | number>();
  for (const code of d.ackOptions) options.set(code, '(in capture)');
  if (d.bootfile !== null) options.set(67, d.bootfile);
  if (d.server !== null) options.set(54, d.server);
  if (d.leaseTime !== null) options.set(51, d.leaseTime);
  return {
    messageType: last === undefined ? null : last.toLowerCase(),
    ...(d.yiaddr === null ? {} : { yiaddr: d.yiaddr }),
    ...(d.nextServer === null ? {} : { nextServer: d.nextServer }),
    ...(d.server === null ? {} : { serverId: d.server }),
    ...(d.bootfile === null ? {} : { bootfile: d.bootfile }),
    ...(d.leaseTime === null ? {} : { leaseTime: d.leaseTime }),
    offers: d.offers.length,
    options,
  };
}

/** Option matchers a capture summary cannot answer (values of options it does not keep) become presence checks. */
function offlineDhcpExpect(e: DhcpExpect | undefined, skipped: string[]): StepExpect | undefined {
  if (e === undefined) return e;
  const siaddr = e.siaddr;
  if (siaddr !== undefined) skipped.push('siaddr (use next-server offline)');
  if (e.options === undefined) return { ...e, siaddr: undefined };
  const options: NonNullable<DhcpExpect['options']> = {};
  for (const [k, m] of Object.entries(e.options)) {
    const code = Number(k);
    if (KNOWN_OPTION_VALUES.has(code) || (m.equals === undefined && m.notEquals === undefined && m.matches === undefined && m.inSubnet === undefined)) {
      options[code] = m;
    } else {
      skipped.push(`option ${code} value (only its presence is in the capture summary)`);
      options[code] = { present: true };
    }
  }
  return { ...e, siaddr: undefined, options };
}
