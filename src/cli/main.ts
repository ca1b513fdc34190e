import yargs from 'yargs';
import { CaptureFormatError } from '../capture/types.js';
import { analyzeCapture } from '../analysis/capture.js';
import { checkAnalyzeArgs, checkDecodeArgs, checkRunArgs, THRESHOLD_FLAGS, thresholdHelp } from './options.js';
import { runDecode, type CliIo } from './decode.js';
import { runAnalyze, type AnalyzeIo } from './analyze.js';
import { runAnalyzeScenario, runRun, type RunDeps } from './run.js';
import { checkCaptureArgs, runCapture, DEFAULT_CAPTURE_FILTER, DEFAULT_MAX_PACKETS, type CaptureIo } from './capture.js';
import { checkLabArgs, runLab } from './lab.js';
import { ExitCode, UsageError } from './exit-codes.js';

const defaultIo: CliIo = { stderr: (s) => process.stderr.write(s) };

/** The process side of `analyze` (terminal detection, NO_COLOR), unless a test passes its own. */
function analyzeIo(io: CliIo): AnalyzeIo {
  const full = io as Partial<AnalyzeIo>;
  return {
    stderr: io.stderr,
    stdoutIsTTY: 'stdoutIsTTY' in full ? full.stdoutIsTTY : process.stdout.isTTY,
    stderrIsTTY: 'stderrIsTTY' in full ? full.stderrIsTTY : process.stderr.isTTY,
    env: full.env ?? process.env,
  };
}

/** The process side of `capture` (stdout, terminal detection), unless a test passes its own. */
function captureIo(io: CliIo): CaptureIo {
  const full = io as Partial<CaptureIo>;
  return {
    stdout: full.stdout ?? ((s) => process.stdout.write(s)),
    stderr: io.stderr,
    stdoutIsTTY: 'stdoutIsTTY' in full ? full.stdoutIsTTY : process.stdout.isTTY,
    env: full.env ?? process.env,
  };
}

