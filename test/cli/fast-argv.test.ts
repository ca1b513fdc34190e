/**
 * The start-up fast path (src/cli/fast-argv.ts) must be invisible: on every command line it accepts,
 * the command's handler gets exactly the arguments yargs would give it, and main's exit code and
 * messages are the same. Checked on hand-picked forms (every documented flag form of decode and
 * analyze, the tcpdump habits, the awkward ones) and on a few thousand generated lines.
 */
import { describe, it, expect } from 'vitest';
import { parseWith } from '../../src/cli/main.js';
import { fastParse } from '../../src/cli/fast-argv.js';
import { ANALYZE_FLAGS, DECODE_FLAGS } from '../../src/cli/command-flags.js';
import { seededRandom } from '../../src/gen/rng.js';

const HAND_PICKED: string[][] = [
  ['analyze', 'x.pcap'],
  ['analyze', 'a.pcap', 'b.pcapng', 'dir/'],
  ['analyze', '-'],
  ['analyze', '-r', 'x.pcap'],
  ['analyze', '-r', 'a.pcap', '-r', 'b.pcap'],
  ['analyze', '-r', 'a.pcap', 'b.pcap'],
  ['analyze', 'x.pcap', '--merge', 'y.pcap'],
  ['analyze', 'x.pcap', '--format', 'json'],
  ['analyze', 'x.pcap', '--format=json'],
  ['analyze', 'x.pcap', '-f', 'junit', '-o', 'out.xml'],
  ['analyze', 'x.pcap', '-f', 'html', '-o', '-'],
  ['analyze', 'x.pcap', '--no-reply', '6'],
  ['analyze', 'x.pcap', '--no-reply=6', '--loop-count', '3', '--stall', '30'],
  ['analyze', 'x.pcap', '--noReply', '6'],
  ['analyze', 'x.pcap', '--client', '52:54:00:12:34:56', '--client', 'aabb.ccdd.eeff'],
  ['analyze', 'x.pcap', '--client', '198.51.100.7', '--only-failed'],
  ['analyze', 'x.pcap', '--onlyFailed'],
  ['analyze', 'x.pcap', '--scenario', 'scenarios/uefi-ipxe.yaml', '--server', '198.51.100.1'],
  ['analyze', 'x.pcap', '--scenario', 'a.yaml', 'b.yaml'],
  ['analyze', 'x.pcap', '--annotate', 'out.pcapng'],
  ['analyze', 'x.pcap', '--debug'],
  ['analyze', 'x.pcap', '--merge=true'],
  ['analyze', 'x.pcap', '--merge', 'false'],
  ['analyze', 'x.pcap', '-f'],
  ['analyze', 'x.pcap', '--format='],
  ['analyze', 'x.pcap', '-f', '--merge'],
  ['analyze', 'x.pcap', '-fjson'],
  ['analyze', 'x.pcap', '-h'],
  ['analyze', '--help'],
  ['analyze', '-V'],
  ['analyze'],
  ['analyze', 'x.pcap', '--no-such-flag'],
  ['analyze', 'x.pcap', '--', '-weird.pcap'],
  ['analyze', '--file', 'x.pcap'],
  ['analyze', 'x.pcap', '--client.x', '1'],
  ['analyze', '123', '0x10'],
  ['analyze', 'x.pcap', '--server', '198.51.100.1'],
  ['analyze', 'x.pcap', '--no-reply', '6', '--no-reply', '7'],
  ['decode', 'x.pcap'],
  ['decode', '-r', 'x.pcap', '--format', 'line'],
  ['decode', 'x.pcap', '-f', 'summary', '--proto', 'dhcp4,tftp'],
  ['decode', 'x.pcap', '--xid', '0x1a2b3c4d', '--xid', 'deadbeef'],
  ['decode', 'x.pcap', '--from', '12.5', '--to', '2024-01-02T03:04:05Z'],
  ['decode', 'x.pcap', '--client', 'aa-bb-cc-dd-ee-ff', '-o', 'out.txt'],
  ['decode', '-', '--format', 'jsonl'],
  ['decode', 'x.pcap', '--only-failed'],
  ['decode', 'x.pcap', '--merge', 'y.pcap', '-f', 'none'],
  ['--debug', 'analyze', 'x.pcap'],
  ['run', 'scenarios/uefi-ipxe.yaml'],
  ['completion'],
];

