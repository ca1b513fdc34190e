/**
 * Capture input a user can trust (issue 11 "Input"), through the built CLI (bin/pxecheck.js → dist/):
 * pipes, stdin, FIFOs, process substitution, gzip on a pipe, every corrupt form, several files,
 * folders and --merge, -o never replacing an input, alias bombs, no stack traces.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import type { AnalyzeJson } from '../../src/report/analyze-schema.js';

const BIN = join(ROOT, 'bin/pxecheck.js');
const PCAPNG = join(ROOT, 'captures/lab/uefi-pxe-dnsmasq.pcapng');
const PCAP = join(ROOT, 'captures/lab/bios-ipxe-dnsmasq.pcap');
const ZEEK = join(ROOT, 'captures/public/zeek/dhcp.pcap');

interface Result { code: number | null; stdout: string; stderr: string }

function pxecheck(args: string[], input?: Buffer): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A real shell pipeline (bash: real pipes, FIFOs, process substitution); `$PX` runs pxecheck. */
function shell(script: string): Result {
  const r = spawnSync('bash', ['-c', `set -o pipefail\n${script}`], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', PX: `${process.execPath} ${BIN}` }, maxBuffer: 64 << 20, timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(r: Result): AnalyzeJson {
  return JSON.parse(r.stdout) as AnalyzeJson;
}

/** The verdict of a report, without the name it was read under. */
function verdict(a: AnalyzeJson): unknown {
  const { file: _file, ...rest } = a;
  return rest;
}

const noStack = (r: Result): void => expect(r.stderr).not.toMatch(/^\s+at /m);

let dir = '';
let whole: AnalyzeJson;
beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/inputs.js'))) throw new Error('dist/ is stale: run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-input-'));
  whole = json(pxecheck(['analyze', '-f', 'json', PCAPNG]));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A copy of `src` with `patch` applied to its bytes. */
function patched(src: string, name: string, patch: (b: Buffer) => Buffer | void): string {
  const b = readFileSync(src);
  const out = patch(b) ?? b;
  const p = join(dir, name);
  writeFileSync(p, out);
  return p;
}

/** Byte offset of classic pcap record `n` (1-based) and whether the file is little-endian. */
function recordOffset(b: Buffer, n: number): { at: number; le: boolean } {
  const le = b.readUInt32LE(0) === 0xa1b2c3d4;
  let at = 24;
  for (let i = 1; i < n; i++) at += 16 + (le ? b.readUInt32LE(at + 8) : b.readUInt32BE(at + 8));
  return { at, le };
}

describe('pipes and stdin: streamed, no seeks', () => {
  it('tcpdump -w - | pxecheck analyze - gives the same verdict as the file', () => {
    const r = shell(`tcpdump -r ${PCAPNG} -w - 2>/dev/null | $PX analyze -f json -`);
    expect(r.stderr).toBe('');
    const a = json(r);
    expect(a.file).toBe('stdin');
    // tcpdump rewrites pcapng as classic pcap: same packets, same clients and findings.
    expect(a.packets).toBe(whole.packets);
    expect(a.clients).toEqual(whole.clients);
    expect(a.findings).toEqual(whole.findings);
  });

  it('/dev/stdin, process substitution, a FIFO and -r read the same capture', () => {
    const viaStdin = shell(`cat ${PCAPNG} | $PX analyze -f json /dev/stdin`);
    const viaSubst = shell(`$PX analyze -f json <(cat ${PCAPNG})`);
    const viaFifo = shell(`mkfifo fifo && (cat ${PCAPNG} > fifo &) && $PX analyze -f json -r fifo`);
    for (const r of [viaStdin, viaSubst, viaFifo]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(verdict(json(r))).toEqual(verdict(whole));
    }
  });

  it('gzip on a pipe is recognised by its magic', () => {
    const r = pxecheck(['analyze', '-f', 'json', '-'], gzipSync(readFileSync(PCAPNG)));
    expect(r.stderr).toBe('');
    expect(verdict(json(r))).toEqual(verdict(whole));
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v script']).status !== 0)('- on a terminal is an error, not a hang', () => {
    // util-linux `script` gives pxecheck a pseudo-terminal as stdin.
    const r = shell(`timeout 20 script -qec "$PX analyze -" /dev/null`);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/standard input \(-\) is a terminal: pipe a capture into it/);
  });

  it('decode reads stdin too, and -r is the positional FILE', () => {
    const file = pxecheck(['decode', '-f', 'jsonl', PCAP]);
    const piped = shell(`cat ${PCAP} | $PX decode -f jsonl -`);
    const dashR = pxecheck(['decode', '-f', 'jsonl', '-r', PCAP]);
    expect(file.stdout.split('\n').length).toBeGreaterThan(10);
    expect(piped.stdout).toBe(file.stdout);
    expect(dashR.stdout).toBe(file.stdout);
  });
});

