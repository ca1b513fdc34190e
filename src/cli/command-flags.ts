/**
 * The flags of `decode` and `analyze` as data: main.ts declares them to yargs from here, and the
 * fast path (fast-argv.ts) parses the same table with yargs-parser, so the two cannot drift.
 * Light on purpose (no engine imports): loaded on every run.
 */
import { THRESHOLD_FLAGS, thresholdHelp } from './thresholds.js';

/** The subset of yargs' option keys these commands use (the fast path knows exactly these). */
export interface FlagSpec {
  type: 'string' | 'boolean';
  alias?: string;
  array?: boolean;
  requiresArg?: boolean;
  default?: string | boolean;
  describe: string;
}

export const INPUT_HELP = 'capture files (.pcap, .pcapng, optionally gzip), folders of them, or - for standard input';

/** Every fast-path command takes `[file..]`: string array positionals. */
export const FILE_POSITIONAL = { type: 'string', array: true, describe: INPUT_HELP } as const;

/** `--keep-duplicates` of analyze, capture and export (the filter: src/decode/duplicate-frames.ts). */
export const KEEP_DUPLICATES_HELP = 'keep mirror-port copies: every frame as captured (by default a frame that repeats the same IP packet within 5 ms is dropped as a SPAN copy)';

const READ: FlagSpec = { alias: 'r', type: 'string', array: true, requiresArg: true, describe: 'read FILE (as tcpdump -r; same as a positional FILE)' };

export const DECODE_FLAGS: Record<string, FlagSpec> = {
  read: READ,
  merge: { type: 'boolean', describe: 'read all inputs as one capture, frames ordered by time and renumbered' },
  format: { alias: 'f', type: 'string', requiresArg: true, default: 'text', describe: 'text (one block per message) | summary or line (one line per message) | jsonl | none (count only)' },
  proto: { type: 'string', requiresArg: true, describe: 'comma-separated: dhcp4,dhcp6,tftp,http,icmp,ndp (dhcp = both DHCP versions)' },
  client: { type: 'string', requiresArg: true, describe: 'only messages to or from this client: MAC (aa:bb:…, aa-bb-…, aabb.ccdd.eeff) or IP address; repeatable' },
  xid: { type: 'string', requiresArg: true, describe: 'only DHCP messages with this transaction id (hex, 0x1a2b3c4d); repeatable' },
  from: { type: 'string', requiresArg: true, describe: 'only messages at or after T: seconds after the first packet (12.5) or an ISO time (2024-01-02T03:04:05Z)' },
  to: { type: 'string', requiresArg: true, describe: 'only messages at or before T (same forms as --from)' },
  output: { alias: 'o', type: 'string', requiresArg: true, describe: 'write to FILE instead of stdout' },
};

export const ANALYZE_FLAGS: Record<string, FlagSpec> = {
  read: READ,
  merge: { type: 'boolean', describe: 'one report for all inputs: one capture, frames ordered by time and renumbered' },
  format: { alias: 'f', type: 'string', requiresArg: true, default: 'text', describe: 'text | json | junit | html (one self-contained page) | rows (JSON Lines for DuckDB/ClickHouse, docs/fleet.md)' },
  client: { type: 'string', requiresArg: true, describe: 'only this client: MAC (aa:bb:…, aa-bb-…, aabb.ccdd.eeff, aabbccddeeff), IP address or the ip:ADDR name the report prints; repeatable' },
  'only-failed': { type: 'boolean', describe: 'only the boot devices whose boot failed' },
  'keep-duplicates': { type: 'boolean', describe: KEEP_DUPLICATES_HELP },
  output: { alias: 'o', type: 'string', requiresArg: true, describe: 'write to FILE instead of stdout (never coloured)' },
  scenario: { type: 'string', array: true, requiresArg: true, describe: 'check the recorded boot against SCENARIO files (expectations and budgets, offline)' },
  server: { type: 'string', requiresArg: true, describe: 'with --scenario: the address ${server} stands for (default: the first DHCP server that answered)' },
  annotate: { type: 'string', requiresArg: true, describe: 'also write a pcapng copy of the capture to FILE with each finding as a packet comment on its frames (Wireshark: frame.comment)' },
  jobs: { alias: 'j', type: 'string', requiresArg: true, describe: 'several captures: analyse N at a time in worker threads (default: one per core); output stays in input order' },
  'metrics-out': { type: 'string', requiresArg: true, describe: 'also write the metrics `capture --metrics` would serve for these frames to FILE (Prometheus text format, for node_exporter\'s textfile collector; docs/monitoring.md)' },
  // Strings, not numbers: the pure check gives a clear message instead of yargs' NaN.
  ...Object.fromEntries(THRESHOLD_FLAGS.map((t) => [t.flag, { type: 'string', requiresArg: true, describe: thresholdHelp(t) } satisfies FlagSpec])),
};

/** The commands the fast path may run, with their flags. */
export const FAST_COMMANDS = { decode: DECODE_FLAGS, analyze: ANALYZE_FLAGS } as const;
export type FastCommand = keyof typeof FAST_COMMANDS;

/** The global flags every command accepts (main.ts declares them too). */
export const GLOBAL_BOOLEANS = ['debug', 'help', 'version'] as const;
