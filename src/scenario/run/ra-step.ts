/**
 * The `ra` step: solicit (RFC 4861 §6.3.7: up to 3 RSs, 4 s apart) and wait for a router
 * advertisement, optionally keep listening to count routers, and show the flags a client acts on.
 */
import type { Observed } from '../expect.js';
import type { Step } from '../schema/index.js';
import type { RouterAdvertSeen } from '../transport/types.js';
import { StepFailure, type ClientState, type Outcome, type StepContext } from './loop.js';

type RaStepSpec = Extract<Step, { kind: 'ra' }>;

const RTR_SOLICITATION_INTERVAL = 4;
const MAX_RTR_SOLICITATIONS = 3;

export async function raStep(step: RaStepSpec, st: ClientState, ctx: StepContext, hard: number): Promise<Outcome> {
  const t = ctx.transport;
  if (t.onRouterAdvert === undefined) {
    throw new StepFailure(`the ${t.kind} transport has no link to hear router advertisements on: run on an interface (raw mode) or drop the ra step`);
  }
  const solicit = step.solicit !== false && t.solicitRouters !== undefined;
  const seenBefore = st.routerAdverts.length;
  const start = ctx.timers.now();
  let sent = 0;
  let nextRs = start;
  let firstAt: number | null = null;
  const collect = (step.collect ?? 0) / 1000;
  for (;;) {
    const now = ctx.timers.now();
    if (firstAt === null && st.routerAdverts.length > seenBefore) firstAt = now;
    if (firstAt !== null && now >= firstAt + collect) break;
    if (now >= hard || ctx.signal?.aborted) break;
    if (firstAt === null && solicit && sent < MAX_RTR_SOLICITATIONS && now >= nextRs) {
      t.solicitRouters!(st.mac);
      sent++;
      nextRs = now + RTR_SOLICITATION_INTERVAL;
    }
    const wakeAt = Math.min(hard, firstAt !== null ? firstAt + collect : solicit && sent < MAX_RTR_SOLICITATIONS ? nextRs : hard);
    const timer = ctx.timers.at(wakeAt);
    await Promise.race([timer.fired, st.arrival()]);
    timer.cancel();
  }
  const heard = st.routerAdverts.slice(seenBefore);
  const facts: Record<string, unknown> = { solicitations: sent, adverts: heard.map(describeRa) };
  if (heard.length === 0) {
    return { observed: { routers: 0 }, facts, problems: [], unfinished: `no router advertisement${solicit ? ` after ${sent} router solicitation${sent === 1 ? '' : 's'}` : ''} by the deadline` };
  }
  return { observed: observeRa(heard), facts, problems: [] };
}

function observeRa(heard: RouterAdvertSeen[]): Observed {
  const first = heard[0]!;
  return {
    managed: first.managed, other: first.other, routerLifetime: first.lifetime, preference: first.preference,
    prefixes: first.prefixes.map((p) => `${p.prefix}/${p.length}`),
    routers: new Set(heard.map((r) => r.router)).size,
  };
}

function describeRa(r: RouterAdvertSeen): string {
  const prefixes = r.prefixes.map((p) => `${p.prefix}/${p.length}`).join(' ');
  return `${r.router} M=${r.managed ? 1 : 0} O=${r.other ? 1 : 0} lifetime ${r.lifetime}s pref ${r.preference}${prefixes ? ` prefix ${prefixes}` : ''}`;
}