async function compare(argv: string[]): Promise<'fast' | 'declined'> {
  const fast = await parseWith(argv, 'fast');
  if (fast.args === null && fast.code === -1) return 'declined';
  const slow = await parseWith(argv, 'yargs');
  expect({ argv, ...fast }).toEqual({ argv, ...slow });
  return 'fast';
}

const VALUES = ['x.pcap', '-', '', 'json', 'text', 'line', '6', '0', '-3', '0x1a2b3c4d', '52:54:00:12:34:56', '198.51.100.7', 'a,b', '--', '-x', 'true', 'false', '1e3', 'dir/', 'scenarios/uefi-ipxe.yaml'];

function generatedLines(n: number, seed: number): string[][] {
  const next = seededRandom(seed); // the generated lines are the same on every run
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const lines: string[][] = [];
  for (let i = 0; i < n; i++) {
    const command = next() < 0.5 ? 'analyze' : 'decode';
    const flags = command === 'analyze' ? ANALYZE_FLAGS : DECODE_FLAGS;
    const names = [...Object.keys(flags), ...Object.values(flags).flatMap((f) => (f.alias ? [f.alias] : [])), 'debug', 'merge', 'only-failed', 'help'];
    const argv = [command];
    const len = Math.floor(next() * 6);
    for (let j = 0; j < len; j++) {
      const r = next();
      if (r < 0.3) argv.push(pick(VALUES));
      else {
        const name = pick(names);
        const flag = name.length === 1 ? `-${name}` : `--${name}`;
        if (r < 0.45) argv.push(`${flag}=${pick(VALUES)}`);
        else if (r < 0.9) argv.push(flag, pick(VALUES));
        else argv.push(flag);
      }
    }
    lines.push(argv);
  }
  return lines;
}

describe('start-up fast path', () => {
  it('gives the handler what yargs gives it, or leaves the line to yargs (hand-picked forms)', async () => {
    const outcome: Record<string, string> = {};
    for (const argv of HAND_PICKED) outcome[argv.join(' ')] = await compare(argv);
    // It does take the common lines (else it saves nothing), and leaves help and errors to yargs.
    for (const line of ['analyze x.pcap', 'analyze x.pcap --no-reply 6', 'analyze -r x.pcap', 'decode -r x.pcap --format line', 'analyze x.pcap -f']) {
      expect(outcome[line] ?? (await compare(line.split(' '))), line).toBe(line === 'analyze x.pcap -f' ? 'declined' : 'fast');
    }
    for (const line of ['analyze x.pcap -h', 'analyze --help', 'analyze -V', 'analyze x.pcap --no-such-flag', 'analyze x.pcap -fjson', '--debug analyze x.pcap', 'run scenarios/uefi-ipxe.yaml', 'completion']) {
      expect(outcome[line], line).toBe('declined');
    }
  }, 120_000);

  it('gives the handler what yargs gives it on 500 generated command lines', async () => {
    let taken = 0;
    for (const argv of generatedLines(500, 20261206)) if ((await compare(argv)) === 'fast') taken++;
    // The generator is not so hostile that the fast path never applies.
    expect(taken).toBeGreaterThan(100);
  }, 300_000);

  it('never loads yargs for a plain analyze (the point of it)', () => {
    expect(fastParse(['analyze', 'x.pcap', '--format', 'json'])?.command).toBe('analyze');
    expect(fastParse(['decode', 'x.pcap', '--bogus'])).toBeNull();
  });
});
