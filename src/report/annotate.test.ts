import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../capture/index.js';
import { analyzeCapture } from '../analysis/capture.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';
import { CAPTURES } from '../../test/helpers/paths.js';
import { UsageError } from '../cli/exit-codes.js';
import { main } from '../cli/main.js';
import { findingComments, writeAnnotated } from './annotate.js';

const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-annotate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const LAB = join(CAPTURES, 'lab');
/** Joins a frame's comments (tshark takes one character). */
const AGG = '~';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  expect(r.status, `${cmd} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Frame number → its comments, as tshark reads them. */
function tsharkComments(file: string): Map<number, string[]> {
  const rows = tsharkFields(file, ['frame.number', 'frame.comment'], { filter: 'frame.comment', occurrence: 'a', aggregator: AGG });
  return new Map(rows.map((r) => [Number(r[0]), r[1]!.split(AGG)]));
}

/** Per frame: what tshark says of its time (nanosecond text, no double), lengths and interface
 *  (a classic pcap has no interface id: it is interface 0 once converted). */
function tsharkFrames(file: string): string[] {
  return tsharkFields(file, ['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.interface_id', 'frame.encap_type'])
    .map((r) => r.map((c, i) => (i === 4 && c === '' ? '0' : c)).join('\t'));
}

/** Our reader's records: link type, original length and the bytes. */
function records(file: string): string[] {
  const out: string[] = [];
  readCaptureBuffer(new Uint8Array(readFileSync(file)), (r) => out.push(`${r.frame} ${r.linkType} ${r.origLen} ${Buffer.from(r.data).toString('hex')}`));
  return out;
}

/** capinfos' interface description (link type, snap length, time precision), file name lines dropped. */
function interfaces(file: string): string[] {
  return run('capinfos', [file]).split('\n').filter((l) => /Encapsulation =|Capture length =|Time precision =|Number of interfaces/.test(l)).map((l) => l.trim());
}

const cases: Array<[string, () => string]> = [
  ['pcapng (lab, findings on TFTP and DHCPv6 frames)', () => join(LAB, 'broken-missing-tftp-file.pcapng')],
  ['classic pcap, microseconds', () => join(LAB, 'phone-cisco-no-option150.pcap')],
  ['classic pcap, nanoseconds', () => {
    const nano = join(tmp, 'nano0.pcap');
    run('editcap', ['-F', 'nsecpcap', join(LAB, 'broken-two-dhcp-servers.pcapng'), nano]);
    const shifted = join(tmp, 'nano.pcap');
    run('editcap', ['-t', '0.000000123', nano, shifted]); // real nanosecond digits
    return shifted;
  }],
  ['pcapng with a comment already on frame 1', () => {
    const f = join(tmp, 'commented.pcapng');
    run('editcap', ['-a', '1:kept, as it was', join(LAB, 'broken-two-dhcp-servers.pcapng'), f]);
    return f;
  }],
];

describe.skipIf(!hasTshark())('analyze --annotate: findings as packet comments, nothing else changed', () => {
  it.each(cases)('%s', async (_what, make) => {
    const input = make();
    const out = join(tmp, `out-${Math.random().toString(36).slice(2)}.pcapng`);
    const analysis = await analyzeCapture(input);
    const withFrames = analysis.findings.filter((f) => f.frames.length > 0);
    expect(withFrames.length).toBeGreaterThan(0);
    await writeAnnotated(analysis, input, out);

    const before = tsharkComments(input);
    const after = tsharkComments(out);
    // Every evidence frame carries its finding's comment…
    const texts = findingComments(analysis.findings);
    analysis.findings.forEach((f, i) => {
      for (const frame of f.frames) {
        expect(after.get(frame), `frame ${frame}`).toContain(texts[i]);
        expect(texts[i]).toContain(`${f.severity} ${f.code}`);
        expect(texts[i]).toContain(f.message);
      }
    });
    // …and only evidence frames (or frames commented before) carry comments; old comments stay first.
    const evidence = new Set(withFrames.flatMap((f) => f.frames));
    for (const [frame, list] of after) {
      const old = before.get(frame) ?? [];
      expect(evidence.has(frame) || old.length > 0, `frame ${frame}`).toBe(true);
      expect(list.slice(0, old.length)).toEqual(old);
      for (const c of list.slice(old.length)) expect(c).toMatch(/^pxecheck (error|warning|info) [a-z0-9-]+\.[a-z0-9.-]+( \[PXE-E[0-9A-F]{2}\])?: /);
    }
    // The summary is the section comment.
    expect(run('capinfos', ['-k', out])).toMatch(/Capture comment:\s+pxecheck analyze: \d+ boot client/);
    // Frames: same order, times (to the nanosecond), lengths, interfaces, bytes.
    expect(tsharkFrames(out)).toEqual(tsharkFrames(input));
    expect(records(out)).toEqual(records(input));
    expect(interfaces(out)).toEqual(interfaces(input));
    expect(run('capinfos', ['-t', out])).toMatch(/pcapng/);
  });

  it('refuses to overwrite the input, by name or through a link, and a missing directory', async () => {
    const input = join(LAB, 'broken-two-dhcp-servers.pcapng');
    const analysis = await analyzeCapture(input);
    const before = readFileSync(input);
    await expect(writeAnnotated(analysis, input, input)).rejects.toThrow(UsageError);
    const link = join(tmp, 'link.pcapng');
    symlinkSync(input, link);
    await expect(writeAnnotated(analysis, input, link)).rejects.toThrow(UsageError);
    expect(readFileSync(input).equals(before)).toBe(true);
    await expect(writeAnnotated(analysis, input, join(tmp, 'no-such-dir', 'x.pcapng'))).rejects.toThrow(/does not exist/);
  });

  it('the CLI: exit 2 with a one-line message for the input as output; the copy next to a normal report', async () => {
    const input = join(LAB, 'broken-two-dhcp-servers.pcapng');
    let err = '';
    expect(await main(['analyze', input, '--annotate', input, '-o', join(tmp, 'r1.txt')], { stderr: (s) => (err += s) })).toBe(2);
    expect(err).toMatch(/^pxecheck: --annotate .*input capture/);
    const out = join(tmp, 'cli.pcapng');
    const code = await main(['analyze', input, '--annotate', out, '-f', 'json', '-o', join(tmp, 'r2.json')], { stderr: () => {} });
    expect(code).toBe(1); // the capture has an error finding
    expect(tsharkComments(out).size).toBeGreaterThan(0);
  });
});
