/**
 * The command-line surface as data (jest-cli's options table): every command with its positional,
 * flags and exit-status epilogue. main.ts declares them to yargs from here and only adds the
 * handlers; decode and analyze share their flag tables with the fast path (command-flags.ts).
 * Light on purpose: strings only, loaded on every run.
 */
import { DEFAULT_CAPTURE_FILTER, DEFAULT_MAX_PACKETS } from './capture-defaults.js';
import { ANALYZE_FLAGS, DECODE_FLAGS, FILE_POSITIONAL, KEEP_DUPLICATES_HELP, type FlagSpec } from './command-flags.js';

export interface PositionalSpec {
  type: 'string';
  array?: boolean;
  describe: string;
}

export interface CommandSpec {
  /** yargs command string: name and positional (`run <scenario..>`). */
  usage: string;
  describe: string;
  positional?: { name: string; spec: PositionalSpec };
  flags: Readonly<Record<string, FlagSpec>>;
  epilogue: string;
}

export const COMMANDS = {
  decode: {
    usage: 'decode [file..]',
    describe: 'Decode DHCPv4/v6, proxyDHCP, TFTP and HTTP messages in a pcap/pcapng(.gz) capture',
    positional: { name: 'file', spec: FILE_POSITIONAL },
    flags: DECODE_FLAGS,
    epilogue: 'Exit status: 0 decoded, 2 usage error or unreadable input.',
  },
  analyze: {
    usage: 'analyze [file..]',
    describe: 'Rebuild each client\'s boot chain (DHCP → proxyDHCP → TFTP → iPXE → HTTP) and report what went wrong',
    positional: { name: 'file', spec: FILE_POSITIONAL },
    flags: ANALYZE_FLAGS,
    epilogue: 'Exit status: 0 no error finding, 1 at least one error finding, 2 usage error or unreadable input.',
  },
  run: {
    usage: 'run <scenario..>',
    describe: 'Play scripted PXE/UEFI/iPXE/phone clients against a boot server and check every step against expectations and time budgets',
    positional: { name: 'scenario', spec: { type: 'string', array: true, describe: 'scenario files (YAML, see docs/scenarios.md)' } },
    flags: {
      interface: { alias: 'i', type: 'string', requiresArg: true, describe: 'raw mode: send as real clients on IFACE (needs CAP_NET_RAW/CAP_NET_ADMIN)' },
      'relay-from': { type: 'string', requiresArg: true, describe: 'relay mode: act as a DHCP relay agent from ADDR (no privileges)' },
      server: { alias: 'target', type: 'string', requiresArg: true, describe: 'the boot server under test (${server} in scenarios)' },
      'circuit-id': { type: 'string', requiresArg: true, describe: 'relay mode: option 82 circuit id' },
      'remote-id': { type: 'string', requiresArg: true, describe: 'relay mode: option 82 remote id' },
      format: { alias: 'f', type: 'string', requiresArg: true, default: 'text', describe: 'text | json | junit' },
      output: { alias: 'o', type: 'string', requiresArg: true, describe: 'write the report to FILE instead of stdout' },
      pcap: { type: 'string', requiresArg: true, describe: 'write every frame sent and received to FILE (pcapng)' },
      'max-pps': { alias: 'rate', type: 'string', requiresArg: true, describe: 'send at most N packets per second, raw or relay mode (--rate is its old name)' },
      'arrival-rate': { type: 'string', requiresArg: true, describe: 'load mode: start N new clients per second (500 or 500/s), like perfdhcp -r' },
      concurrency: { type: 'string', requiresArg: true, describe: 'load mode: at most N clients in flight' },
      count: { type: 'string', requiresArg: true, describe: 'load mode: start N clients (at most the scenario\'s MACs)' },
      duration: { type: 'string', requiresArg: true, describe: 'load mode: stop starting clients after this time (30s, 2m)' },
      shard: { type: 'string', requiresArg: true, describe: 'load mode: run slice I of N of the storm (1/4 … 4/4); merge the JSON with `pxecheck merge`' },
      'max-load': { type: 'string', requiresArg: true, describe: 'load mode: raise the default ceiling (100 new clients/s, 200 at once, 10,000 in all) on purpose: arrival-rate=N,concurrency=N,count=N or none' },
      fault: { type: 'string', requiresArg: true, describe: 'load mode in a lab: inject a fault, e.g. "{ restart: dhcp, at: 5s }" (repeatable; docs/load.md, Faults)' },
      'lab-name': { type: 'string', requiresArg: true, describe: 'the lab (from `pxecheck lab up --name NAME`) whose servers and links the faults act on' },
      // type string without requiresArg: a bare --lab gives '' (dnsmasq).
      lab: { type: 'string', describe: 'build a throw-away lab (dnsmasq | kea | isc-dhcpd, default dnsmasq), run the scenarios from its client side, remove it (needs root)' },
      'server-config': { type: 'string', requiresArg: true, describe: 'with --lab: your own config for the lab\'s server instead of the built-in full chain' },
      capture: { type: 'string', requiresArg: true, describe: 'with --lab: tcpdump the lab bridge for the whole run into FILE' },
      'lab-proxy': { type: 'boolean', describe: 'with --lab: dnsmasq as proxyDHCP on ${server} beside Kea handing out addresses' },
      'lab-ipv6': { type: 'boolean', describe: 'with --lab: the lab also serves IPv6 network boot (automatic when a scenario has an IPv6 persona)' },
      'lab-ipv6-only': { type: 'boolean', describe: 'with --lab: the lab serves IPv6 network boot only' },
      'lab-ra': { type: 'string', requiresArg: true, describe: 'with --lab and IPv6: router advertisements managed | unmanaged (M=0) | none' },
      'server-config6': { type: 'string', requiresArg: true, describe: 'with --lab kea and IPv6: your own kea-dhcp6 config' },
    },
    epilogue: 'Exit status: 0 every step passed, 1 a step failed, 2 usage, scenario or environment error.',
  },
  capture: {
    usage: 'capture',
    describe: "Capture live (libpcap): print each client's boot chain as it happens and write pcapng",
    flags: {
      interface: { alias: 'i', type: 'string', array: true, requiresArg: true, describe: 'interface to capture on (repeat for several: one pcapng interface each)' },
      write: { alias: 'w', type: 'string', requiresArg: true, describe: 'write every frame to FILE (pcapng; Wireshark and `pxecheck analyze` read it)' },
      duration: { type: 'string', requiresArg: true, describe: 'stop after S seconds (or 30s, 2m); default: until Ctrl-C' },
      filter: { type: 'string', requiresArg: true, describe: `BPF capture filter (default: ${DEFAULT_CAPTURE_FILTER})` },
      'max-packets': { type: 'string', requiresArg: true, describe: `stop after N packets (default ${DEFAULT_MAX_PACKETS})` },
      analyze: { type: 'boolean', default: false, describe: 'at the end print the full analyze report (exit 1 on an error finding)' },
      metrics: { type: 'string', requiresArg: true, describe: 'serve Prometheus/OpenMetrics metrics on http://[ADDR:]PORT/metrics; ADDR defaults to 127.0.0.1 (this machine only; 0.0.0.0:9464 for every address); port 0 picks a free one (printed). See docs/monitoring.md' },
      events: { type: 'string', requiresArg: true, describe: 'write one JSON line per finished step, boot attempt and finding to FILE, or - for standard output (the live lines then go to stderr); schema pxecheck.events/1' },
      'keep-duplicates': { type: 'boolean', describe: KEEP_DUPLICATES_HELP },
    },
    epilogue: 'Exit status: 0 clean end (with --analyze: 1 on an error finding), 2 usage error, unknown interface or missing capture privileges.',
  },
  lab: {
    usage: 'lab <action>',
    describe: 'Start, inspect or remove a private boot lab: network namespaces, dnsmasq | kea | isc-dhcpd, TFTP, nginx serving iPXE (needs root)',
    positional: { name: 'action', spec: { type: 'string', describe: 'up | down | status' } },
    flags: {
      // No yargs defaults: checkLabArgs rejects up-only flags on down/status.
      server: { type: 'string', requiresArg: true, describe: 'up: the DHCP server: dnsmasq (default) | kea | isc-dhcpd' },
      config: { type: 'string', requiresArg: true, describe: 'up: your own config for that server instead of the built-in full-chain config' },
      proxy: { type: 'boolean', describe: 'up: dnsmasq as proxyDHCP (boot info + TFTP), Kea hands out the addresses' },
      ipv6: { type: 'boolean', describe: 'up: also serve IPv6 network boot (DHCPv6 + RA, TFTP/HTTP on [2001:db8:1::1])' },
      'ipv6-only': { type: 'boolean', describe: 'up: serve IPv6 network boot only (no DHCPv4 server)' },
      ra: { type: 'string', requiresArg: true, describe: 'up with --ipv6: router advertisements managed (M=1 O=1, default) | unmanaged (M=0 O=0) | none' },
      config6: { type: 'string', requiresArg: true, describe: 'up with --ipv6 --server kea: your own kea-dhcp6 config instead of the built-in one' },
      name: { type: 'string', requiresArg: true, describe: 'lab name, prefixes the namespaces (default pxelab)' },
      format: { alias: 'f', type: 'string', requiresArg: true, describe: 'text | json' },
    },
    epilogue: 'State in /tmp/pxecheck-lab-<name>/, see docs/lab.md. Exit status: 0 ok (also down of a lab that does not exist), 1 status: no lab or a server dead, 2 usage or environment error.',
  },
  export: {
    usage: 'export <file>',
    describe: 'Write every file transferred over TFTP and HTTP (NBPs, scripts, kernels, phone configs) to a directory, with a manifest',
    positional: { name: 'file', spec: { type: 'string', describe: 'capture file (.pcap, .pcapng, optionally .gz)' } },
    flags: {
      dir: { alias: 'd', type: 'string', requiresArg: true, describe: 'new or empty directory for the files and manifest.json' },
      format: { alias: 'f', type: 'string', requiresArg: true, default: 'text', describe: 'text | json (the manifest on stdout)' },
      'keep-duplicates': { type: 'boolean', describe: KEEP_DUPLICATES_HELP },
    },
    epilogue: 'Exit status: 0 every transfer complete, 1 an incomplete transfer (written as NAME.partial), 2 usage error, unreadable input or unusable directory.',
  },
  merge: {
    usage: 'merge <files..>',
    describe: 'Merge the JSON reports of load runs (run --shard I/N on several hosts) into one: exact merged percentiles, budgets on the whole',
    positional: { name: 'files', spec: { type: 'string', array: true, describe: 'reports of `pxecheck run --format json` in load mode' } },
    flags: {
      format: { alias: 'f', type: 'string', requiresArg: true, default: 'text', describe: 'text | json | junit' },
      output: { alias: 'o', type: 'string', requiresArg: true, describe: 'write the report to FILE instead of stdout' },
    },
    epilogue: 'Exit status: 0 every budget met, 1 a budget missed or clients failed, 2 unreadable or unmergeable reports.',
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
