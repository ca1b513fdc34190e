/**
 * One scenario step: build the client machine, run it to completion or its hard deadline, observe,
 * evaluate the expectations and the budget, learn variables. The event loop: process what arrived,
 * dispatch and send, then sleep until `pollAt()` or an arrival.
 */
import { TFTP_ERROR_NAMES } from '../../wire/tftp.js';
import {
  Dhcp4Client, HttpClient, ProxyDhcpClient, TftpClient, type ClientMachine, type Dhcp4Operation, type Dhcp4Result,
  type HttpResult, type RandomSource, type TftpResult, type UdpDatagram,
} from '../clients/index.js';
import { effectiveExpect, evaluate, resolveSaved, type Observed } from '../expect.js';
import { interpretIpxeScript, isIpxeScript, type IpxeAction } from '../ipxe-script.js';
import type { Persona, PersonaOverrides } from '../personas.js';
import type { Client, Step, StepExpect } from '../schema.js';
import type { ClientTransport } from '../transport/types.js';
import { interpolateDeep } from '../vars.js';
import { dhcpVariables, observeReply, personaOverrides, prefixLength } from './dhcp-facts.js';
import { seconds, type StepResult } from './result.js';
import type { Timers } from './timers.js';

export interface StepContext {
  transport: ClientTransport;
  timers: Timers;
  random: RandomSource;
  signal: AbortSignal | undefined;
  scenarioDeadline: number;
  budgetMs: number;
}

export interface Lease {
  addr: string;
  serverId: string | null;
  prefix: number;
  router?: string;
}

/** A running client: identity, variables, lease, and its mailbox of received datagrams. */
export interface ClientState {
  readonly mac: string;
  readonly client: Client;
  readonly vars: Map<string, string>;
  persona: Client['persona'];
  /** The persona before any `become` (iPXE's platform/buildarch come from it). */
  firmware: Client['persona'];
  overrides: PersonaOverrides;
  lease: Lease | null;
  readonly v6: boolean;
  readonly mailbox: UdpDatagram[];
  deliver(d: UdpDatagram): void;
  /** Wake the step loop (stream data, arrivals). */
  kick(): void;
  arrival(): Promise<void>;
}

/** A failure that ends the step at once (bad configuration, missing lease). */
class StepFailure extends Error {}

const DHCP_KINDS = new Set(['dhcp', 'proxydhcp', 'request', 'renew', 'rebind', 'release', 'decline', 'inform']);
/** A step may run past its budget (to report the real time) up to this many budgets. */
const OVERRUN_FACTOR = 2;

interface Outcome {
  observed: Observed;
  /** Facts that do not fit Observed (message logs, URLs). */
  facts: Record<string, unknown>;
  /** Protocol failures the expectations cannot express (a timeout, a refused connection). */
  problems: string[];
  /** The step ran into its hard deadline without finishing. */
  unfinished?: string;
}

