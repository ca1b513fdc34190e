/** The built CLI's front door: help on every command, suggestions, one error prefix, completion. */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { privateBuild } from '../helpers/private-build.js';

const CAPTURE = fileURLToPath(new URL('../../captures/lab/phone-cisco-udhcpc.pcap', import.meta.url));
// Not `completion`: yargs answers any use of it, -h included, with the script (tested below).
const COMMANDS = ['decode', 'analyze', 'run', 'capture', 'lab', 'merge'];

let BIN = '';
beforeAll(() => { BIN = privateBuild().bin; }, 300_000);

function cli(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', COLUMNS: '100' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('pxecheck front door', () => {
  it.each(COMMANDS)('%s -h and --help print the command\'s options and exit 0', (c) => {
    const short = cli([c, '-h']);
    expect(short.code).toBe(0);
    expect(short.out).toContain(`pxecheck ${c}`);
    expect(short.out).toMatch(/-h, --help/);
    expect(cli([c, '--help']).out).toBe(short.out);
  });

  it('suggests the command a typo meant', () => {
    const r = cli(['anaylze', CAPTURE]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Did you mean analyze\?/);
  });

  it('never doubles the pxecheck: prefix', () => {
    for (const args of [[], ['anaylze'], ['analyze'], ['analyze', '/nonexistent.pcap'], ['analyze', CAPTURE, '--client', 'nope'], ['decode', CAPTURE, '--xid', 'zz']]) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err, args.join(' ')).toMatch(/^pxecheck: /);
      expect(r.err, args.join(' ')).not.toMatch(/pxecheck:\s*pxecheck:/);
    }
  });

  it('-f without a value and analyze --server without --scenario are usage errors', () => {
    expect(cli(['analyze', CAPTURE, '-f']).code).toBe(2);
    expect(cli(['decode', CAPTURE, '--format']).code).toBe(2);
    const server = cli(['analyze', CAPTURE, '--server', '198.51.100.1']);
    expect(server.code).toBe(2);
    expect(server.err).toMatch(/--server only applies with --scenario/);
  });

  it('reads --no-reply 6 as the threshold, as the README writes it', () => {
    const r = cli(['analyze', CAPTURE, '--no-reply', '6', '--format', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('prints a completion script that completes the commands', () => {
    const script = cli(['completion']);
    expect(script.code).toBe(0);
    expect(script.out).toMatch(/complete .*pxecheck|compdef/);
    const words = cli(['--get-yargs-completions', 'pxecheck', 'ana']);
    expect(words.out).toContain('analyze');
  });
});
