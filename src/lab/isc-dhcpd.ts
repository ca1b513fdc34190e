// ISC dhcpd (isc-dhcp-server) as a lab server: `dhcpd -4 -f -cf CONF -lf LEASES -pf PID eth0` in the
// server namespace. dhcpd has no TFTP server: pair it with startTftpd.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import { fullChainFiles, iscDhcpdArgs, iscDhcpdConfig } from './fullchain.js';
import type { ServerHandle } from './servers.js';

export interface IscDhcpdStartOptions {
  /** Config text to write to <dir>/dhcpd.conf; default the built-in full-chain config. */
  readonly config?: string;
  /** Use this existing config file as is (wins over `config`). */
  readonly configFile?: string;
  /** Program path; default `dhcpd` from PATH. */
  readonly cmd?: string;
  readonly ns?: string;
  readonly label?: string;
  readonly iface?: string;
}

export async function startIscDhcpd(lab: Lab, o: IscDhcpdStartOptions = {}): Promise<ServerHandle> {
  const label = o.label ?? 'dhcpd';
  const dir = join(lab.workDir, label);
  mkdirSync(dir, { recursive: true });
  let conf = o.configFile;
  if (conf === undefined) {
    conf = join(dir, 'dhcpd.conf');
    writeFileSync(conf, o.config ?? iscDhcpdConfig(fullChainFiles()));
  }
  const leases = join(dir, 'dhcpd.leases');
  const pidFile = join(dir, 'dhcpd.pid');
  // dhcpd refuses to start without an existing lease file.
  writeFileSync(leases, '');
  const proc = await lab.startServer({
    label,
    ns: o.ns ?? lab.ns.srv,
    cmd: o.cmd ?? 'dhcpd',
    args: iscDhcpdArgs(conf, leases, pidFile, o.iface),
    ready: () => existsSync(pidFile),
    readyTimeoutMs: 8_000,
  });
  // dhcpd logs to syslog and, with -f, to stderr: the .out file is its log.
  return { proc, dir, configFiles: o.configFile === undefined ? ['dhcpd.conf'] : [], logFile: proc.logFile };
}
