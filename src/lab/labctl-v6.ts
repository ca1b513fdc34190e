// The IPv6 side of `pxecheck lab up` (see docs/lab.md "IPv6"): which programs it needs, the
// server-side address and client-side sysctls, kea-dhcp6 / radvd launches and the IPv6 readiness
// checks. labUp (labctl.ts) calls these; dnsmasq's IPv6 lines go into its one dnsmasq config there.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabBinary } from './binaries.js';
import { bootScript6, fullChainFiles6, fullChainKea6Config, fullChainRadvdConfig, type FullChainFiles6, type RaMode } from './fullchain-v6.js';
import { LAB_PREFIX6, SERVER_ADDR, SERVER_ADDR6, SERVER_IFACE, type Lab } from './lab.js';
import { run, runOk } from './run.js';
import { ensureDir, type ServerHandle } from './servers.js';
import { POOL6_END, POOL6_START, startRadvd } from './v6.js';
import { UdpPort } from '../wire/ports.js';

export type Ipv6Mode = boolean | 'only';
/** File in the boot root that nginx serves as /boot.ipxe to IPv6 clients (URLs with [2001:db8:1::1]). */
export const BOOT_SCRIPT6 = 'boot6.ipxe';
/** IPv6 address of the relay interface (rl0) in IPv6 labs: DHCPv6 relay mode's link-address. */
export const LAB_RELAY_ADDR6 = '2001:db8:1::250';

export interface LabIpv6Info {
  /** 'dual': IPv4 and IPv6 servers; 'only': no DHCPv4 server and no IPv4 address on the server. */
  readonly mode: 'dual' | 'only';
  readonly ra: RaMode;
  /** Who sends the RAs: radvd, dnsmasq itself, or nobody. */
  readonly raSender: 'radvd' | 'dnsmasq' | 'none';
  readonly dhcp6Server: 'kea' | 'dnsmasq';
  readonly builtInConfig6: boolean;
  readonly serverAddr6: string;
  readonly prefix6: string;
  readonly pool6: readonly [string, string];
  readonly httpBase6: string;
  readonly bootUrls: { readonly pxe: string; readonly httpBoot: string; readonly ipxe: string };
  /** The raw-mode client interface has net.ipv6.conf.<if>.disable_ipv6=1: pxecheck does its own IPv6 there. */
  readonly clientIpv6Disabled: true;
  /** The relay interface's IPv6 address (kernel IPv6 on, no DAD): `--relay-from` for DHCPv6 relay mode. */
  readonly relayAddr6: string;
}

/** The programs the IPv6 side adds; 'only' drops the IPv4 DHCP server unless dnsmasq does both. */
export function neededBinaries6(dhcp6: 'kea' | 'dnsmasq', ra: RaMode): LabBinary[] {
  const roles: LabBinary[] = dhcp6 === 'kea' ? ['kea6'] : ['dnsmasq'];
  if (ra === 'unmanaged' || (ra === 'managed' && dhcp6 === 'kea')) roles.push('radvd');
  return roles;
}

/** Who sends RAs: kea has no RA of its own (radvd); dnsmasq sends M=1 RAs itself, radvd sends the M=0 ones. */
export function raSender(dhcp6: 'kea' | 'dnsmasq', ra: RaMode): 'radvd' | 'dnsmasq' | 'none' {
  if (ra === 'none') return 'none';
  return ra === 'managed' && dhcp6 === 'dnsmasq' ? 'dnsmasq' : 'radvd';
}

/**
 * Kernel IPv6 off on the raw-mode client veths (raw mode answers ND and does DHCPv6 itself; the
 * kernel must neither autoconfigure from the RA nor answer for the addresses pxecheck uses). The
 * relay interface is the opposite: a host address the relay agent binds (relayAddr6/64, kernel IPv6
 * on so it answers ND for it, no DAD so it is usable at once, RAs ignored). In 'only' mode the
 * server loses its IPv4 address.
 */
export function prepareIpv6Network(lab: Lab, mode: 'dual' | 'only', clientIfaces: readonly string[], relay?: { ifname: string; addr6: string }): void {
  for (const ifname of clientIfaces) {
    lab.execOk(lab.ns.cli, 'sysctl', ['-qw', `net.ipv6.conf.${ifname}.disable_ipv6=1`]);
  }
  if (relay !== undefined) {
    // DAD and RA off before IPv6 comes on, so not even the link-local address probes or solicits.
    for (const [k, v] of [['accept_dad', '0'], ['accept_ra', '0'], ['disable_ipv6', '0']] as const) {
      lab.execOk(lab.ns.cli, 'sysctl', ['-qw', `net.ipv6.conf.${relay.ifname}.${k}=${v}`]);
    }
    runOk('ip', ['-n', lab.ns.cli, 'addr', 'add', `${relay.addr6}/64`, 'dev', relay.ifname, 'nodad']);
  }
  if (mode === 'only') runOk('ip', ['-n', lab.ns.srv, 'addr', 'del', `${SERVER_ADDR}/24`, 'dev', SERVER_IFACE]);
}

