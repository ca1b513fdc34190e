/** DHCP steps (dhcp, proxydhcp, request, renew, rebind, release, decline, inform): run, observe, learn. */
import { Dhcp4Client, ProxyDhcpClient, type Dhcp4Operation, type Dhcp4Result } from '../clients/index.js';
import type { Observed } from '../expect.js';
import type { Persona } from '../personas.js';
import type { Step } from '../schema/index.js';
import { learnDhcpVariables, observeReplies, observeReply, personaOverrides, prefixLength } from './dhcp-facts.js';
import { drive, StepFailure, type ClientState, type Lease, type Outcome, type StepContext } from './loop.js';
import { UdpPort } from '../../wire/ports.js';

// ---------------------------------------------------------------------------------------------
// DHCP

function needLease(st: ClientState, what: string): Lease {
  if (st.lease === null) throw new StepFailure(`${what} needs a lease: run a dhcp step first`);
  return st.lease;
}

function v4Persona(st: ClientState): Persona {
  return st.persona as Persona;
}

export async function dhcpStep(step: Step, st: ClientState, ctx: StepContext, hard: number): Promise<Outcome> {
  const base = { mac: st.mac, persona: v4Persona(st), random: ctx.random };
  if (step.kind === 'proxydhcp') {
    const lease = needLease(st, 'proxydhcp');
    const server = step.server ?? st.vars.get('server')!;
    const m = new ProxyDhcpClient({ ...base, overrides: st.overrides, clientAddr: lease.addr, server });
    const r = await drive(m, st, ctx, hard);
    const facts = { server, port: step.port ?? UdpPort.PXE_BOOT_SERVER, ...(r ? { xid: r.xid, log: logLines(r.messages) } : {}) };
    if (r === null) return { observed: { messageType: null }, facts, problems: [], unfinished: `no proxyDHCP ACK from ${server}:${UdpPort.PXE_BOOT_SERVER} by the deadline` };
    const observed: Observed = r.ack ? { ...observeReply(r.ack), messageType: 'ack' } : { messageType: r.error?.startsWith('NAK') ? 'nak' : null };
    if (r.ack) learn(st, ctx, observed, false);
    return { observed, facts, problems: r.ack || r.error === null || observed.messageType === 'nak' ? [] : [r.error], retransmits: sentAgain(r.messages) };
  }
  let op: Dhcp4Operation;
  let overrides = st.overrides;
  let offerWindow: number | undefined;
  switch (step.kind) {
    case 'dhcp':
      op = step['init-reboot'] === undefined ? { kind: 'dora' } : { kind: 'dora', rebootAddress: step['init-reboot'] };
      if (step.options) overrides = personaOverrides([st.client.options, step.options], st.client.hostname);
      if (step['offer-window'] !== undefined) offerWindow = step['offer-window'] / 1000;
      break;
    case 'request':
      op = { kind: 'request', address: step.address, ...(step['server-id'] ? { serverId: step['server-id'] } : {}) };
      break;
    case 'renew': {
      const l = needLease(st, 'renew');
      op = { kind: 'renew', address: l.addr, server: l.serverId ?? st.vars.get('server')! };
      break;
    }
    case 'rebind':
      op = { kind: 'rebind', address: needLease(st, 'rebind').addr };
      break;
    case 'release': {
      const l = needLease(st, 'release');
      op = { kind: 'release', address: l.addr, serverId: l.serverId ?? st.vars.get('server')! };
      break;
    }
    case 'decline': {
      const l = needLease(st, 'decline');
      op = { kind: 'decline', address: step.address ?? l.addr, serverId: l.serverId ?? st.vars.get('server')! };
      break;
    }
    case 'inform':
      op = { kind: 'inform', address: step.address ?? needLease(st, 'inform').addr };
      break;
    default:
      throw new StepFailure(`not a DHCP step: ${step.kind}`);
  }
  const m = new Dhcp4Client({ ...base, overrides, ...(offerWindow === undefined ? {} : { offerWindow }) }, op);
  const r = await drive(m, st, ctx, hard);
  if (r === null) {
    return { observed: { messageType: null, offers: 0 }, facts: {}, problems: [], unfinished: `${op.kind.toUpperCase()}: no answer by the deadline` };
  }
  const prefer = step.kind === 'dhcp' ? step.prefer : undefined;
  const observed = observeDhcp(r, prefer);
  if (r.ack) learn(st, ctx, observed, true);
  if (op.kind === 'release' || op.kind === 'decline') {
    st.lease = null;
    ctx.transport.setClientAddress(st.mac, null);
  }
  const problems: string[] = [];
  if (observed.bootfile === undefined && r.ack !== null && step.kind === 'dhcp' && expectsBootfile(step)) {
    problems.push('the reply names no boot file: option 67 is missing and the file field is empty');
  }
  if (r.error !== null && r.ack === null && r.nak === null) problems.push(r.error);
  // The offer window is the client collecting more offers, not the server being slow.
  const t = r.timings;
  const clientWait = t.firstOffer !== undefined && t.request !== undefined ? Math.max(0, t.request - t.firstOffer) : 0;
  // The message log is rendered when the report reads it (a load run keeps few clients in full).
  const facts = { xid: r.xid, offerWait: Math.round(clientWait * 1e6) / 1e3, ...(r.restarts > 0 ? { restarts: r.restarts, naks: r.naks.length } : {}), get log() { return logLines(r.messages); } };
  return { observed, facts, problems, clientWait, retransmits: sentAgain(r.messages) };
}

function expectsBootfile(step: Step): boolean {
  return step.kind === 'dhcp' && step.expect?.bootfile !== undefined && step.expect.bootfile.absent !== true;
}

function observeDhcp(r: Dhcp4Result, prefer: 'proxy' | 'address' | undefined): Observed {
  return observeReplies({ ack: r.ack, nak: r.nak, offer: r.chosen.offer ?? r.offers[0] ?? null, proxy: r.chosen.proxy }, r.offers.length, prefer);
}

/** Take a reply's variables; an address-bearing ACK also becomes the lease. */
function learn(st: ClientState, ctx: StepContext, o: Observed, isLease: boolean): void {
  learnDhcpVariables(st.vars, o);
  if (!isLease || o.yiaddr === undefined || o.yiaddr === '0.0.0.0') return;
  const mask = o.options?.get(1);
  const router = o.options?.get(3);
  st.lease = {
    addr: o.yiaddr, serverId: o.serverId ?? null, prefix: prefixLength(typeof mask === 'string' ? mask : undefined),
    ...(router === undefined || router instanceof Uint8Array ? {} : { router: String(Array.isArray(router) ? router[0] : router) }),
  };
  ctx.transport.setClientAddress(st.mac, { addr: st.lease.addr, prefix: st.lease.prefix, ...(st.lease.router ? { router: st.lease.router } : {}) });
}

/** Messages sent again: each sent message of a type already sent (a retransmission, or a restart after a NAK). */
export function sentAgain(messages: ReadonlyArray<{ dir: string; type: string }>): number {
  let sent = 0;
  const types = new Set<string>();
  for (const m of messages) {
    if (m.dir !== 'sent') continue;
    sent++;
    types.add(m.type);
  }
  return sent - types.size;
}

export function logLines(messages: ReadonlyArray<{ dir: string; type: string; time: number; from: { addr: string }; to: { addr: string } }>): string[] {
  const t0 = messages[0]?.time ?? 0;
  return messages.map((m) => `+${(m.time - t0).toFixed(3)}s ${m.dir} ${m.type} ${m.from.addr} → ${m.to.addr}`);
}

