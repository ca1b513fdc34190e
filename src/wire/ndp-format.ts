/** Neighbour Discovery messages as JSON (decode --format jsonl) and as one summary line. */
import { hex } from './bytes.js';
import { ndpIcmpType, ndpName, type NdpMessage } from './ndp.js';
import { ndpOptionName, type NdpOptions } from './ndp-options.js';

function optionsToJson(o: NdpOptions): Record<string, unknown> {
  return {
    sourceLinkAddr: o.sourceLinkAddr,
    targetLinkAddr: o.targetLinkAddr,
    mtu: o.mtu,
    prefixes: o.prefixes,
    routes: o.routes,
    rdnss: o.rdnss,
    rdnssLifetime: o.rdnssLifetime ?? null,
    dnssl: o.dnssl,
    dnsslLifetime: o.dnsslLifetime ?? null,
    raw: o.raw.map((r) => ({ type: r.type, name: ndpOptionName(r.type), offset: r.offset, data: hex(r.data) })),
  };
}

/** `{ type, kind, <message fields>, options }`; every key present whatever the message holds. */
export function ndpToJson(m: NdpMessage): Record<string, unknown> {
  const j: Record<string, unknown> = { type: ndpIcmpType(m.kind), kind: m.kind };
  switch (m.kind) {
    case 'rs': break;
    case 'ra':
      j['curHopLimit'] = m.curHopLimit; j['managed'] = m.managed; j['other'] = m.other; j['homeAgent'] = m.homeAgent;
      j['preference'] = m.preference; j['proxy'] = m.proxy; j['routerLifetime'] = m.routerLifetime;
      j['reachableTime'] = m.reachableTime; j['retransTimer'] = m.retransTimer;
      break;
    case 'ns': j['target'] = m.target; break;
    case 'na': j['router'] = m.router; j['solicited'] = m.solicited; j['override'] = m.override; j['target'] = m.target; break;
    case 'redirect': j['target'] = m.target; j['destination'] = m.destination; break;
  }
  j['options'] = optionsToJson(m.options);
  return j;
}

function bit(b: boolean): string {
  return b ? '1' : '0';
}

/** What the options add to a summary line (empty when nothing). */
function optionsSummary(o: NdpOptions, skipLinkAddrs: boolean): string {
  let s = '';
  for (const p of o.prefixes) s += ` prefix ${p.prefix}/${p.length} L=${bit(p.onLink)} A=${bit(p.autonomous)}`;
  for (const r of o.routes) s += ` route ${r.prefix}/${r.length} pref ${r.preference} lifetime ${r.lifetime}`;
  if (o.mtu !== null) s += ` mtu ${o.mtu}`;
  if (o.rdnss.length > 0) s += ` rdnss ${o.rdnss.join(',')}`;
  if (o.dnssl.length > 0) s += ` dnssl ${o.dnssl.join(',')}`;
  if (!skipLinkAddrs) {
    if (o.sourceLinkAddr !== null) s += ` lladdr ${o.sourceLinkAddr}`;
    if (o.targetLinkAddr !== null) s += ` target lladdr ${o.targetLinkAddr}`;
  }
  for (const r of o.raw) s += ` option ${r.type}${ndpOptionName(r.type) ? ` (${ndpOptionName(r.type)})` : ''}`;
  return s;
}

/**
 * One line in the spirit of tshark's Info column, e.g.
 * "Router Advertisement from fe80::1 M=1 O=0 lifetime 1800 pref medium prefix 2001:db8:1::/64 L=1 A=0".
 * `src` is the IPv6 source address.
 */
export function ndpSummary(m: NdpMessage, src: string): string {
  const o = m.options;
  switch (m.kind) {
    case 'rs':
      return `${ndpName(m.kind)} from ${src}${optionsSummary(o, false)}`;
    case 'ra':
      return `${ndpName(m.kind)} from ${src} M=${bit(m.managed)} O=${bit(m.other)} lifetime ${m.routerLifetime} pref ${m.preference}` +
        (m.homeAgent ? ' H=1' : '') + (m.proxy ? ' P=1' : '') + optionsSummary(o, false);
    case 'ns':
      return `${ndpName(m.kind)} for ${m.target}${src === '::' ? ' (DAD)' : ''}` +
        (o.sourceLinkAddr !== null ? ` from ${o.sourceLinkAddr}` : '') + optionsSummary(o, true) +
        (o.targetLinkAddr !== null ? ` target lladdr ${o.targetLinkAddr}` : '');
    case 'na': {
      const flags = [m.router && 'rtr', m.solicited && 'sol', m.override && 'ovr'].filter(Boolean).join(', ');
      return `${ndpName(m.kind)} ${m.target}${flags ? ` (${flags})` : ''}` +
        (o.targetLinkAddr !== null ? ` is at ${o.targetLinkAddr}` : '') + optionsSummary(o, true) +
        (o.sourceLinkAddr !== null ? ` lladdr ${o.sourceLinkAddr}` : '');
    }
    case 'redirect':
      return `${ndpName(m.kind)} to ${m.target} for ${m.destination}${optionsSummary(o, false)}`;
  }
}
