// `pxecheck lab up|down|status`: a private boot lab (namespaces, bridge, real servers); see docs/lab.md.
import {
  DEFAULT_LAB_NAME,
  formatLabStatus,
  LAB_SERVERS,
  labDown,
  labStatus,
  labUp,
  type LabDownResult,
  type LabInfo,
  type LabServerKind,
  type LabStatus,
  type LabUpOptions,
} from '../lab/labctl.js';
import { RA_MODES_LIST, type RaMode } from '../lab/fullchain-v6.js';
import { ExitCode, UsageError, errorLine } from './exit-codes.js';

export const LAB_ACTIONS = ['up', 'down', 'status'] as const;
export type LabAction = (typeof LAB_ACTIONS)[number];
export const LAB_FORMATS = ['text', 'json'] as const;
export type LabFormat = (typeof LAB_FORMATS)[number];

export interface LabArgs {
  readonly action: LabAction;
  readonly name: string;
  readonly server: LabServerKind;
  readonly config?: string;
  readonly proxy: boolean;
  readonly format: LabFormat;
  /** IPv6 boot servers: as well as IPv4, or only. */
  readonly ipv6?: true | 'only';
  readonly ra?: RaMode;
  readonly config6?: string;
}

const RA_MODES: readonly string[] = RA_MODES_LIST;

/** `--ipv6`, `--ipv6-only`, `--ra`, `--config6` (shared by `lab up` and `run --lab`, with a prefix there). */
export function ipv6LabFlags(raw: Record<string, unknown>, cmd: string, prefix: '' | 'lab-'): { ipv6?: true | 'only'; ra?: RaMode } {
  const ipv6 = raw[`${prefix}ipv6-only`] === true ? 'only' as const : raw[`${prefix}ipv6`] === true ? true as const : undefined;
  const raRaw = raw[`${prefix}ra`];
  if (raRaw === undefined) return ipv6 === undefined ? {} : { ipv6 };
  const ra = String(raRaw);
  if (!RA_MODES.includes(ra)) throw new UsageError(`${cmd}: --${prefix}ra must be one of ${RA_MODES.join(', ')} (got "${ra}")`);
  // `run --lab --lab-ra …`: RAs only exist on an IPv6 lab, so asking for them asks for one.
  if (ipv6 === undefined && prefix === '') throw new UsageError(`${cmd}: --ra only applies with --ipv6 or --ipv6-only`);
  return { ipv6: ipv6 ?? true, ra: ra as RaMode };
}

const NAME_RE = /^[a-z][a-z0-9-]{0,11}$/;

function optString(v: unknown, flag: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) throw new UsageError(`lab: --${flag} given more than once`);
  const s = String(v);
  if (s === '') throw new UsageError(`lab: --${flag} needs a value`);
  return s;
}

/** Pure check of `pxecheck lab` arguments (yargs' parsed object). Throws UsageError. */
export function checkLabArgs(raw: Record<string, unknown>): LabArgs {
  const action = optString(raw['action'], 'action');
  if (action === undefined || !(LAB_ACTIONS as readonly string[]).includes(action)) {
    throw new UsageError(`lab: name an action: ${LAB_ACTIONS.join(', ')}${action === undefined ? '' : ` (got "${action}")`}`);
  }
  const name = optString(raw['name'], 'name') ?? DEFAULT_LAB_NAME;
  if (!NAME_RE.test(name)) {
    throw new UsageError(`lab: --name must be 1-12 characters, lowercase letters, digits or '-', starting with a letter (got "${name}"): it prefixes the namespace names`);
  }
  const server = optString(raw['server'], 'server') ?? 'dnsmasq';
  if (!(LAB_SERVERS as readonly string[]).includes(server)) {
    throw new UsageError(`lab: --server must be one of ${LAB_SERVERS.join(', ')} (got "${server}")`);
  }
  const config = optString(raw['config'], 'config');
  const proxy = raw['proxy'] === true;
  if (proxy && server !== 'dnsmasq') throw new UsageError('lab: --proxy needs --server dnsmasq (dnsmasq is the proxyDHCP; Kea hands out the addresses)');
  const v6 = ipv6LabFlags(raw, 'lab', '');
  const config6 = optString(raw['config6'], 'config6');
  if (action !== 'up' && (config !== undefined || proxy || raw['server'] !== undefined || v6.ipv6 !== undefined || config6 !== undefined)) {
    throw new UsageError(`lab ${action}: --server, --config, --proxy, --ipv6, --ipv6-only, --ra and --config6 only apply to 'lab up'`);
  }
  if (config6 !== undefined && v6.ipv6 === undefined) throw new UsageError('lab: --config6 (a kea-dhcp6 config) needs --ipv6 or --ipv6-only');
  if (config6 !== undefined && server === 'dnsmasq') throw new UsageError('lab: --config6 is a kea-dhcp6 config: use it with --server kea or isc-dhcpd (dnsmasq serves DHCPv6 from its own config)');
  if (proxy && v6.ipv6 !== undefined) throw new UsageError('lab: --proxy is an IPv4 (proxyDHCP) lab; drop --ipv6');
  const format = optString(raw['format'], 'format') ?? 'text';
  if (!(LAB_FORMATS as readonly string[]).includes(format)) throw new UsageError(`lab: --format must be one of ${LAB_FORMATS.join(', ')} (got "${format}")`);
  return {
    action: action as LabAction, name, server: server as LabServerKind, ...(config !== undefined ? { config } : {}), proxy, format: format as LabFormat,
    ...v6, ...(config6 !== undefined ? { config6 } : {}),
  };
}