describe('corrupt input is never silent', () => {
  it('a record claiming 0x7FFFFFFF bytes: the records before it, a capture.corrupt error, a stderr line, exit 1', () => {
    let bad = 0;
    const p = patched(PCAP, 'rec3.pcap', (b) => {
      const { at, le } = recordOffset(b, 3);
      bad = at;
      if (le) b.writeUInt32LE(0x7fffffff, at + 8);
      else b.writeUInt32BE(0x7fffffff, at + 8);
    });
    const r = pxecheck(['analyze', '-f', 'json', p]);
    expect(r.code).toBe(1);
    const a = json(r);
    expect(a.packets).toBe(2);
    const f = a.findings.find((x) => x.code === 'capture.corrupt');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain(`at byte ${bad}`);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^pxecheck: warning: \S*rec3\.pcap: record 3 claims 2147483647/);
  });

  it('a pcapng packet on an undescribed interface is a capture.corrupt finding', () => {
    const p = patched(PCAPNG, 'undescribed.pcapng', (b) => {
      // The first Enhanced Packet Block: its interface id (byte 8) points past the table.
      let at = 0;
      while (b.readUInt32LE(at) !== 6) at += b.readUInt32LE(at + 4);
      b.writeUInt32LE(7, at + 8);
    });
    const r = pxecheck(['analyze', '-f', 'json', p]);
    expect(json(r).findings.find((f) => f.code === 'capture.corrupt')?.message).toContain('interface 7');
    expect(r.stderr).toMatch(/warning: \S*undescribed\.pcapng: frame \d+ refers to interface 7/);
  });

  it('nothing usable: one line naming the file, the problem and the byte offset, exit 2, no stack', () => {
    const link = patched(PCAP, 'link9999.pcap', (b) => {
      if (b.readUInt32LE(0) === 0xa1b2c3d4) b.writeUInt32LE(9999, 20);
      else b.writeUInt32BE(9999, 20);
    });
    const ten = patched(PCAP, 'ten.pcap', (b) => b.subarray(0, 10));
    const gz = gzipSync(readFileSync(PCAP));
    for (let i = 20; i < 60; i++) gz[i] ^= 0xff;
    writeFileSync(join(dir, 'corrupt.pcap.gz'), gz);
    const cases: [string, RegExp][] = [
      [link, /^pxecheck: \S*link9999\.pcap: nothing usable could be read: link type 9999 .* \(at byte 20\)$/],
      [ten, /^pxecheck: \S*ten\.pcap: nothing usable could be read: file ends inside the pcap file header.* \(at byte 0\)$/],
      [join(dir, 'corrupt.pcap.gz'), /^pxecheck: \S*corrupt\.pcap\.gz: corrupt gzip stream/],
      ['/dev/null', /^pxecheck: \/dev\/null is empty \(0 bytes\)/],
      // A read the kernel fails (EIO: offset 0 of a process's memory is never mapped): an input
      // error, not an internal one.
      ['/proc/self/mem', /^pxecheck: \/proc\/self\/mem: cannot read: EIO/],
    ];
    for (const [file, line] of cases) {
      for (const cmd of ['analyze', 'decode']) {
        const r = pxecheck([cmd, file]);
        expect(r.code, `${cmd} ${file}`).toBe(2);
        // decode streams: frames of an unsupported link are listed as undecoded before the verdict.
        if (cmd === 'analyze') expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n'), `${cmd} ${file}`).toHaveLength(1);
        expect(r.stderr.trim()).toMatch(line);
        noStack(r);
      }
    }
  });
});