export async function runStep(raw: Step, where: string, st: ClientState, ctx: StepContext): Promise<StepResult> {
  const t0 = ctx.timers.now();
  const budget = raw.kind !== 'sleep' && raw.within !== undefined ? raw.within : null;
  const hard = Math.min(ctx.scenarioDeadline, budget === null ? Infinity : t0 + (OVERRUN_FACTOR * budget) / 1000);
  const expect = effectiveExpect(raw);
  const failures: string[] = [];
  let outcome: Outcome | null = null;
  try {
    const step = interpolateDeep(raw, st.vars, where);
    if (st.v6 && step.kind !== 'sleep' && step.kind !== 'become') throw new StepFailure(`persona ${st.persona}: DHCPv6 clients are not implemented yet`);
    outcome = await execute(step, st, ctx, hard);
  } catch (e) {
    failures.push(e instanceof Error ? e.message : String(e));
  }
  const t1 = ctx.timers.now();
  const durationMs = Math.round((t1 - t0) * 1e6) / 1e3;
  if (outcome !== null) {
    const ev = evaluate(expect, outcome.observed, st.vars, where);
    // The protocol's own account first: expectation failures are often its consequences.
    failures.push(...outcome.problems, ...ev.failures);
    if (outcome.unfinished !== undefined) failures.push(outcome.unfinished);
    if (raw.kind !== 'sleep' && raw.save !== undefined) {
      const saved = resolveSaved(raw.save, outcome.observed);
      for (const [k, v] of Object.entries(saved.values)) st.vars.set(k, v);
      failures.push(...saved.failures);
    }
  }
  if (ctx.signal?.aborted) failures.push('interrupted');
  const label = raw.name ?? stepTitle(raw);
  if (budget !== null && durationMs > budget) {
    const took = outcome?.unfinished !== undefined ? `did not finish in ${seconds(durationMs)}` : `took ${seconds(durationMs)}`;
    failures.unshift(`${label} ${took}, budget ${seconds(budget)}`);
  }
  return {
    name: label, kind: raw.kind, ok: failures.length === 0, duration: durationMs, budget,
    error: failures.length === 0 ? null : unique(failures).join('\n'),
    details: { expect: summarizeExpect(expect), ...(outcome === null ? {} : { observed: plainObserved(outcome.observed), ...outcome.facts }) },
  };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** A step's name in reports when it has no `name:`. */
export function stepTitle(step: Step): string {
  switch (step.kind) {
    case 'dhcp': return 'DORA';
    case 'tftp': return `TFTP ${step.file}`;
    case 'http': return `HTTP ${step.url}`;
    case 'ipxe-script': return `iPXE script ${step.url}`;
    case 'become': return `become ${step.persona}`;
    case 'sleep': return 'sleep';
    default: return step.kind.toUpperCase();
  }
}

async function execute(step: Step, st: ClientState, ctx: StepContext, hard: number): Promise<Outcome> {
  if (DHCP_KINDS.has(step.kind)) return dhcpStep(step, st, ctx, hard);
  switch (step.kind) {
    case 'tftp': {
      const server = step.server ?? st.vars.get('next-server');
      if (server === undefined) throw new StepFailure('no TFTP server: give server: or run a DHCP step that offers a next-server first');
      const r = await tftpFetch(st, ctx, hard, server, step.file, {
        blksize: step.blksize, windowsize: step.windowsize, tsize: step.tsize,
        timeout: step.timeout === undefined ? undefined : Math.max(1, Math.round(step.timeout / 1000)),
      }, step.probe ?? false, false);
      if (r.result === null) return { observed: {}, facts: { server }, problems: [], unfinished: `TFTP ${step.file} from ${server}: no end of transfer by the deadline` };
      return tftpOutcome(r.result, server);
    }
    case 'http': {
      const keep = step.expect?.body !== undefined || Object.values(step.save ?? {}).some((s) => s.from === 'body');
      const r = await httpFetch(st, ctx, hard, step.url, step.method ?? 'GET', step.headers, keep);
      return httpOutcome(r, step.url);
    }
    case 'ipxe-script':
      return ipxeStep(step, st, ctx, hard);
    case 'become':
      st.persona = step.persona;
      st.vars.set('persona', step.persona);
      st.overrides = personaOverrides([step.options], st.client.hostname);
      return { observed: {}, facts: { persona: step.persona }, problems: [] };
    case 'sleep': {
      const until = Math.min(ctx.timers.now() + step.for / 1000, ctx.scenarioDeadline);
      await sleepUntil(st, ctx, until, false);
      return { observed: {}, facts: {}, problems: [] };
    }
    default:
      throw new StepFailure(`step kind ${step.kind} is not supported`);
  }
}

// ---------------------------------------------------------------------------------------------
// The event loop

async function sleepUntil(st: ClientState, ctx: StepContext, t: number, wakeOnArrival: boolean): Promise<void> {
  if (ctx.signal?.aborted || (wakeOnArrival && st.mailbox.length > 0)) return;
  const timer = ctx.timers.at(t);
  const waits: Array<Promise<void>> = [timer.fired];
  if (wakeOnArrival) waits.push(st.arrival());
  let onAbort: (() => void) | undefined;
  if (ctx.signal) waits.push(new Promise<void>((r) => { onAbort = () => r(); ctx.signal!.addEventListener('abort', onAbort, { once: true }); }));
  await Promise.race(waits);
  timer.cancel();
  if (onAbort) ctx.signal!.removeEventListener('abort', onAbort);
}

/** Drive a UDP client machine until it is done or `hard` passes; null when unfinished. */
async function drive<R>(m: ClientMachine<R>, st: ClientState, ctx: StepContext, hard: number): Promise<R | null> {
  st.mailbox.length = 0; // late answers to an earlier step are not this step's
  for (;;) {
    const now = ctx.timers.now();
    for (const d of st.mailbox.splice(0)) m.process(d, now);
    for (const d of m.dispatch(now)) ctx.transport.sendUdp(st.mac, d);
    const r = m.done();
    if (r !== null) return r;
    if (now >= hard || ctx.signal?.aborted) return null;
    const poll = m.pollAt();
    await sleepUntil(st, ctx, Math.min(poll === null ? Infinity : Math.max(poll, now), hard), true);
  }
}

// ---------------------------------------------------------------------------------------------
// DHCP

function needLease(st: ClientState, what: string): Lease {
  if (st.lease === null) throw new StepFailure(`${what} needs a lease: run a dhcp step first`);
  return st.lease;
}

function v4Persona(st: ClientState): Persona {
  return st.persona as Persona;
}

async function dhcpStep(step: Step, st: ClientState, ctx: StepContext, hard: number): Promise<Outcome> {
  const base = { mac: st.mac, persona: v4Persona(st), random: ctx.random };
  if (step.kind === 'proxydhcp') {
    const lease = needLease(st, 'proxydhcp');
    const server = step.server ?? st.vars.get('server')!;
    const m = new ProxyDhcpClient({ ...base, overrides: st.overrides, clientAddr: lease.addr, server });
    const r = await drive(m, st, ctx, hard);
    const facts = { server, port: step.port ?? 4011, ...(r ? { xid: r.xid, log: logLines(r.messages) } : {}) };
    if (r === null) return { observed: { messageType: null }, facts, problems: [], unfinished: `no proxyDHCP ACK from ${server}:4011 by the deadline` };
    const observed: Observed = r.ack ? { ...observeReply(r.ack), messageType: 'ack' } : { messageType: r.error?.startsWith('NAK') ? 'nak' : null };
    if (r.ack) learn(st, ctx, observed, false);
    return { observed, facts, problems: r.ack || r.error === null || observed.messageType === 'nak' ? [] : [r.error] };
  }
  let op: Dhcp4Operation;
  let overrides = st.overrides;
  let offerWindow: number | undefined;
  switch (step.kind) {
    case 'dhcp':
      op = { kind: 'dora' };
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
  return { observed, facts: { xid: r.xid, log: logLines(r.messages) }, problems };
}

function expectsBootfile(step: Step): boolean {
  return step.kind === 'dhcp' && step.expect?.bootfile !== undefined && step.expect.bootfile.absent !== true;
}

function observeDhcp(r: Dhcp4Result, prefer: 'proxy' | 'address' | undefined): Observed {
  const reply = r.ack ?? r.nak ?? r.chosen.offer ?? r.offers[0] ?? null;
  if (reply === null) return { messageType: null, offers: r.offers.length };
  const proxy = r.chosen.proxy;
  // PXE: the boot file may come from a proxy offer (prefer: proxy, or the ACK has none).
  const ackHasBoot = observeReply(reply).bootfile !== undefined;
  const bootFrom = proxy !== null && (prefer === 'proxy' || (prefer === undefined && !ackHasBoot)) ? proxy : null;
  const type = r.ack ? 'ack' : r.nak ? 'nak' : 'offer';
  return { ...observeReply(reply, bootFrom), messageType: type, offers: r.offers.length };
}

/** Take a reply's variables; an address-bearing ACK also becomes the lease. */
function learn(st: ClientState, ctx: StepContext, o: Observed, isLease: boolean): void {
  for (const k of ['bootfile', 'next-server', 'tftp-server']) st.vars.delete(k);
  for (const [k, v] of Object.entries(dhcpVariables(o))) st.vars.set(k, v);
  if (!isLease || o.yiaddr === undefined || o.yiaddr === '0.0.0.0') return;
  const mask = o.options?.get(1);
  const router = o.options?.get(3);
  st.lease = {
    addr: o.yiaddr, serverId: o.serverId ?? null, prefix: prefixLength(typeof mask === 'string' ? mask : undefined),
    ...(router === undefined || router instanceof Uint8Array ? {} : { router: String(Array.isArray(router) ? router[0] : router) }),
  };
  ctx.transport.setClientAddress(st.mac, { addr: st.lease.addr, prefix: st.lease.prefix, ...(st.lease.router ? { router: st.lease.router } : {}) });
}

function logLines(messages: ReadonlyArray<{ dir: string; type: string; time: number; from: { addr: string }; to: { addr: string } }>): string[] {
  const t0 = messages[0]?.time ?? 0;
  return messages.map((m) => `+${(m.time - t0).toFixed(3)}s ${m.dir} ${m.type} ${m.from.addr} → ${m.to.addr}`);
}

// ---------------------------------------------------------------------------------------------
// TFTP and HTTP

async function tftpFetch(
  st: ClientState, ctx: StepContext, hard: number, server: string, file: string,
  options: { blksize?: number; windowsize?: number; tsize?: boolean; timeout?: number }, probe: boolean, keepData: boolean,
): Promise<{ result: TftpResult | null }> {
  const port = 1024 + Math.floor(ctx.random() * 60000);
  const m = new TftpClient({
    server, clientAddr: st.lease?.addr ?? '0.0.0.0', clientPort: port, file, tsizeProbe: probe, keepData,
    options: Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  });
  return { result: await drive(m, st, ctx, hard) };
}

function tftpOutcome(r: TftpResult, server: string): Outcome {
  const serverError = r.messages.find((m) => m.dir === 'received' && m.msg.code === 5);
  const problems: string[] = [];
  if (serverError !== undefined) {
    const code = serverError.msg.errorCode ?? 0;
    const name = TFTP_ERROR_NAMES[code] ?? 'error';
    const said = serverError.msg.errorMessage ?? '';
    // The RFC 1350 name first (greppable whatever the server says), then the server's own words.
    const title = name.charAt(0).toUpperCase() + name.slice(1);
    const text = said === '' || said.toLowerCase() === name.toLowerCase() ? title : `${title} ("${said}")`;
    problems.push(`${server} answered ERROR ${code} ${text} for ${r.file}`);
  } else if (!r.ok && r.error !== null) problems.push(`TFTP ${r.file}: ${r.error}`);
  return {
    observed: {
      size: r.bytes, sha256: r.sha256, ...(r.tsize === null ? {} : { tsize: r.tsize }), blksize: r.negotiated.blksize,
      tftpError: serverError === undefined ? null : (serverError.msg.errorCode ?? 0),
    },
    facts: { server, file: r.file, retransmits: r.retransmits, bytesPerSecond: r.timings.bytesPerSecond },
    problems,
  };
}

interface Fetched {
  result: HttpResult | null;
  /** Set when nothing came back at all (refused, unsupported URL, deadline). */
  error?: string;
}

async function httpFetch(
  st: ClientState, ctx: StepContext, hard: number, url: string, method: string, headers: Record<string, string> | undefined, keepBody: boolean,
): Promise<Fetched> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { result: null, error: `not a URL: ${JSON.stringify(url)}` };
  }
  if (u.protocol !== 'http:') return { result: null, error: `${u.protocol.replace(':', '')} URLs are not supported by the runner (${url})` };
  const client = new HttpClient({ method, host: u.host, path: `${u.pathname}${u.search}`, headers: Object.entries(headers ?? {}), keepBody });
  const remaining = Math.max(1, (hard - ctx.timers.now()) * 1000);
  let stream;
  try {
    stream = await ctx.transport.connectTcp(st.mac, { addr: u.hostname, port: u.port === '' ? 80 : Number(u.port) }, remaining);
  } catch (e) {
    return { result: null, error: `HTTP ${url}: cannot connect: ${(e as Error).message}` };
  }
  try {
    stream.onData((data) => { client.receive(data, ctx.timers.now()); st.kick(); });
    stream.onEnd((_t, error) => {
      const now = ctx.timers.now();
      if (error === undefined) client.end(now);
      else client.abort(now, `connection error: ${error}`);
      st.kick();
    });
    stream.write(client.request(ctx.timers.now()));
    while (client.done() === null && ctx.timers.now() < hard && !ctx.signal?.aborted) {
      const wake = st.arrival();
      const timer = ctx.timers.at(hard);
      await Promise.race([wake, timer.fired]);
      timer.cancel();
    }
  } finally {
    stream.close();
  }
  const r = client.done();
  return r === null ? { result: null, error: `HTTP ${url}: no complete response by the deadline` } : { result: r };
}

