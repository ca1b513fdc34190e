/** The ipxe-script step: fetch a script and do what iPXE would (fetches, chains, boot). */
import { interpretIpxeScript, isIpxeScript, type IpxeAction } from '../ipxe-script.js';
import type { Step } from '../schema/index.js';
import type { ClientState, Outcome, StepContext } from './loop.js';
import { httpFetch, tftpFetch, type KeepBody } from './transfer-step.js';
import { MAX_KEPT_BODY } from '../clients/http.js';
import { tftpUrl } from './urls.js';

// ---------------------------------------------------------------------------------------------
// iPXE scripts

interface FetchOutcome {
  ok: boolean;
  status?: number;
  body?: Uint8Array;
  /** The body is only the first MAX_KEPT_BODY bytes of a longer one (a chained image). */
  cut?: boolean;
  error?: string;
}

/** `keep`: the body is needed (a script); 'head' for what `chain` runs (a script or an image of any
 *  size: its first MiB is kept); a kernel or initrd (`fetch`) is only counted: never held, so its
 *  size is not limited to what a script may be. */
async function fetchAny(st: ClientState, ctx: StepContext, hard: number, url: string, keep: KeepBody): Promise<FetchOutcome> {
  const t = tftpUrl(url);
  if (t !== null) {
    const r = (await tftpFetch(st, ctx, hard, t.server, t.file, {}, false, keep !== false, false)).result;
    if (r === null) return { ok: false, error: `${url}: no end of transfer by the deadline` };
    if (!r.ok) return { ok: false, error: `${url}: ${r.error ?? 'failed'}` };
    return keep ? { ok: true, body: r.data ?? new Uint8Array(0) } : { ok: true };
  }
  const f = await httpFetch(st, ctx, hard, url, 'GET', undefined, keep, false);
  if (f.result === null) return { ok: false, error: f.error ?? `${url}: no response` };
  const r = f.result;
  const ok = r.status !== null && r.status >= 200 && r.status < 300 && r.error === null;
  const cut = r.body !== null && r.bodyBytes > r.body.length;
  return {
    ok, ...(r.status === null ? {} : { status: r.status }), ...(r.body === null ? {} : { body: r.body }), ...(cut ? { cut } : {}),
    ...(ok ? {} : { error: `${url}: ${r.error ?? `HTTP ${r.status}`}` }),
  };
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

export async function ipxeStep(step: Extract<Step, { kind: 'ipxe-script' }>, st: ClientState, ctx: StepContext, hard: number): Promise<Outcome> {
  const maxDepth = step['max-depth'] ?? 8;
  const doFetch = step.fetch ?? true;
  const cache = new Map<string, FetchOutcome>();
  const fetched: string[] = [];
  const problems: string[] = [];
  const scriptErrors: string[] = [];
  let booted = false;
  let firstStatus: number | undefined;
  /** A failure the status cannot show: the top script could not be read although its status was
   *  fine (a body without end), or the scripts chain beyond max-depth. */
  let topUnreadable: string | undefined;

  const get = async (url: string, keep: KeepBody = true): Promise<FetchOutcome> => {
    // A URL fetched without its body (a kernel) and then chained is fetched again, with it.
    let r = cache.get(url);
    if (r !== undefined && keep && r.ok && r.body === undefined) r = undefined;
    if (r === undefined) {
      r = await fetchAny(st, ctx, hard, url, keep);
      cache.set(url, r);
      if (r.ok && !fetched.includes(url)) fetched.push(url);
    }
    return r;
  };

  const runScript = async (url: string, depth: number): Promise<void> => {
    const first = await get(url);
    if (depth === 0) firstStatus = first.status;
    if (first.ok && first.cut === true) {
      // Chained as an image (only its head kept) but it is a script: one this long is not one.
      const why = `script ${url}: body larger than ${MAX_KEPT_BODY} bytes (a script this long is not one)`;
      problems.push(why);
      if (depth === 0) topUnreadable = why;
      return;
    }
    if (!first.ok || first.body === undefined) {
      problems.push(`script ${first.error ?? url}`);
      if (depth === 0 && first.status !== undefined && first.status < 300) topUnreadable = `script ${first.error ?? url}`;
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
      const r = await get(a.url, a.kind === 'chain' ? 'head' : false);
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
        if (depth + 1 > maxDepth) {
          // A chain of scripts without end never boots: a failure whatever the first status was.
          topUnreadable ??= `chain ${a.url}: max-depth ${maxDepth} reached (scripts that chain without end never boot)`;
          problems.push(topUnreadable);
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
    problems: topUnreadable !== undefined ? [topUnreadable] : firstStatus === undefined && problems.length > 0 ? [problems[0]!] : [],
    ...(unfinished === undefined ? {} : { unfinished }),
  };
}

