/**
 * The simulated network: documentation-only addresses (RFC 5737). Servers and a DHCP relay sit on
 * 198.51.100.0/24 (the capture point); clients lease either there (direct) or on 203.0.113.0/24
 * behind the relay (giaddr 203.0.113.1). Each lease slot is one address; a slot's clients run one
 * after another, so an address is reused only after its previous holder finished.
 */
import { addr, type Addr } from './frames.js';

export interface Station {
  mac: string;
  addr: Addr;
}

const station = (mac: string, ip: string): Station => ({ mac, addr: addr(ip) });

export const DHCP_SERVER = station('02:00:00:00:00:01', '198.51.100.1');
/** TFTP and HTTP ("next-server"). */
export const BOOT_SERVER = station('02:00:00:00:00:02', '198.51.100.2');
/** Second, unwanted DHCP server (fault twoServers). */
export const ROGUE_SERVER = station('02:00:00:00:00:03', '198.51.100.3');
/** proxyDHCP (fault proxyOnly): answers PXE clients, leases nothing. */
export const PROXY_SERVER = station('02:00:00:00:00:04', '198.51.100.4');
/** The router that relays DHCP for 203.0.113.0/24; its MAC is on every routed frame. */
export const RELAY = station('02:00:00:00:00:fe', '203.0.113.1');

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const ANY = addr('0.0.0.0');
export const BROADCAST = addr('255.255.255.255');
export const SUBNET_MASK = '255.255.255.0';

/** Hosts .10-.249 of each /24 are leased; .250-.253 are what the rogue server offers. */
const FIRST_HOST = 10;
const HOSTS_PER_SUBNET = 240;
export const LEASE_SLOTS = 2 * HOSTS_PER_SUBNET;

export interface Subnet {
  prefix: string;
  /** Router option value. */
  router: string;
  /** True when clients reach the servers through the relay. */
  relayed: boolean;
}

export const DIRECT_SUBNET: Subnet = { prefix: '198.51.100.', router: '198.51.100.254', relayed: false };
export const RELAYED_SUBNET: Subnet = { prefix: '203.0.113.', router: RELAY.addr.ip, relayed: true };

/** Slots alternate subnets so even a handful of clients covers both the direct and relayed paths. */
export function slotSubnet(slot: number): Subnet {
  return slot % 2 === 0 ? DIRECT_SUBNET : RELAYED_SUBNET;
}

export function slotAddress(slot: number): Addr {
  return addr(slotSubnet(slot).prefix + String(FIRST_HOST + (slot >> 1)));
}

export function rogueAddress(slot: number): string {
  return slotSubnet(slot).prefix + String(250 + (slot & 3));
}

/** Client MACs 52:54:00:xx:xx:xx: an odd multiplier makes the 24-bit sequence a bijection. */
export function clientMac(seedBase: number, index: number): string {
  const v = (seedBase + Math.imul(index, 0x9e3779)) & 0xffffff;
  return `52:54:00:${hex2(v >>> 16)}:${hex2((v >>> 8) & 0xff)}:${hex2(v & 0xff)}`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