function httpOutcome(f: Fetched, url: string): Outcome {
  const r = f.result;
  if (r === null) return { observed: {}, facts: { url }, problems: [f.error ?? `HTTP ${url}: no response`] };
  const headers: Record<string, string> = {};
  for (const [k, v] of r.head?.headers ?? []) headers[k.toLowerCase()] = v;
  const problems = r.status === null && r.error !== null ? [`HTTP ${url}: ${r.error}`] : [];
  return {
    observed: {
      ...(r.status === null ? {} : { status: r.status }), size: r.bodyBytes, sha256: r.sha256, headers,
      ...(r.body === null ? {} : { body: Buffer.from(r.body).toString('utf8') }),
    },
    facts: { url, ttfb: r.timings.ttfb, bytesPerSecond: r.timings.bytesPerSecond },
    problems,
  };
}

// ---------------------------------------------------------------------------------------------
// iPXE scripts

interface FetchOutcome {
  ok: boolean;
  status?: number;
  body?: Uint8Array;
  error?: string;
}

async function fetchAny(st: ClientState, ctx: StepContext, hard: number, url: string): Promise<FetchOutcome> {
  if (url.startsWith('tftp://')) {
    const u = new URL(url);
    const r = (await tftpFetch(st, ctx, hard, u.hostname, decodeURIComponent(u.pathname.replace(/^\//, '')), {}, false, true)).result;
    if (r === null) return { ok: false, error: `${url}: no end of transfer by the deadline` };
    return r.ok ? { ok: true, body: r.data ?? new Uint8Array(0) } : { ok: false, error: `${url}: ${r.error ?? 'failed'}` };
  }
  const f = await httpFetch(st, ctx, hard, url, 'GET', undefined, true);
  if (f.result === null) return { ok: false, error: f.error ?? `${url}: no response` };
  const r = f.result;
  const ok = r.status !== null && r.status >= 200 && r.status < 300 && r.error === null;
  return { ok, ...(r.status === null ? {} : { status: r.status }), ...(r.body === null ? {} : { body: r.body }), ...(ok ? {} : { error: `${url}: ${r.error ?? `HTTP ${r.status}`}` }) };
}

function ipxeSettings(st: ClientState): Map<string, string> {
  const m = new Map<string, string>();
  const put = (k: string, v: string | undefined): void => { if (v !== undefined) m.set(k, v); };
  put('mac', st.mac);
  put('ip', st.lease?.addr);
  put('next-server', st.vars.get('next-server'));
  put('filename', st.vars.get('bootfile'));
  put('hostname', st.vars.get('hostname'));
  const fw = st.firmware;
  m.set('platform', fw.startsWith('uefi') ? 'efi' : 'pcbios');
  m.set('buildarch', fw === 'uefi-ia32' ? 'i386' : fw === 'uefi-arm64' ? 'arm64' : 'x86_64');
  return m;
}

async function ipxeStep(step: Extract<Step, { kind: 'ipxe-script' }>, st: ClientState, ctx: StepContext, hard: number): Promise<Outcome> {
  const maxDepth = step['max-depth'] ?? 8;
  const doFetch = step.fetch ?? true;
  const cache = new Map<string, FetchOutcome>();
  const fetched: string[] = [];
  const problems: string[] = [];
  const scriptErrors: string[] = [];
  let booted = false;
  let firstStatus: number | undefined;

  const get = async (url: string): Promise<FetchOutcome> => {
    let r = cache.get(url);
    if (r === undefined) {
      r = await fetchAny(st, ctx, hard, url);
      cache.set(url, r);
      if (r.ok) fetched.push(url);
    }
    return r;
  };

  const runScript = async (url: string, depth: number): Promise<void> => {
    const first = await get(url);
    if (depth === 0) firstStatus = first.status;
    if (!first.ok || first.body === undefined) {
      problems.push(`script ${first.error ?? url}`);
      return;
    }
    const text = Buffer.from(first.body).toString('utf8');
    const failedUrls = new Set<string>();
    // Re-run after each failed fetch so the script's `|| …` branches are followed, as iPXE does.
    for (let pass = 0; pass < 64; pass++) {
      const res = interpretIpxeScript(text, { vars: ipxeSettings(st), baseUrl: url, failedUrls });
      const restart = await followActions(res.actions, depth, failedUrls);
      if (restart) continue;
      scriptErrors.push(...res.errors.map((e) => `${url} ${e}`));
      return;
    }
    problems.push(`${url}: too many failed fetches`);
  };

  /** Returns true when a fetch failed and the script must be re-interpreted. */
  const followActions = async (actions: IpxeAction[], depth: number, failedUrls: Set<string>): Promise<boolean> => {
    for (const a of actions) {
      if (booted || ctx.signal?.aborted || ctx.timers.now() >= hard) return false;
      if (a.kind === 'boot') {
        booted = true;
        return false;
      }
      if ((a.kind !== 'fetch' && a.kind !== 'chain') || a.url === undefined || !doFetch) continue;
      if (failedUrls.has(a.url)) continue;
      const r = await get(a.url);
      if (!r.ok) {
        failedUrls.add(a.url);
        problems.push(`fetch ${r.error ?? a.url}`);
        return true;
      }
      if (a.kind === 'chain') {
        const body = r.body === undefined ? '' : Buffer.from(r.body.subarray(0, 4096)).toString('latin1');
        if (!isIpxeScript(body)) {
          booted = true; // chaining a binary image boots it
          return false;
        }
        if (depth + 1 >= maxDepth) {
          problems.push(`chain ${a.url}: max-depth ${maxDepth} reached`);
          return false;
        }
        await runScript(a.url, depth + 1);
        if (booted) return false;
      }
    }
    return false;
  };

  await runScript(step.url, 0);
  const unfinished = !booted && ctx.timers.now() >= hard ? `iPXE script ${step.url}: not finished by the deadline` : undefined;
  return {
    observed: { ...(firstStatus === undefined ? {} : { status: firstStatus }), fetchedUrls: fetched, booted, scriptErrors: scriptErrors.length },
    facts: { fetched, scriptErrors, fetchProblems: problems },
    // A failed fetch the script recovers from is not a step failure by itself: the expectations decide.
    problems: firstStatus === undefined && problems.length > 0 ? [problems[0]!] : [],
    ...(unfinished === undefined ? {} : { unfinished }),
  };
}

// ---------------------------------------------------------------------------------------------
// Report helpers

function plainObserved(o: Observed): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (k === 'body') out['bodyLength'] = (v as string).length;
    else if (v instanceof Map) {
      const opts: Record<string, unknown> = {};
      for (const [code, val] of v as Map<number, unknown>) opts[String(code)] = val instanceof Uint8Array ? Buffer.from(val).toString('hex') : val;
      out[k] = opts;
    } else out[k] = v;
  }
  return out;
}

/** `type ack, yiaddr in 198.51.100.0/24, bootfile ~/\.efi$/` */
export function summarizeExpect(e: StepExpect | undefined): string {
  if (e === undefined) return '';
  return Object.entries(e).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${summarizeValue(v)}`).join(', ');
}

function summarizeValue(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(summarizeValue).join('|');
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(o)) {
    if (x === undefined) continue;
    switch (k) {
      case 'present': parts.push(x ? 'present' : 'absent'); break;
      case 'absent': parts.push(x ? 'absent' : 'present'); break;
      case 'equals': parts.push(summarizeValue(x)); break;
      case 'notEquals': parts.push(`≠${summarizeValue(x)}`); break;
      case 'matches': parts.push(`~/${String(x)}/`); break;
      case 'inSubnet': parts.push(`in ${String(x)}`); break;
      case 'min': parts.push(`≥${String(x)}`); break;
      case 'max': parts.push(`≤${String(x)}`); break;
      default: parts.push(`${k} ${summarizeValue(x)}`);
    }
  }
  return parts.join(' ');
}