describe('several files, folders and --merge', () => {
  let halves: [string, string];
  beforeAll(() => {
    const a = join(dir, 'halves');
    mkdirSync(a);
    // editcap -c 150: the real capture split into 00000_… (frames 1-150) and 00001_… (151-294).
    spawnSync('editcap', ['-c', '150', PCAPNG, join(a, 'part.pcapng')], { timeout: 30_000 });
    const parts = spawnSync('ls', [a], { encoding: 'utf8' }).stdout.trim().split('\n').map((n) => join(a, n));
    expect(parts).toHaveLength(2);
    halves = [parts[0]!, parts[1]!];
    writeFileSync(join(a, 'README.txt'), 'not a capture\n');
  });

  it('--merge of two halves (given in reverse) equals the whole capture, frames renumbered in time order', () => {
    const r = pxecheck(['analyze', '--merge', '-f', 'json', halves[1], halves[0]]);
    expect(r.stderr).toBe('');
    const a = json(r);
    expect(a.file).toBe(`${halves[1]} + ${halves[0]}`);
    expect(verdict(a)).toEqual(verdict(whole));
  });

  it('decode --merge prints the messages of the whole capture', () => {
    const merged = pxecheck(['decode', '--merge', '-f', 'jsonl', halves[1], halves[0]]);
    expect(merged.stdout).toBe(pxecheck(['decode', '-f', 'jsonl', PCAPNG]).stdout);
  });

  it('a folder means the captures in it: one JSON document per line (then the fleet line), one junit testsuite per file', () => {
    const r = pxecheck(['analyze', '-f', 'json', join(dir, 'halves')]);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as AnalyzeJson & { fleet?: unknown });
    expect(lines[lines.length - 1]!.fleet).toBeDefined();
    const docs = lines.slice(0, -1);
    expect(docs.map((d) => d.file)).toEqual(halves);
    expect(docs[0]!.packets + docs[1]!.packets).toBe(whole.packets);
    const junit = pxecheck(['analyze', '-f', 'junit', join(dir, 'halves')]);
    expect(junit.stdout.match(/<testsuite /g)).toHaveLength(2);
    expect(junit.stdout).toMatch(/^<\?xml[^\n]*\n<testsuites>\n[\s\S]*<\/testsuites>\n$/);
  });

  it('text: one report after the other under a file header; exit code is the worst of them', () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'hello\n');
    // An error finding that does not depend on the engine's verdicts: a corrupt record.
    const corrupt = patched(PCAP, 'corrupt-rec2.pcap', (b) => {
      const { at, le } = recordOffset(b, 2);
      if (le) b.writeUInt32LE(0x7fffffff, at + 8);
      else b.writeUInt32BE(0x7fffffff, at + 8);
    });
    const r = pxecheck(['analyze', PCAPNG, corrupt, notes]);
    expect(r.stdout.match(/^==> .* <==$/gm)).toEqual([`==> ${PCAPNG} <==`, `==> ${corrupt} <==`]);
    expect(r.stderr).toMatch(/^pxecheck: \S*notes\.txt is not a pcap or pcapng file/m);
    expect(r.code).toBe(2);
    expect(pxecheck(['analyze', PCAPNG, corrupt]).code).toBe(1);
    expect(pxecheck(['analyze', PCAPNG, ...halves]).code).toBe(0);
  });

  it('decode of several files marks each line with its capture', () => {
    const r = pxecheck(['decode', '-f', 'jsonl', PCAP, ZEEK]);
    const files = new Set(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { capture: string }).capture));
    expect([...files]).toEqual([PCAP, ZEEK]);
  });
});

describe('-o never replaces an input', () => {
  it('analyze, decode and run refuse, by any name of the file; the input is untouched', () => {
    const cap = join(dir, 'keep.pcap');
    copyFileSync(PCAP, cap);
    symlinkSync(cap, join(dir, 'alias.pcap'));
    const before = readFileSync(cap);
    for (const args of [
      ['analyze', cap, '-o', cap],
      ['analyze', cap, '--output', join(dir, 'alias.pcap')],
      ['analyze', '-r', 'keep.pcap', '-o', `./${'keep.pcap'}`],
      ['decode', cap, '-o', cap],
    ]) {
      const r = pxecheck(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/is the input .*keep\.pcap: refusing to overwrite it/);
    }
    const scenario = join(dir, 's.yaml');
    writeFileSync(scenario, 'clients: []\n');
    const run = pxecheck(['run', scenario, '--relay-from', '198.51.100.9', '--server', '198.51.100.1', '-o', scenario]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('refusing to overwrite');
    expect(readFileSync(scenario, 'utf8')).toBe('clients: []\n');
    expect(readFileSync(cap).equals(before)).toBe(true);
  });
});

describe('scenario alias bombs and internal errors', () => {
  it('a billion-laughs scenario is a file:line:col error, exit 2, no stack', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, cur] of [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g']] as const) {
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const bomb = join(dir, 'bomb.yaml');
    writeFileSync(bomb, `${levels.join('\n')}\nclients: *g\n`);
    for (const args of [['run', bomb, '--relay-from', '198.51.100.9', '--server', '198.51.100.1'], ['analyze', PCAP, '--scenario', bomb]]) {
      const r = pxecheck(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/bomb\.yaml:2:\d+: YAML aliases expand too far/);
      noStack(r);
    }
  });
});