export interface LabIo {
  stderr: (s: string) => void;
  stdout?: (s: string) => void;
}

/** The library calls, injectable so the CLI can be tested without root. */
export interface LabDeps {
  up: (o: LabUpOptions) => Promise<LabInfo>;
  down: (name: string) => Promise<LabDownResult>;
  status: (name: string) => LabStatus | undefined;
}

const realDeps: LabDeps = { up: labUp, down: labDown, status: labStatus };

export function formatLabInfo(info: LabInfo): string {
  const lines = [
    `lab ${info.name} is up: ${info.server}${info.proxy ? ' as proxyDHCP (addresses from kea on ' + info.addressServer + ')' : ''}, ${info.builtInConfig ? 'built-in full-chain config' : 'your config'}`,
    `  server     ${info.serverAddr} / ${info.serverAddr6}  (netns ${info.serverNs})`,
    `  http       ${info.httpBase}/  (boot.ipxe, ipxe.efi, snponly.efi, undionly.kpxe, vmlinuz, initrd.img)`,
    ...(info.ipv6 === undefined ? [] : [
      `  ipv6       ${info.ipv6.serverAddr6} (${info.ipv6.prefix6}), DHCPv6 ${info.ipv6.dhcp6Server}${info.ipv6.builtInConfig6 ? '' : ' (your config)'}, RA ${info.ipv6.ra} by ${info.ipv6.raSender}${info.ipv6.mode === 'only' ? ', no DHCPv4' : ''}`,
      `  boot urls  PXE ${info.ipv6.bootUrls.pxe}  HTTP boot ${info.ipv6.bootUrls.httpBoot}  iPXE ${info.ipv6.bootUrls.ipxe}`,
      ...(info.ipv6.relayAddr6 === undefined ? [] : [`  relay6     ${info.ipv6.relayAddr6} on ${info.relayIface} (--relay-from ${info.ipv6.relayAddr6} --server ${info.ipv6.serverAddr6})`]),
    ]),
    `  tftp root  ${info.tftpRoot}`,
    `  client     netns ${info.clientNs}, interface ${info.clientIface} (raw mode), relay ${info.relayAddr} on ${info.relayIface}`,
    `  try        ip netns exec ${info.clientNs} busybox udhcpc -i ${info.clientIface} -n -q -V PXEClient:Arch:00007:UNDI:003000 -O 67`,
    `  state      ${info.stateDir}   (pxecheck lab status --name ${info.name}; pxecheck lab down --name ${info.name})`,
  ];
  return lines.join('\n') + '\n';
}

/**
 * `pxecheck lab`: exit 0 on success (also `down` of a lab that does not exist); 1 when `status`
 * finds no lab, a dead server or an unfinished lab; 2 on errors (missing program, lab already up).
 */
export async function runLab(args: LabArgs, io: LabIo, deps: LabDeps = realDeps): Promise<number> {
  const out = io.stdout ?? ((s: string) => void process.stdout.write(s));
  const json = (v: unknown): void => out(JSON.stringify(v, null, 2) + '\n');
  try {
    if (args.action === 'up') {
      const info = await deps.up({
        name: args.name, server: args.server, proxy: args.proxy, ...(args.config !== undefined ? { config: args.config } : {}),
        ...(args.ipv6 === undefined ? {} : { ipv6: args.ipv6 }), ...(args.ra === undefined ? {} : { ra: args.ra }),
        ...(args.config6 === undefined ? {} : { config6: args.config6 }),
      });
      if (args.format === 'json') json(info);
      else out(formatLabInfo(info));
      return ExitCode.OK;
    }
    if (args.action === 'down') {
      const r = await deps.down(args.name);
      if (args.format === 'json') json({ name: args.name, ...r });
      else out(r.existed ? `lab ${args.name}: stopped and removed (${r.removedNamespaces.join(', ') || 'no namespaces left'})\n` : `lab ${args.name} does not exist: nothing to do\n`);
      return ExitCode.OK;
    }
    const s = deps.status(args.name);
    if (s === undefined) {
      if (args.format === 'json') json({ name: args.name, exists: false });
      else out(`lab ${args.name} does not exist (start it with 'pxecheck lab up --name ${args.name}')\n`);
      return ExitCode.FINDINGS;
    }
    if (args.format === 'json') json({ exists: true, ...s });
    else out(formatLabStatus(s));
    // A dead server (or a lab that never finished starting) is worth a non-zero status.
    return s.info !== undefined && s.processes.every((p) => p.alive) ? ExitCode.OK : ExitCode.FINDINGS;
  } catch (e) {
    io.stderr(`${errorLine((e as Error).message)}\n`);
    return ExitCode.USAGE;
  }
}
