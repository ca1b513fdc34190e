/**
 * A real MTU mismatch in a lab ("big files hang"): the switch port toward a client gets a smaller
 * MTU than the server and the client have (both 1500), so the lab bridge silently drops every
 * frame above it, as a switch port or tunnel with a smaller MTU does. No ICMP comes back: it is
 * layer 2. Two kernel helpers would hide the mismatch and are turned off in the lab only: bridge
 * netfilter (it reassembles fragments and cuts them again to the port's MTU) and segmentation
 * offloads (a 64 KB TCP "super-packet" passes any MTU check; ethtool, when installed).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Lab } from './lab.js';
import { runOk } from './run.js';

/** Smallest and largest MTU a lab link takes (IPv4 minimum; jumbo frames). */
export const LAB_MTU_MIN = 576;
export const LAB_MTU_MAX = 9000;

export interface PathMtuResult {
  /** ethtool was there and offloads are off (TCP segments are wire-sized). */
  offloadsOff: boolean;
}

/** Gives `port` (a bridge port in the client namespace) the MTU `mtu`; the server stays at 1500. */
export function setPathMtu(lab: Lab, port: string, mtu: number): PathMtuResult {
  if (!Number.isInteger(mtu) || mtu < LAB_MTU_MIN || mtu > LAB_MTU_MAX) {
    throw new Error(`lab: MTU must be a whole number from ${LAB_MTU_MIN} to ${LAB_MTU_MAX}, found ${mtu}`);
  }
  const cli = lab.ns.cli;
  lab.execOk(cli, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0']);
  runOk('ip', ['-n', cli, 'link', 'set', port, 'mtu', String(mtu)]);
  const ethtool = findEthtool();
  if (ethtool === undefined) return { offloadsOff: false };
  const off = ['tso', 'off', 'gso', 'off', 'gro', 'off'];
  lab.execOk(lab.ns.srv, ethtool, ['-K', 'eth0', ...off]);
  if (lab.ns.srv2 !== undefined) lab.execOk(lab.ns.srv2, ethtool, ['-K', 'eth0', ...off]);
  for (const p of ['p-srv', ...(lab.ns.srv2 !== undefined ? ['p-srv2'] : []), port]) lab.execOk(cli, ethtool, ['-K', p, ...off]);
  return { offloadsOff: true };
}

function findEthtool(): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d.length > 0), '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    try {
      accessSync(join(d, 'ethtool'), constants.X_OK);
      return join(d, 'ethtool');
    } catch {
      // not here
    }
  }
  return undefined;
}
