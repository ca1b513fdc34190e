/**
 * `analyze --scenario` for the IPv6 steps: what a recorded DHCPv6 exchange and router
 * advertisement show, in the terms `expect:` uses (`Observed`), and what a capture summary cannot
 * answer (the number of routers per step).
 */
import type { Dhcp6Step, RaStep } from '../../flow/types.js';
import type { Observed } from '../expect.js';
import type { RaExpect, Step } from '../schema/index.js';
import { urlHost } from './urls.js';

/** The client message that starts each `dhcp6` operation. */
const FIRST_MESSAGE: Record<NonNullable<Extract<Step, { kind: 'dhcp6' }>['operation']>, string> = {
  sarr: 'SOLICIT', confirm: 'CONFIRM', renew: 'RENEW', rebind: 'REBIND', release: 'RELEASE', 'information-request': 'INFORMATION-REQUEST',
};

export function dhcp6StepMatches(step: Extract<Step, { kind: 'dhcp6' }>, s: Dhcp6Step): boolean {
  return s.messages.includes(FIRST_MESSAGE[step.operation ?? 'sarr']);
}

export function dhcp6Observed(d: Dhcp6Step): Observed {
  const reply = d.messages.includes('REPLY');
  const status = d.statuses[0];
  const lease = d.leases[0];
  return {
    messageType: reply ? 'reply' : d.messages.includes('ADVERTISE') ? 'advertise' : null,
    advertises: d.messages.filter((m) => m === 'ADVERTISE').length,
    rapidCommit: d.rapidCommit,
    dhcp6Status: status === undefined ? 'Success' : (status.name ?? String(status.code)),
    dhcp6StatusCode: status?.code ?? 0,
    ...(d.addresses[0] === undefined ? {} : { address: d.addresses[0] }),
    ...(lease === undefined ? {} : { validLifetime: lease.valid }),
    ...(d.bootfileUrl === null ? {} : { bootfileUrl: d.bootfileUrl }),
    ...(d.bootfileParams.length === 0 ? {} : { bootfileParam: d.bootfileParams.join(' ') }),
    ...(d.serverVendorClass === null ? {} : { vendorClass: d.serverVendorClass }),
  };
}

/** The DHCPv6 built-in variables from a recorded Reply (as the live step sets them). */
export function dhcp6Variables(o: Observed): Record<string, string> {
  const out: Record<string, string> = {};
  if (o.address !== undefined) out['address'] = o.address;
  if (o.bootfileUrl !== undefined) {
    out['bootfile-url'] = o.bootfileUrl;
    out['bootfile'] = o.bootfileUrl;
    const host = urlHost(o.bootfileUrl);
    if (host !== null) out['next-server'] = host;
  }
  return out;
}

export function raObserved(r: RaStep): Observed | null {
  const a = r.advert;
  if (a === null) return null;
  return {
    managed: a.managed, other: a.other, routerLifetime: a.routerLifetime, preference: a.preference,
    prefixes: a.prefixes.map((p) => `${p.prefix}/${p.length}`),
  };
}

export function offlineRaExpect(e: RaExpect | undefined, skipped: string[]): RaExpect | undefined {
  if (e?.routers === undefined) return e;
  skipped.push('routers (per step the capture summary keeps the answering router; the report lists every router)');
  return { ...e, routers: undefined };
}
