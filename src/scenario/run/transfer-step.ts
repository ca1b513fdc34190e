/** TFTP and HTTP transfers for the tftp, http and ipxe-script steps, and what they show. */
import { TFTP_ERROR_NAMES, TFTP_OPCODES } from '../../wire/tftp.js';
import { HttpClient, TftpClient, type HttpResult, type TftpClientConfig, type TftpResult } from '../clients/index.js';
import { isIpv6, isLinkLocal6, linkLocalFromMac } from '../../wire/ipv6-address.js';
import { bareHost } from './urls.js';
import { onAbort } from './abort-fanout.js';
import { drive, StepFailure, type ClientState, type Outcome, type StepContext } from './loop.js';
import { TcpPort } from '../../wire/ports.js';
import { httpRequestProblem } from '../../wire/http/index.js';

// ---------------------------------------------------------------------------------------------
// TFTP and HTTP

/** `scheme://…`: what option 66 holds for HTTP-provisioned phones, never something TFTP can reach. */
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;

export async function tftpFetch(
  st: ClientState, ctx: StepContext, hard: number, server: string, file: string,
  options: { blksize?: number; windowsize?: number; tsize?: boolean; timeout?: number }, probe: boolean, keepData: boolean,
  digest: boolean,
): Promise<{ result: TftpResult | null }> {
  // Fail at once: no datagram to a URL would ever be answered, so waiting out the deadline says nothing.
  if (URL_LIKE.test(server)) throw new StepFailure(`${server} is not a TFTP server address (a URL: use an http step)`);
  const port = 1024 + Math.floor(ctx.random() * 60000);
  const cfg: TftpClientConfig = {
    server, clientAddr: sourceAddress(st, server), clientPort: port, file, tsizeProbe: probe, keepData, digest,
    options: Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  // Off the event loop when the transport can (relay: a worker on blocking sockets, its own socket), else here.
  const offloaded = ctx.transport.offloadTftp?.(st.mac, cfg, ctx.timers.now(), hard, ctx.signal) ?? null;
  if (offloaded !== null) {
    let r: TftpResult | null | 'not-run';
    try {
      r = await offloaded;
    } catch (e) {
      throw new StepFailure(`TFTP ${file}: ${(e as Error).message}`);
    }
    if (r !== 'not-run') return { result: r };
    // The worker could not start the transfer (nothing sent): it runs here after all.
  }
  try {
    return { result: await drive(new TftpClient(cfg), st, ctx, hard, true) };
  } finally {
    // Done, failed or timed out: the transfer's ports are not used again.
    ctx.transport.endUdpFlow?.(st.mac, port);
    if (probe) ctx.transport.endUdpFlow?.(st.mac, port + 1);
  }
}

/** The client's address toward `server`: its lease, or on IPv6 its global address (link-local for a link-local server). */
export function sourceAddress(st: ClientState, server: string): string {
  if (!isIpv6(server)) return st.lease?.addr ?? '0.0.0.0';
  if (isLinkLocal6(server) || st.lease6 === null) return linkLocalFromMac(st.mac);
  return st.lease6.addr;
}

/** `stallExpected`: the step says `expect: { complete: false }`, so a transfer that gives up is the
 *  expected outcome (an ERROR packet still is a problem). */
export function tftpOutcome(r: TftpResult, server: string, stallExpected = false): Outcome {
  const serverError = r.messages.find((m) => m.dir === 'received' && m.msg.code === TFTP_OPCODES.ERROR);
  const problems: string[] = [];
  if (serverError !== undefined) {
    const code = serverError.msg.errorCode ?? 0;
    const name = TFTP_ERROR_NAMES[code] ?? 'error';
    const said = serverError.msg.errorMessage ?? '';
    // The RFC 1350 name first (greppable whatever the server says), then the server's own words.
    const title = name.charAt(0).toUpperCase() + name.slice(1);
    const text = said === '' || said.toLowerCase() === name.toLowerCase() ? title : `${title} ("${said}")`;
    problems.push(`${server} answered ERROR ${code} ${text} for ${r.file}`);
  } else if (!r.ok && r.error !== null && !stallExpected) problems.push(`TFTP ${r.file}: ${r.error}`);
  return {
    observed: {
      complete: r.ok,
      size: r.bytes, ...(r.sha256 === null ? {} : { sha256: r.sha256 }), ...(r.tsize === null ? {} : { tsize: r.tsize }), blksize: r.negotiated.blksize,
      tftpError: serverError === undefined ? null : (serverError.msg.errorCode ?? 0),
    },
    facts: { server, file: r.file, retransmits: r.retransmits, bytesPerSecond: r.timings.bytesPerSecond },
    problems,
    retransmits: r.retransmits,
  };
}

export interface Fetched {
  result: HttpResult | null;
  /** Set when nothing came back at all (refused, unsupported URL, deadline). */
  error?: string;
}

/** Redirects followed before a fetch fails as a loop (iPXE follows a handful too). */
export const MAX_REDIRECTS = 5;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

/**
 * One HTTP fetch, following redirects (Location) as iPXE does, at most MAX_REDIRECTS of them, all
 * within the same deadline: a server that redirects for ever fails the fetch with a clear error.
 * `digest`: compute the body's SHA-256 (only when the step checks or saves it: it costs more CPU
 * than receiving the body).
 */
/** true: the body (up to 1 MiB, else the fetch fails); 'head': its first 1 MiB, the rest only
 *  counted (what `chain` needs to tell a script from an image of any size); false: counted. */
export type KeepBody = boolean | 'head';

export async function httpFetch(
  st: ClientState, ctx: StepContext, hard: number, url: string, method: string, headers: Record<string, string> | undefined, keepBody: KeepBody,
  digest = true,
): Promise<Fetched> {
  let at = url;
  for (let hop = 0; ; hop++) {
    const f = await httpFetchOnce(st, ctx, hard, at, method, headers, keepBody, digest);
    const r = f.result;
    if (r === null || r.status === null || !REDIRECT.has(r.status)) return f;
    const location = r.head?.headers.find(([k]) => k.toLowerCase() === 'location')?.[1];
    if (location === undefined) return f;
    let next: string;
    try {
      next = new URL(location, at).toString();
    } catch {
      return { result: null, error: `HTTP ${at}: redirect to a bad Location ${JSON.stringify(location.slice(0, 200))}` };
    }
    if (hop >= MAX_REDIRECTS) {
      return { result: null, error: `HTTP ${url}: more than ${MAX_REDIRECTS} redirects (a redirect loop? last Location: ${next.slice(0, 200)})` };
    }
    at = next;
  }
}

async function httpFetchOnce(
  st: ClientState, ctx: StepContext, hard: number, url: string, method: string, headers: Record<string, string> | undefined, keepBody: KeepBody,
  digest: boolean,
): Promise<Fetched> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { result: null, error: `not a URL: ${JSON.stringify(url)}` };
  }
  if (u.protocol !== 'http:') return { result: null, error: `${u.protocol.replace(':', '')} URLs are not supported by the runner (${url})` };
  const path = `${u.pathname}${u.search}`;
  const fields = Object.entries(headers ?? {});
  // Values from ${vars} (a DHCP server's boot file URL, a saved body) are not checked with the scenario.
  const problem = httpRequestProblem({ method, uri: path, headers: fields });
  if (problem) return { result: null, error: `HTTP ${url}: ${problem}` };
  const client = new HttpClient({ method, host: u.host, path, headers: fields, keepBody: keepBody !== false, ...(keepBody === 'head' ? { beyondKept: 'count' as const } : {}), digest });
  const remaining = Math.max(1, (hard - ctx.timers.now()) * 1000);
  let stream;
  try {
    stream = await ctx.transport.connectTcp(st.mac, { addr: bareHost(u.hostname), port: u.port === '' ? TcpPort.HTTP : Number(u.port) }, remaining);
  } catch (e) {
    return { result: null, error: `HTTP ${url}: cannot connect: ${(e as Error).message}` };
  }
  try {
    // The step wakes when the response is complete (or the stream ends), not per read: a download
    // costs one wait, not a promise and a timer per received batch.
    stream.onData((data) => { client.receive(data, ctx.timers.now()); if (client.done() !== null) st.kick(); });
    stream.onEnd((_t, error) => {
      const now = ctx.timers.now();
      if (error === undefined) client.end(now);
      else client.abort(now, `connection error: ${error}`);
      st.kick();
    });
    stream.write(client.request(ctx.timers.now()));
    while (client.done() === null && ctx.timers.now() < hard && !ctx.signal?.aborted) {
      const timer = ctx.timers.at(hard);
      const waits = [st.arrival(), timer.fired];
      let cancelAbort: (() => void) | undefined;
      const signal = ctx.signal;
      if (signal) waits.push(new Promise<void>((r) => { cancelAbort = onAbort(signal, r); }));
      await Promise.race(waits);
      timer.cancel();
      cancelAbort?.();
    }
  } finally {
    stream.close();
  }
  const r = client.done();
  return r === null ? { result: null, error: `HTTP ${url}: no complete response by the deadline` } : { result: r };
}

export function httpOutcome(f: Fetched, url: string): Outcome {
  const r = f.result;
  if (r === null) return { observed: {}, facts: { url }, problems: [f.error ?? `HTTP ${url}: no response`] };
  const headers: Record<string, string> = {};
  for (const [k, v] of r.head?.headers ?? []) headers[k.toLowerCase()] = v;
  // An error status is for the expectations to judge; any other error (no response, a body
  // beyond what the client keeps) is a problem of its own.
  const problems = r.error !== null && (r.status === null || r.status < 400) ? [`HTTP ${url}: ${r.error}`] : [];
  return {
    observed: {
      ...(r.status === null ? {} : { status: r.status }), size: r.bodyBytes, ...(r.sha256 === null ? {} : { sha256: r.sha256 }), headers,
      ...(r.body === null ? {} : { body: Buffer.from(r.body).toString('utf8') }),
    },
    facts: { url, ttfb: r.timings.ttfb, bytesPerSecond: r.timings.bytesPerSecond },
    problems,
  };
}

