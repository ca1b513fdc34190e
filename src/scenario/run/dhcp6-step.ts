/** The `dhcp6` step: one DHCPv6 exchange (SARR, Rapid Commit, renew…), observed and learned. */
import { vendorClass } from '../../wire/dhcpv6/index.js';
import { Dhcp6Client, type Dhcp6Operation, type Dhcp6Result } from '../clients/dhcp6.js';
import type { Observed } from '../expect.js';
import type { Persona6 } from '../personas-v6.js';
import type { Step } from '../schema/index.js';
import { logLines, sentAgain } from './dhcp-step.js';
import { optionMap6 } from './dhcp6-facts.js';
import { urlHost } from './urls.js';
import { drive, StepFailure, type ClientState, type Lease6, type Outcome, type StepContext } from './loop.js';

type Dhcp6StepSpec = Extract<Step, { kind: 'dhcp6' }>;

function needLease6(st: ClientState, what: string): Lease6 {
  if (st.lease6 === null) throw new StepFailure(`DHCPv6 ${what} needs an address: run a dhcp6 step (operation sarr) first`);
  return st.lease6;
}

function needServerDuid(l: Lease6, what: string): Uint8Array {
  if (l.serverDuid === null) throw new StepFailure(`DHCPv6 ${what} needs the server's DUID, and the last Reply had none`);
  return l.serverDuid;
}

function operation(step: Dhcp6StepSpec, st: ClientState): Dhcp6Operation {
  const kind = step.operation ?? 'sarr';
  switch (kind) {
    case 'sarr':
      return { kind, rapidCommit: step['rapid-commit'] ?? false };
    case 'confirm':
    case 'rebind':
      return { kind, address: needLease6(st, kind).addr };
    case 'renew':
    case 'release': {
      const l = needLease6(st, kind);
      return { kind, address: l.addr, serverDuid: needServerDuid(l, kind) };
    }
    case 'information-request':
      return { kind };
  }
}

export async function dhcp6Step(step: Dhcp6StepSpec, st: ClientState, ctx: StepContext, hard: number): Promise<Outcome> {
  const op = operation(step, st);
  // Relay mode: the relay transport wraps what the client sends in RELAY-FORW (as it sets giaddr on IPv4).
  const solicitDelay = step.kind === 'dhcp6' && step['solicit-delay'] !== undefined ? step['solicit-delay'] / 1000 : undefined;
  const m = new Dhcp6Client({ mac: st.mac, persona: st.persona as Persona6, random: ctx.random, ...(solicitDelay === undefined ? {} : { solicitDelay }) }, op);
  const r = await drive(m, st, ctx, hard);
  if (r === null) {
    return { observed: { messageType: null, advertises: 0 }, facts: { operation: op.kind }, problems: [], unfinished: `DHCPv6 ${op.kind}: no Reply by the deadline` };
  }
  const observed = observeDhcp6(r);
  if (r.reply !== null && r.address !== null && op.kind !== 'release') learn(st, ctx, r, observed);
  if (r.bootfileUrl !== null || (op.kind === 'sarr' && r.reply !== null)) learnBoot(st, r.bootfileUrl);
  if (op.kind === 'release') {
    st.lease6 = null;
    ctx.transport.setClientAddress6?.(st.mac, null);
  }
  const problems: string[] = [];
  // A failing status is the server's answer, to be asserted when the scenario expects it.
  if (r.error !== null && (r.status === null || step.expect?.status === undefined)) problems.push(r.error);
  const wantsUrl = step.expect?.['bootfile-url'];
  if (wantsUrl !== undefined && wantsUrl.absent !== true && wantsUrl.present !== false && r.reply !== null && r.bootfileUrl === null) {
    problems.push('the Reply carries no boot file URL (DHCPv6 option 59)');
  }
  const t = r.timings;
  // The advertise window and the SOL_MAX_DELAY wait are the client's own time, not the server's.
  const clientWait = (t.firstAdvertise !== undefined && t.request !== undefined ? Math.max(0, t.request - t.firstAdvertise) : 0) + m.solicitDelayed;
  const facts = {
    operation: op.kind, xid: r.xid, server: r.serverAddr, rapidCommit: r.rapidCommit, log: logLines(r.messages),
  };
  return { observed, facts, problems, clientWait, retransmits: sentAgain(r.messages) };
}

function observeDhcp6(r: Dhcp6Result): Observed {
  const reply = r.reply ?? r.chosen ?? r.advertises[0] ?? null;
  const o: Observed = { messageType: r.reply !== null ? 'reply' : reply !== null ? 'advertise' : null, advertises: r.advertises.length, rapidCommit: r.rapidCommit };
  if (reply === null) return o;
  o.options = optionMap6(reply);
  if (r.address !== null) o.address = r.address;
  if (r.validLifetime !== null) o.validLifetime = r.validLifetime;
  if (r.bootfileUrl !== null) o.bootfileUrl = r.bootfileUrl;
  if (r.bootfileParams.length > 0) o.bootfileParam = r.bootfileParams.join(' ');
  o.dhcp6Status = r.status?.name ?? 'Success';
  o.dhcp6StatusCode = r.status?.code ?? 0;
  const vc = vendorClass(reply);
  if (vc !== undefined) o.vendorClass = vc.data.join(',');
  return o;
}

function learn(st: ClientState, ctx: StepContext, r: Dhcp6Result, o: Observed): void {
  // The on-link prefix comes from the RA (IA_NA addresses are /128); default /64 (RFC 4291 §2.5.4).
  const ra = [...st.routerAdverts].reverse().find((x) => x.prefixes.some((p) => p.onLink));
  const prefix = ra?.prefixes.find((p) => p.onLink)?.length ?? 64;
  st.lease6 = { addr: r.address!, prefix, serverDuid: r.serverDuid, server: r.serverAddr };
  ctx.transport.setClientAddress6?.(st.mac, { addr: r.address!, prefix });
  st.vars.set('address', o.address!);
}

/** `bootfile-url` and, for the common `file: ${bootfile}` / `server: ${next-server}` steps, its parts. */
function learnBoot(st: ClientState, url: string | null): void {
  for (const k of ['bootfile-url', 'bootfile', 'next-server']) st.vars.delete(k);
  if (url === null) return;
  st.vars.set('bootfile-url', url);
  st.vars.set('bootfile', url);
  const host = urlHost(url);
  if (host !== null) st.vars.set('next-server', host);
}