/** boot6.ipxe next to boot.ipxe; in 'only' mode boot.ipxe itself gets the IPv6 URLs too. */
export function writeBootScripts6(root: string, mode: 'dual' | 'only', f: FullChainFiles6 = fullChainFiles6()): void {
  writeFileSync(join(root, BOOT_SCRIPT6), bootScript6(f));
  if (mode === 'only') writeFileSync(join(root, 'boot.ipxe'), bootScript6(f));
}

export interface Started6 {
  readonly handle: ServerHandle;
  readonly config: string;
}

/** kea-dhcp6 with the built-in full chain, or the user's config used as is; ready once UDP 547 is bound. */
export async function startKea6FullChain(lab: Lab, cmd: string, userConfig: string | undefined, f: FullChainFiles6 = fullChainFiles6()): Promise<Started6> {
  const dir = ensureDir(join(lab.workDir, 'kea6'));
  let config = userConfig;
  if (config === undefined) {
    config = join(dir, 'kea-dhcp6.conf');
    writeFileSync(config, fullChainKea6Config(dir, f));
  }
  const proc = await lab.startServer({
    label: 'kea6',
    ns: lab.ns.srv,
    cmd,
    args: ['-c', config],
    // Kea puts its pid file and logger lock file in these dirs; keep them out of /run.
    env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir },
    ready: () => portBound6(lab.ns.srv, 'udp', UdpPort.DHCPV6_SERVER),
    readyTimeoutMs: 10_000,
  });
  const logFile = userConfig === undefined ? join(dir, 'kea-dhcp6.log') : proc.logFile;
  return { handle: { proc, dir, configFiles: userConfig === undefined ? ['kea-dhcp6.conf'] : [], logFile }, config };
}

/** radvd: M=1 O=1 ('managed') or M=0 O=0 ('unmanaged'), RAs every 3–10 s, answers RS. */
export async function startRadvdFullChain(lab: Lab, cmd: string, ra: 'managed' | 'unmanaged'): Promise<Started6> {
  const h = await startRadvd(lab, { cmd, config: fullChainRadvdConfig({ managed: ra === 'managed' }) });
  return { handle: h, config: join(h.dir, 'radvd.conf') };
}

/** True once something listens on `port` on an IPv6 socket in namespace `ns` ([::], [addr] or a dual-stack *). */
export function portBound6(ns: string, proto: 'udp' | 'tcp', port: number): boolean {
  const r = run('ip', ['netns', 'exec', ns, 'ss', '-H', '-l', '-n', proto === 'udp' ? '-u' : '-t'], { timeoutMs: 5_000 });
  return r.stdout.split('\n').some((l) => {
    const local = l.trim().split(/\s+/)[3] ?? '';
    return (local.startsWith('[') || local.startsWith('*')) && local.endsWith(`:${port}`);
  });
}


export function ipv6Info(mode: 'dual' | 'only', ra: RaMode, dhcp6: 'kea' | 'dnsmasq', builtIn: boolean, f: FullChainFiles6 = fullChainFiles6()): LabIpv6Info {
  return {
    mode,
    ra,
    raSender: raSender(dhcp6, ra),
    dhcp6Server: dhcp6,
    builtInConfig6: builtIn,
    serverAddr6: SERVER_ADDR6,
    prefix6: LAB_PREFIX6,
    pool6: [POOL6_START, POOL6_END],
    httpBase6: f.httpBase6,
    bootUrls: { pxe: f.pxeUrl, httpBoot: f.httpBootUrl, ipxe: f.ipxeScriptUrl },
    clientIpv6Disabled: true,
    relayAddr6: LAB_RELAY_ADDR6,
  };
}

/**
 * For tests and trying by hand: a veth `ifname` in the lab's client namespace, bridged, with the
 * kernel's IPv6 ON (link-local at once, no DAD; RAs accepted) — unlike the raw-mode interface.
 */
export function addKernelClient6(clientNs: string, ifname = 'k6'): string {
  const peer = `${ifname}-p`;
  runOk('ip', ['-n', clientNs, 'link', 'add', ifname, 'type', 'veth', 'peer', 'name', peer]);
  for (const [k, v] of [['disable_ipv6', '0'], ['accept_dad', '0'], ['accept_ra', '1']] as const) {
    runOk('ip', ['netns', 'exec', clientNs, 'sysctl', '-qw', `net.ipv6.conf.${ifname}.${k}=${v}`]);
  }
  runOk('ip', ['-n', clientNs, 'link', 'set', peer, 'master', 'br0', 'up']);
  runOk('ip', ['-n', clientNs, 'link', 'set', ifname, 'up']);
  return ifname;
}

/** Whether a user's kea-dhcp6 config file exists (checked before anything is built). */
export function checkConfig6(path: string | undefined): void {
  if (path !== undefined && !existsSync(path)) throw new Error(`lab: kea-dhcp6 config file not found: ${path}`);
}
