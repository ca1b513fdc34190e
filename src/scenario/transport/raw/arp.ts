/**
 * ARP for the raw transport: a cache of server/router MACs, resolution with bounded retries, and
 * the responder that answers for every simulated client's leased address (servers ARP before they
 * unicast an OFFER to yiaddr or TFTP DATA to the client).
 */
import { ArpOperation, ethernetIpv4Arp, type ArpPacket } from '../../../wire/arp.js';
import { ANY_ADDR } from '../../clients/types.js';
import { arpFrame, BROADCAST_MAC, ZERO_MAC } from './frames.js';
import { LinkResolver } from './resolver.js';

export interface ArpTableOptions {
  /** Requests sent before giving up (default 4). */
  retries?: number;
  /** Wait between requests, ms (default 500). */
  intervalMs?: number;
  send(frame: Uint8Array): void;
}

/** The IPv4 cache: resolved with broadcast ARP requests. */
export class ArpTable extends LinkResolver {
  constructor(private readonly opts: ArpTableOptions) {
    super({
      retries: opts.retries ?? 4,
      intervalMs: opts.intervalMs ?? 500,
      // Without a lease this is an ARP probe (sender 0.0.0.0, RFC 5227), which is what a client does.
      request: (ip, asMac, asIp) =>
        opts.send(arpFrame(BROADCAST_MAC, ethernetIpv4Arp(ArpOperation.REQUEST, asMac, asIp, ZERO_MAC, ip))),
      cacheable: (ip) => ip !== ANY_ADDR,
    });
  }

  /**
   * Learns from any ARP packet and answers requests for an address one of our clients holds
   * (`ownerOf` gives its MAC). Returns true when a reply was sent.
   */
  handle(arp: ArpPacket, ownerOf: (ip: string) => string | undefined): boolean {
    if (arp.hlen !== 6 || arp.plen !== 4) return false;
    if (ownerOf(arp.senderIp) === undefined) this.learn(arp.senderIp, arp.senderMac);
    if (arp.operation !== ArpOperation.REQUEST) return false;
    const mac = ownerOf(arp.targetIp);
    if (mac === undefined || arp.senderMac === mac) return false;
    const reply = ethernetIpv4Arp(ArpOperation.REPLY, mac, arp.targetIp, arp.senderMac, arp.senderIp);
    this.opts.send(arpFrame(arp.senderMac, reply));
    return true;
  }
}
