import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasTshark } from '../../test/helpers/tshark.js';
import { pcapOf } from '../../test/helpers/pcap.js';
import { CAPTURES } from '../../test/helpers/paths.js';
import { content, TftpConvo } from '../export/export.test-kit.js';
import { recordTwice } from '../decode/duplicate-frames.test-kit.js';
import type { ExportManifest } from '../export/manifest.js';
import { checkExportArgs, runExport } from './export.js';
import { UsageError } from './exit-codes.js';
import { CaptureFormatError } from '../capture/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(tmp, `out${++n}`);

async function exportTo(file: string, dir = freshDir(), keepDuplicates = false): Promise<{ code: number; dir: string; manifest: ExportManifest; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runExport({ file, dir, format: 'text', keepDuplicates }, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, dir, manifest: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ExportManifest, stdout, stderr };
}

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

/** sha256 of every object tshark's --export-objects writes (tftp and http, one run). */
function tsharkObjects(capture: string): string[] {
  const d = join(tmp, `tshark${++n}`);
  const dirs = ['tftp', 'http'].map((p) => join(d, p));
  const r = spawnSync('tshark', ['-r', capture, '-q', ...dirs.flatMap((x, i) => ['--export-objects', `${['tftp', 'http'][i]},${x}`])], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const out: string[] = [];
  for (const x of dirs) {
    let files: string[] = [];
    try {
      files = readdirSync(x);
    } catch {
      // tshark makes the directory only when it has an object for it
    }
    for (const f of files) out.push(sha(join(x, f)));
  }
  return out.sort();
}

const LAB = join(CAPTURES, 'lab');
const ORACLE_CASES: Array<[string, string[]]> = [
  ['lab/uefi-pxe-dnsmasq.pcapng', ['snponly.efi', 'boot.ipxe', 'vmlinuz', 'initrd.img']],
  ['lab/proxydhcp-with-kea.pcapng', ['boot.ipxe']],
  ['lab/lossy-tftp.pcapng', ['snponly.efi']],
  ['lab-v6/uefi-pxe6-kea.pcapng', ['snponly.efi']],
  ['lab-v6/uefi-http6-kea.pcapng', ['snponly.efi', 'boot.ipxe', 'vmlinuz', 'initrd.img']],
  ['lab/bios-ipxe-dnsmasq.pcap', ['boot.ipxe', 'vmlinuz', 'initrd.img']],
  ['lab/broken-ipxe-loop.pcapng', ['undionly.kpxe']],
  ['public/spicy-tftp/tftp_rrq.pcap', []],
  ['public/spicy-tftp/tftp_wrq.pcap', []],
  ['public/spicy-tftp/tftp_oack.pcap', []],
];

describe.skipIf(!hasTshark())('export agrees with tshark --export-objects', () => {
  it.each(ORACLE_CASES)('%s: the same files (sha256), all complete', async (rel, names) => {
    const capture = join(CAPTURES, rel);
    const want = tsharkObjects(capture);
    expect(want.length).toBeGreaterThan(0);
    const { code, dir, manifest } = await exportTo(capture);
    const complete = manifest.objects.filter((o) => o.complete);
    expect(complete.map((o) => o.sha256).sort()).toEqual(want);
    for (const o of complete) expect(sha(join(dir, o.file))).toBe(o.sha256);
    for (const name of names) expect(complete.map((o) => o.file)).toContain(name);
    expect(code).toBe(manifest.objects.every((o) => o.complete) ? 0 : 1);
  });
});

describe.skipIf(!hasTshark())('incomplete transfers are marked, never silently short', () => {
  const full = join(LAB, 'uefi-pxe-dnsmasq.pcapng');

  it.each([
    ['a TFTP download cut by the end of the capture', 100, 'snponly.efi'],
    ['an HTTP body cut by the end of the capture', 290, 'initrd.img'],
  ])('%s', async (_what, lastFrame, name) => {
    const cut = join(tmp, `cut-${lastFrame}.pcapng`);
    const r = spawnSync('editcap', ['-r', full, cut, `1-${lastFrame}`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const whole = await exportTo(full);
    const part = await exportTo(cut);
    expect(part.code).toBe(1);
    const o = part.manifest.objects.find((x) => x.file === `${name}.partial`);
    expect(o, JSON.stringify(part.manifest.objects)).toBeDefined();
    expect(o!.complete).toBe(false);
    expect(o!.problem).toBeTruthy();
    const fullBytes = readFileSync(join(whole.dir, name));
    const partBytes = readFileSync(join(part.dir, o!.file));
    expect(partBytes.length).toBe(o!.size);
    expect(partBytes.length).toBeGreaterThan(0);
    expect(partBytes.length).toBeLessThan(fullBytes.length);
    expect(Buffer.compare(partBytes, fullBytes.subarray(0, partBytes.length))).toBe(0);
    expect(part.stdout).toMatch(/INCOMPLETE/);
  });
});

describe('a capture recorded twice by a mirror port', () => {
  // TFTP and HTTP (lab/uefi-pxe-dnsmasq), TFTP with real retransmissions after timeouts (lossy-tftp).
  it.each(['lab/uefi-pxe-dnsmasq.pcapng', 'lab/lossy-tftp.pcapng'])('%s: the same files and manifest counts as the original; the copies are noted', async (rel) => {
    const capture = join(CAPTURES, rel);
    const twice = recordTwice(readFileSync(capture), 20e-6);
    const doubled = join(tmp, `twice-${++n}.pcapng`);
    writeFileSync(doubled, twice.bytes);
    const orig = await exportTo(capture);
    const dup = await exportTo(doubled);
    expect(dup.code).toBe(orig.code);
    expect(orig.manifest.objects.length).toBeGreaterThan(0);
    // Everything but the frame numbers, which map back to the original's through `twice.original`.
    const facts = (m: ExportManifest, map: (f: number) => number | null): unknown[] =>
      m.objects.map(({ firstFrame, lastFrame, ...o }) => ({ ...o, firstFrame: map(firstFrame), lastFrame: map(lastFrame) }));
    expect(facts(dup.manifest, (f) => twice.original[f] ?? null)).toEqual(facts(orig.manifest, (f) => f));
    for (const o of dup.manifest.objects) expect(readFileSync(join(dup.dir, o.file))).toEqual(readFileSync(join(orig.dir, o.file)));
    expect(dup.stderr).toMatch(/^pxecheck: note: .*twice-\d+\.pcapng: \d+ frame\(s\) repeated .*--keep-duplicates/);
    expect(orig.stderr).toBe('');
  });

  it('--keep-duplicates: the copies counted as frames of their transfers (as repeats), the files still the same', async () => {
    const capture = join(LAB, 'uefi-pxe-dnsmasq.pcapng');
    const doubled = join(tmp, `twice-${++n}.pcapng`);
    writeFileSync(doubled, recordTwice(readFileSync(capture), 20e-6).bytes);
    const orig = await exportTo(capture);
    const kept = await exportTo(doubled, freshDir(), true);
    const tftp = (m: ExportManifest): ExportManifest['objects'] => m.objects.filter((o) => o.protocol === 'tftp');
    expect(tftp(orig.manifest).length).toBeGreaterThan(0);
    // About twice the frames: a copy after the transfer's last block belongs to no transfer any more.
    tftp(orig.manifest).forEach((o, i) => {
      const frames = tftp(kept.manifest)[i]!.frames;
      expect(frames).toBeGreaterThan(1.9 * o.frames);
      expect(frames).toBeLessThanOrEqual(2 * o.frames);
    });
    expect(kept.manifest.objects.map((o) => o.sha256)).toEqual(orig.manifest.objects.map((o) => o.sha256));
    expect(kept.stderr).toBe('');
  });
});

describe('file names from the network', () => {
  it('hostile names stay inside the directory; collisions get a suffix', async () => {
    const file = content(100);
    const names = ['../../etc/x', '..\\..\\win.ini', '/abs/path/a.efi', 'a.efi', 'A.EFI', '\u001b[31mred', '..', 'manifest.json'];
    const frames = names.flatMap((name, i) => new TftpConvo(2000 + i, 3000 + i).rrq(name).file(file, 512).frames);
    const capture = join(tmp, 'hostile.pcap');
    writeFileSync(capture, pcapOf(frames));
    const base = freshDir();
    mkdirSync(base);
    const dir = join(base, 'inner');
    const { code, manifest, stdout } = await exportTo(capture, dir);
    expect(code).toBe(0);
    expect(readdirSync(base)).toEqual(['inner']); // nothing escaped
    const files = manifest.objects.map((o) => o.file);
    expect(files).toHaveLength(names.length);
    expect(new Set(files.map((f) => f.toLowerCase())).size).toBe(names.length);
    expect(readdirSync(dir).sort()).toEqual([...files, 'manifest.json'].sort());
    for (const f of files) {
      expect(f).not.toMatch(/[/\\\u0000-\u001f]/);
      expect(f.startsWith('.')).toBe(false);
      expect(sha(join(dir, f))).toBe(manifest.objects.find((o) => o.file === f)!.sha256);
    }
    expect(files).toContain('x');
    expect(files).toContain('a.efi');
    expect(files).toContain('a-2.efi');
    expect(manifest.objects.map((o) => o.name)).toEqual(names);
    expect(stdout).not.toContain('\u001b');
  });

  it('refuses a non-empty directory, a missing --dir, and leaves no directory for a file that is not a capture', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep'), 'x');
    await expect(runExport({ file: join(LAB, 'uefi-pxe-dnsmasq.pcapng'), dir, format: 'text' }, { stdout: () => {}, stderr: () => {} })).rejects.toThrow(UsageError);
    expect(() => checkExportArgs({ file: 'x.pcap' })).toThrow(/--dir/);
    const notCapture = join(tmp, 'not-a-capture.txt');
    writeFileSync(notCapture, 'hello, this is text');
    const target = freshDir();
    await expect(runExport({ file: notCapture, dir: target, format: 'text' }, { stdout: () => {}, stderr: () => {} })).rejects.toThrow(CaptureFormatError);
    expect(existsSync(target)).toBe(false);
  });
});

describe('pxecheck export (CLI)', () => {
  it('exit 0 and the table for a complete export; exit 2 with one line for a missing --dir', async () => {
    const { main } = await import('./main.js');
    let out = '';
    let err = '';
    const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (err += s) };
    expect(await main(['export', join(LAB, 'bios-ipxe-dnsmasq.pcap'), '--dir', freshDir()], io)).toBe(0);
    expect(out).toMatch(/vmlinuz/);
    expect(out).toMatch(/3 object\(s\), 0 incomplete/);
    expect(await main(['export', join(LAB, 'bios-ipxe-dnsmasq.pcap')], io)).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/--dir/);
  });
});

describe('many transfers at once', () => {
  it('more concurrent transfers than open files allowed: every file whole', async () => {
    const count = 40; // > the directory sink's 32 open descriptors
    const files = Array.from({ length: count }, (_, i) => content(512 * 3 + i, i + 1));
    const convos = files.map((f, i) => new TftpConvo(2000 + i, 3000 + i).rrq(`f${i}.bin`).file(f, 512).frames);
    const frames: Uint8Array[] = [];
    for (let k = 0; convos.some((c) => k < c.length); k++) for (const c of convos) if (k < c.length) frames.push(c[k]!);
    const capture = join(tmp, 'many.pcap');
    writeFileSync(capture, pcapOf(frames));
    const { code, dir, manifest } = await exportTo(capture);
    expect(code).toBe(0);
    expect(manifest.objects).toHaveLength(count);
    files.forEach((f, i) => {
      const o = manifest.objects.find((x) => x.name === `f${i}.bin`)!;
      expect(o.complete).toBe(true);
      expect(sha(join(dir, o.file))).toBe(createHash('sha256').update(f).digest('hex'));
    });
  });
});