/** Entry point: parses argv, runs one command, returns the exit code. Never calls process.exit. */
export async function main(argv: string[], io: CliIo = defaultIo, runDeps: RunDeps = {}): Promise<number> {
  let action: (() => Promise<number>) | null = null;
  let usageFailure: string | null = null;
  const parser = yargs(argv)
    .scriptName('pxecheck')
    .usage('pxecheck <command> [options]\n\nNetwork-boot capture analyzer and conformance tester.')
    .command(
      'decode <file>',
      'Decode DHCPv4/v6, proxyDHCP, TFTP and HTTP messages in a pcap/pcapng(.gz) capture',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'capture file (.pcap, .pcapng, optionally .gz)' })
          .option('format', { alias: 'f', type: 'string', default: 'text', describe: 'text | jsonl | none (count only)' })
          .option('proto', { type: 'string', describe: 'comma-separated: dhcp4,dhcp6,tftp,http,icmp,ndp (dhcp = both DHCP versions)' })
          .option('output', { alias: 'o', type: 'string', describe: 'write to FILE instead of stdout' }),
      (a) => {
        const args = checkDecodeArgs(a);
        action = () => runDecode(args, io);
      },
    )
    .command(
      'analyze <file>',
      'Rebuild each client\'s boot chain (DHCP → proxyDHCP → TFTP → iPXE → HTTP) and report what went wrong',
      (y) => {
        let b = y
          .positional('file', { type: 'string', describe: 'capture file (.pcap, .pcapng, optionally .gz)' })
          .option('format', { alias: 'f', type: 'string', default: 'text', describe: 'text | json | junit' })
          .option('client', { type: 'string', requiresArg: true, describe: 'only this client (MAC, : or - separated)' })
          .option('output', { alias: 'o', type: 'string', describe: 'write to FILE instead of stdout (never coloured)' })
          .option('scenario', { type: 'string', array: true, requiresArg: true, describe: 'check the recorded boot against SCENARIO files (expectations and budgets, offline)' })
          .option('server', { type: 'string', requiresArg: true, describe: 'with --scenario: the address ${server} stands for (default: the first DHCP server that answered)' })
          .option('annotate', { type: 'string', requiresArg: true, describe: 'also write a pcapng copy of the capture to FILE with each finding as a packet comment on its frames (Wireshark: frame.comment)' });
        // Strings, not numbers: the pure check gives a clear message instead of yargs' NaN.
        for (const t of THRESHOLD_FLAGS) b = b.option(t.flag, { type: 'string', requiresArg: true, describe: thresholdHelp(t) });
        return b.epilogue('Exit status: 0 no error finding, 1 at least one error finding, 2 usage error or unreadable input.');
      },
      (a) => {
        const args = checkAnalyzeArgs(a);
        const scenarios = (a['scenario'] as string[] | undefined) ?? [];
        if (scenarios.length > 0) {
          if (args.annotate !== undefined) throw new UsageError('analyze: --annotate does not combine with --scenario');
          const server = typeof a['server'] === 'string' ? a['server'] : undefined;
          action = () => runAnalyzeScenario(args.file, scenarios, server, args.format, args.output, (p) => analyzeCapture(p, { thresholds: args.thresholds }), analyzeIo(io));
        } else action = () => runAnalyze(args, analyzeCapture, analyzeIo(io));
      },
    )
    .command(
      'run <scenario..>',
      'Play scripted PXE/UEFI/iPXE/phone clients against a boot server and check every step against expectations and time budgets',
      (y) =>
        y
          .positional('scenario', { type: 'string', array: true, describe: 'scenario files (YAML, see docs/scenarios.md)' })
          .option('interface', { alias: 'i', type: 'string', requiresArg: true, describe: 'raw mode: send as real clients on IFACE (needs CAP_NET_RAW/CAP_NET_ADMIN)' })
          .option('relay-from', { type: 'string', requiresArg: true, describe: 'relay mode: act as a DHCP relay agent from ADDR (no privileges)' })
          .option('server', { alias: 'target', type: 'string', requiresArg: true, describe: 'the boot server under test (${server} in scenarios)' })
          .option('circuit-id', { type: 'string', requiresArg: true, describe: 'relay mode: option 82 circuit id' })
          .option('remote-id', { type: 'string', requiresArg: true, describe: 'relay mode: option 82 remote id' })
          .option('format', { alias: 'f', type: 'string', default: 'text', describe: 'text | json | junit' })
          .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write the report to FILE instead of stdout' })
          .option('pcap', { type: 'string', requiresArg: true, describe: 'write every frame sent and received to FILE (pcapng)' })
          .option('rate', { type: 'string', requiresArg: true, describe: 'raw mode: at most N packets per second' })
          // type string without requiresArg: a bare --lab gives '' (dnsmasq).
          .option('lab', { type: 'string', describe: 'build a throw-away lab (dnsmasq | kea | isc-dhcpd, default dnsmasq), run the scenarios from its client side, remove it (needs root)' })
          .option('server-config', { type: 'string', requiresArg: true, describe: 'with --lab: your own config for the lab\'s server instead of the built-in full chain' })
          .option('capture', { type: 'string', requiresArg: true, describe: 'with --lab: tcpdump the lab bridge for the whole run into FILE' })
          .option('lab-ipv6', { type: 'boolean', describe: 'with --lab: the lab also serves IPv6 network boot (automatic when a scenario has an IPv6 persona)' })
          .option('lab-ipv6-only', { type: 'boolean', describe: 'with --lab: the lab serves IPv6 network boot only' })
          .option('lab-ra', { type: 'string', requiresArg: true, describe: 'with --lab and IPv6: router advertisements managed | unmanaged (M=0) | none' })
          .option('server-config6', { type: 'string', requiresArg: true, describe: 'with --lab kea and IPv6: your own kea-dhcp6 config' })
          .epilogue('Exit status: 0 every step passed, 1 a step failed, 2 usage, scenario or environment error.'),
      (a) => {
        const args = checkRunArgs(a);
        const capture = typeof a['capture'] === 'string' ? a['capture'] : undefined;
        if (capture !== undefined && args.lab === undefined) throw new UsageError('run: --capture FILE only applies with --lab (use --pcap FILE for the frames pxecheck sends and receives)');
        action = args.lab !== undefined
          ? async () => (await import('./run-lab.js')).runWithLab(args, analyzeIo(io), capture === undefined ? {} : { capture })
          : () => runRun(args, analyzeIo(io), runDeps);
      },
    )
    .command(
      'capture',
      "Capture live (libpcap): print each client's boot chain as it happens and write pcapng",
      (y) =>
        y
          .option('interface', { alias: 'i', type: 'string', array: true, requiresArg: true, describe: 'interface to capture on (repeat for several: one pcapng interface each)' })
          .option('write', { alias: 'w', type: 'string', requiresArg: true, describe: 'write every frame to FILE (pcapng; Wireshark and `pxecheck analyze` read it)' })
          .option('duration', { type: 'string', requiresArg: true, describe: 'stop after S seconds (or 30s, 2m); default: until Ctrl-C' })
          .option('filter', { type: 'string', requiresArg: true, describe: `BPF capture filter (default: ${DEFAULT_CAPTURE_FILTER})` })
          .option('max-packets', { type: 'string', requiresArg: true, describe: `stop after N packets (default ${DEFAULT_MAX_PACKETS})` })
          .option('analyze', { type: 'boolean', default: false, describe: 'at the end print the full analyze report (exit 1 on an error finding)' })
          .epilogue('Exit status: 0 clean end (with --analyze: 1 on an error finding), 2 usage error, unknown interface or missing capture privileges.'),
      (a) => {
        const args = checkCaptureArgs(a);
        action = () => runCapture(args, captureIo(io));
      },
    )
    .command(
      'lab <action>',
      'Start, inspect or remove a private boot lab: network namespaces, dnsmasq | kea | isc-dhcpd, TFTP, nginx serving iPXE (needs root)',
      (y) =>
        y
          .positional('action', { type: 'string', describe: 'up | down | status' })
          // No yargs defaults: checkLabArgs rejects up-only flags on down/status.
          .option('server', { type: 'string', requiresArg: true, describe: 'up: the DHCP server: dnsmasq (default) | kea | isc-dhcpd' })
          .option('config', { type: 'string', requiresArg: true, describe: 'up: your own config for that server instead of the built-in full-chain config' })
          .option('proxy', { type: 'boolean', describe: 'up: dnsmasq as proxyDHCP (boot info + TFTP), Kea hands out the addresses' })
          .option('ipv6', { type: 'boolean', describe: 'up: also serve IPv6 network boot (DHCPv6 + RA, TFTP/HTTP on [2001:db8:1::1])' })
          .option('ipv6-only', { type: 'boolean', describe: 'up: serve IPv6 network boot only (no DHCPv4 server)' })
          .option('ra', { type: 'string', requiresArg: true, describe: 'up with --ipv6: router advertisements managed (M=1 O=1, default) | unmanaged (M=0 O=0) | none' })
          .option('config6', { type: 'string', requiresArg: true, describe: 'up with --ipv6 --server kea: your own kea-dhcp6 config instead of the built-in one' })
          .option('name', { type: 'string', requiresArg: true, describe: 'lab name, prefixes the namespaces (default pxelab)' })
          .option('format', { alias: 'f', type: 'string', describe: 'text | json' })
          .epilogue('State in /tmp/pxecheck-lab-<name>/, see docs/lab.md. Exit status: 0 ok (also down of a lab that does not exist), 1 status: no lab or a server dead, 2 usage or environment error.'),
      (a) => {
        const args = checkLabArgs(a);
        action = () => runLab(args, io);
      },
    )
    .command(
      'export <file>',
      'Write every file transferred over TFTP and HTTP (NBPs, scripts, kernels, phone configs) to a directory, with a manifest',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'capture file (.pcap, .pcapng, optionally .gz)' })
          .option('dir', { alias: 'd', type: 'string', requiresArg: true, describe: 'new or empty directory for the files and manifest.json' })
          .option('format', { alias: 'f', type: 'string', default: 'text', describe: 'text | json (the manifest on stdout)' })
          .epilogue('Exit status: 0 every transfer complete, 1 an incomplete transfer (written as NAME.partial), 2 usage error, unreadable input or unusable directory.'),
      (a) => {
        action = async () => {
          const { checkExportArgs, runExport } = await import('./export.js');
          const stdout = (io as { stdout?: (s: string) => void }).stdout ?? ((s: string) => void process.stdout.write(s));
          return runExport(checkExportArgs(a), { stdout, stderr: io.stderr });
        };
      },
    )
    .demandCommand(1, 'pxecheck: name a command (decode, analyze, run, capture, lab, export)')
    .strict()
    .help()
    .version()
    .exitProcess(false)
    .fail((msg, err) => {
      usageFailure = err ? err.message : msg;
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof UsageError) usageFailure = err.message;
    else if (!usageFailure) throw err;
  }
  if (usageFailure) {
    io.stderr(`pxecheck: ${usageFailure}\nRun 'pxecheck --help' for usage.\n`);
    return ExitCode.USAGE;
  }
  if (!action) return ExitCode.OK; // --help / --version
  try {
    return await (action as () => Promise<number>)();
  } catch (err) {
    if (err instanceof CaptureFormatError || err instanceof UsageError) {
      io.stderr(`pxecheck: ${err.message}\n`);
      return ExitCode.USAGE;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      io.stderr(`pxecheck: cannot read ${(err as NodeJS.ErrnoException).path ?? 'input'}: ${code}\n`);
      return ExitCode.USAGE;
    }
    throw err;
  }
}
