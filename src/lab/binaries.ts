// Finding the server binaries a lab needs, with the Debian package to install when one is missing.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingBinaryError } from '../errors.js';
export { MissingBinaryError } from '../errors.js';

/** Every external program `pxecheck lab` starts, keyed by role. */
export type LabBinary = 'dnsmasq' | 'kea' | 'kea6' | 'radvd' | 'dhcpd' | 'tftpd' | 'nginx';

export const BINARY_NAMES: Readonly<Record<LabBinary, string>> = {
  dnsmasq: 'dnsmasq',
  kea: 'kea-dhcp4',
  kea6: 'kea-dhcp6',
  radvd: 'radvd',
  dhcpd: 'dhcpd',
  tftpd: 'in.tftpd',
  nginx: 'nginx',
};

export const DEBIAN_PACKAGES: Readonly<Record<LabBinary, string>> = {
  dnsmasq: 'dnsmasq',
  kea: 'kea-dhcp4-server',
  kea6: 'kea-dhcp6-server',
  radvd: 'radvd',
  dhcpd: 'isc-dhcp-server',
  tftpd: 'tftpd-hpa',
  nginx: 'nginx-light or nginx',
};

/** Explicit paths that replace the PATH search (tests, unusual installs). */
export type BinaryOverrides = Partial<Record<LabBinary, string>>;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Absolute path of `role`'s program: the override if given, else the first hit in PATH plus the
 * sbin dirs (daemons live there and a user's PATH often lacks them). Undefined when not found.
 */
export function findBinary(role: LabBinary, overrides: BinaryOverrides = {}, pathEnv = process.env['PATH'] ?? ''): string | undefined {
  const explicit = overrides[role];
  if (explicit !== undefined) return isExecutable(explicit) ? explicit : undefined;
  const dirs = [...pathEnv.split(delimiter).filter((d) => d.length > 0), '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    const p = join(dir, BINARY_NAMES[role]);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

export function missingBinaryMessage(roles: readonly LabBinary[]): string {
  const parts = roles.map((r) => `${BINARY_NAMES[r]} (Debian package: ${DEBIAN_PACKAGES[r]})`);
  const pkgs = roles.map((r) => DEBIAN_PACKAGES[r].split(' ')[0]).join(' ');
  return `lab: missing server program${roles.length > 1 ? 's' : ''}: ${parts.join(', ')}; install with: apt-get install ${pkgs}`;
}

/** Resolves every role or throws one MissingBinaryError naming all missing packages. */
export function requireBinaries(roles: readonly LabBinary[], overrides: BinaryOverrides = {}, pathEnv?: string): Record<LabBinary, string> {
  const found: Partial<Record<LabBinary, string>> = {};
  const missing: LabBinary[] = [];
  for (const r of roles) {
    const p = findBinary(r, overrides, pathEnv);
    if (p === undefined) missing.push(r);
    else found[r] = p;
  }
  if (missing.length > 0) throw new MissingBinaryError(missingBinaryMessage(missing));
  return found as Record<LabBinary, string>;
}
