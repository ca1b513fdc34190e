/**
 * What `labUp` will build, decided before anything is built: the programs it needs, the servers it
 * starts in order (with which config) and the sockets it waits for. Pure: files are read and
 * options checked by the caller, so a plan can be tested without root or namespaces; labctl.ts
 * carries it out.
 */
import { TcpPort, UdpPort } from '../wire/ports.js';
import type { LabBinary } from './binaries.js';
import type { RaMode } from './fullchain-v6.js';
import { neededBinaries6 } from './labctl-v6.js';

export const LAB_SERVERS = ['dnsmasq', 'kea', 'isc-dhcpd'] as const;
export type LabServerKind = (typeof LAB_SERVERS)[number];

export interface Ipv6Plan {
  readonly mode: 'dual' | 'only';
  readonly ra: RaMode;
  readonly dhcp6: 'kea' | 'dnsmasq';
}

/** The namespace a server or check runs in: the lab's server, or the second server (proxy mode). */
export type NsRole = 'srv' | 'srv2';

/** One server to start, in order. */
export type ServerStep =
  /** proxy mode: Kea only hands out addresses, from the second server namespace. */
  | { kind: 'kea-address-only' }
  /** One dnsmasq for DHCPv4 and/or DHCPv6 (+ RA); `config` picks the generated text when no user config. */
  | { kind: 'dnsmasq'; config: 'full' | 'proxy' | 'v6-only'; dualV6: boolean; dhcpPort: number; userConfig?: string }
  | { kind: 'kea'; userConfig?: string }
  | { kind: 'isc-dhcpd'; userConfig?: string }
  | { kind: 'kea6'; userConfig?: string }
  | { kind: 'radvd'; ra: 'managed' | 'unmanaged' }
  /** tftpd-hpa: '' = both families (wildcard), `[addr]` = IPv6 only, an IPv4 address = IPv4 only. */
  | { kind: 'tftpd'; address: string }
  | { kind: 'nginx'; v4: boolean; v6: boolean };

/** A socket that must be bound before the lab counts as up. */
export interface ReadyCheck {
  what: string;
  ns: NsRole;
  proto: 'udp' | 'tcp';
  port: number;
  six: boolean;
}

export interface LabPlanInput {
  server: LabServerKind;
  proxy: boolean;
  /** Path of the user's DHCP server config, if any. */
  config?: string;
  /** Its text (dnsmasq: does it `enable-tftp`?). */
  configText?: string;
  config6?: string;
  v6?: Ipv6Plan;
  /** The address tftpd listens on for IPv4 only, and the server's IPv6 address. */
  serverAddr: string;
  serverAddr6: string;
}

export interface LabPlan {
  readonly v4: boolean;
  readonly v6: Ipv6Plan | undefined;
  readonly binaries: LabBinary[];
  readonly servers: ServerStep[];
  readonly ready: ReadyCheck[];
}

/** Programs the lab needs, decided before anything is built so a missing one leaves no trace. */
export function neededBinaries(server: LabServerKind, proxy: boolean, serverDoesTftp: boolean): LabBinary[] {
  const dhcp: LabBinary = server === 'dnsmasq' ? 'dnsmasq' : server === 'kea' ? 'kea' : 'dhcpd';
  const roles: LabBinary[] = [dhcp];
  if (proxy && !roles.includes('kea')) roles.push('kea');
  if (!serverDoesTftp) roles.push('tftpd');
  roles.push('nginx');
  return roles;
}

/** A user's dnsmasq config does TFTP itself when it says enable-tftp. */
export function dnsmasqConfigDoesTftp(text: string): boolean {
  return /^\s*enable-tftp\b/m.test(text);
}

export function planLab(i: LabPlanInput): LabPlan {
  const { server, proxy, v6 } = i;
  const v4 = v6?.mode !== 'only';
  const serverDoesTftp = server === 'dnsmasq' && (i.configText === undefined || dnsmasqConfigDoesTftp(i.configText));
  const binaries = v6?.mode === 'only' && server !== 'dnsmasq'
    ? neededBinaries(server, proxy, serverDoesTftp).slice(1)
    : neededBinaries(server, proxy, serverDoesTftp);
  if (v6) for (const r of neededBinaries6(v6.dhcp6, v6.ra)) if (!binaries.includes(r)) binaries.push(r);
  const user = (path: string | undefined) => (path === undefined ? {} : { userConfig: path });

  const servers: ServerStep[] = [];
  if (proxy) servers.push({ kind: 'kea-address-only' });
  if (server === 'dnsmasq') {
    servers.push({
      kind: 'dnsmasq', config: v6?.mode === 'only' ? 'v6-only' : proxy ? 'proxy' : 'full', dualV6: v6 !== undefined && v4,
      dhcpPort: v4 ? UdpPort.DHCP_SERVER : UdpPort.DHCPV6_SERVER, ...user(i.config),
    });
  } else if (v4) {
    servers.push(server === 'kea' ? { kind: 'kea', ...user(i.config) } : { kind: 'isc-dhcpd', ...user(i.config) });
  }
  if (v6?.dhcp6 === 'kea') servers.push({ kind: 'kea6', ...user(i.config6) });
  if (v6 && v6.ra !== 'none' && (v6.ra === 'unmanaged' || v6.dhcp6 === 'kea')) servers.push({ kind: 'radvd', ra: v6.ra });
  if (!serverDoesTftp) servers.push({ kind: 'tftpd', address: !v6 ? i.serverAddr : v4 ? '' : `[${i.serverAddr6}]` });
  servers.push({ kind: 'nginx', v4, v6: v6 !== undefined });

  const ready: ReadyCheck[] = [];
  const check = (what: string, ns: NsRole, proto: 'udp' | 'tcp', port: number, six: boolean) => ready.push({ what, ns, proto, port, six });
  if (v4) {
    check('DHCP', 'srv', 'udp', UdpPort.DHCP_SERVER, false);
    check('TFTP', 'srv', 'udp', UdpPort.TFTP, false);
    check('HTTP', 'srv', 'tcp', TcpPort.HTTP, false);
  }
  if (proxy) check('DHCP (address server)', 'srv2', 'udp', UdpPort.DHCP_SERVER, false);
  if (v6) {
    check('DHCPv6', 'srv', 'udp', UdpPort.DHCPV6_SERVER, true);
    check('TFTP over IPv6', 'srv', 'udp', UdpPort.TFTP, true);
    check('HTTP over IPv6', 'srv', 'tcp', TcpPort.HTTP, true);
  }
  return { v4, v6, binaries, servers, ready };
}
