/**
 * IPv6 neighbour discovery for the raw transport (RFC 4861): the neighbour cache with bounded
 * solicitations (the IPv6 twin of arp.ts), the frames a host sends (NS, NA, RS), and the default
 * router list learned from router advertisements. Message bodies go through src/wire/ndp.ts (one
 * encoder); this file only decides what to send and to whom.
 */
import { ipv6FromString, ipv6ToString } from '../../../wire/bytes.js';
import { emitNdp, emptyNdpOptions, type NdpMessage } from '../../../wire/ndp.js';
import { multicastMac, solicitedNodeMulticast, ALL_NODES, ALL_ROUTERS } from '../../../wire/ipv6-address.js';
import type { RouterAdvertSeen } from '../types.js';
import { icmpv6Frame } from './frames.js';
import { LinkResolver } from './resolver.js';

export const UNSPECIFIED6 = '::';

/** Canonical text of an IPv6 address (map keys must not depend on how a caller wrote it). */
export function canonical6(addr: string): string {
  return ipv6ToString(ipv6FromString(addr));
}

function pseudo(src: string, dst: string): { src: Uint8Array; dst: Uint8Array } {
  return { src: ipv6FromString(src), dst: ipv6FromString(dst) };
}

/** NS for `target` from `srcIp` (an address of the client, or :: for DAD): to the solicited-node
 *  group, or unicast to `dstMac`/`target` for a reachability probe. */
export function neighbourSolicitFrame(srcMac: string, srcIp: string, target: string, unicast?: { mac: string }): Uint8Array {
  const dst = unicast ? target : solicitedNodeMulticast(target);
  const options = emptyNdpOptions();
  // RFC 4861 §4.3: no source link-layer option when the source is unspecified.
  if (srcIp !== UNSPECIFIED6) options.sourceLinkAddr = srcMac;
  const msg: NdpMessage = { kind: 'ns', target, options };
  const dstMac = unicast ? unicast.mac : multicastMac(dst);
  return icmpv6Frame({ srcMac, dstMac, srcIp, dstIp: dst }, emitNdp(msg, pseudo(srcIp, dst)));
}

/** NA for `target` (an address of ours): solicited + override with our MAC as the target
 *  link-layer option; to ff02::1 (not solicited) when answering DAD from ::. */
export function neighbourAdvertFrame(srcMac: string, target: string, to: { mac: string; ip: string } | null): Uint8Array {
  const dstIp = to ? to.ip : ALL_NODES;
  const dstMac = to ? to.mac : multicastMac(ALL_NODES);
  const options = emptyNdpOptions();
  options.targetLinkAddr = srcMac;
  const msg: NdpMessage = { kind: 'na', router: false, solicited: to !== null, override: true, target, options };
  return icmpv6Frame({ srcMac, dstMac, srcIp: target, dstIp }, emitNdp(msg, pseudo(target, dstIp)));
}

/** RS from the client's link-local address to ff02::2 with a source link-layer option. */
export function routerSolicitFrame(srcMac: string, srcIp: string): Uint8Array {
  const options = emptyNdpOptions();
  if (srcIp !== UNSPECIFIED6) options.sourceLinkAddr = srcMac;
  const msg: NdpMessage = { kind: 'rs', options };
  return icmpv6Frame({ srcMac, dstMac: multicastMac(ALL_ROUTERS), srcIp, dstIp: ALL_ROUTERS }, emitNdp(msg, pseudo(srcIp, ALL_ROUTERS)));
}

export interface NeighbourTableOptions {
  /** Solicitations per resolution (default 3, RFC 4861 MAX_MULTICAST_SOLICIT). */
  retries?: number;
  /** Wait between them, ms (default 1000, RETRANS_TIMER). */
  intervalMs?: number;
  send(frame: Uint8Array): void;
}

/** Neighbour cache: IPv6 address (canonical text) → MAC, resolved with multicast NS. */
export class NeighbourTable extends LinkResolver {
  constructor(opts: NeighbourTableOptions) {
    super({
      retries: opts.retries ?? 3,
      intervalMs: opts.intervalMs ?? 1000,
      request: (ip, asMac, asIp) => opts.send(neighbourSolicitFrame(asMac, asIp, ip)),
      cacheable: (ip) => ip !== UNSPECIFIED6 && ipv6FromString(ip)[0] !== 0xff,
    });
  }
}

/** A default router (RFC 4861 §6.3.4): its link-local address, until when it may be used. */
interface DefaultRouter {
  addr: string;
  until: number;
  preference: number;
}

const PREFERENCE_RANK: Record<RouterAdvertSeen['preference'], number> = { high: 2, medium: 1, low: 0, reserved: 1 };

/** Default routers and on-link prefixes learned from router advertisements. */
export class RouterList {
  private readonly routers = new Map<string, DefaultRouter>();
  private readonly onLink: { prefix: string; length: number; until: number }[] = [];

  /** Updates the lists from one RA (times in epoch seconds). */
  learn(ra: RouterAdvertSeen): void {
    if (ra.lifetime > 0) this.routers.set(ra.router, { addr: ra.router, until: ra.time + ra.lifetime, preference: PREFERENCE_RANK[ra.preference] });
    else this.routers.delete(ra.router);
    for (const p of ra.prefixes) {
      if (!p.onLink) continue;
      const i = this.onLink.findIndex((x) => x.prefix === p.prefix && x.length === p.length);
      if (i >= 0) this.onLink.splice(i, 1);
      if (p.valid > 0) this.onLink.push({ prefix: p.prefix, length: p.length, until: p.valid === 0xffffffff ? Infinity : ra.time + p.valid });
    }
  }

  /** The preferred live default router, or null. */
  defaultRouter(now: number): string | null {
    let best: DefaultRouter | null = null;
    for (const r of this.routers.values()) {
      if (r.until <= now) continue;
      if (!best || r.preference > best.preference) best = r;
    }
    return best?.addr ?? null;
  }

  /** On-link prefixes still valid at `now`. */
  onLinkPrefixes(now: number): { prefix: string; length: number }[] {
    return this.onLink.filter((p) => p.until > now);
  }
}
