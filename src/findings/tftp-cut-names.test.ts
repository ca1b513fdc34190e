/**
 * A TFTP file name or ERROR message the snap length cut is shown as cut (ending in "…", `cut` in
 * the JSON) and a cut name is never compared as a whole one: real lab captures cut by the snap
 * lengths of field captures (`tcpdump -s`, `editcap -s`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPTURES } from '../../test/helpers/paths.js';
import { cutCapture, ethernetPcap } from '../../test/helpers/splice.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { analyzeCapture } from '../analysis/capture.js';
import { renderAnalysisText } from '../report/analyze-text.js';
import { renderAnalysisJson } from '../report/analyze-json.js';
import { analyzeJsonSchema } from '../report/analyze-schema.js';
import type { Analysis } from '../analysis/types.js';
import type { TftpStep } from '../flow/types.js';
import { knownName, sameFileAsSeen } from '../flow/classify.js';

/** RRQ "missing/bootx64.efi" (104 bytes), ERROR 1 "file /tmp/…/bootx64.efi not found for …" (129). */
const MISSING = join(CAPTURES, 'lab', 'broken-missing-tftp-file.pcapng');
/** iPXE fetching "undionly.kpxe" again and again (RRQ frames of 85 bytes). */
const LOOP = join(CAPTURES, 'lab', 'broken-ipxe-loop.pcapng');
/** UEFI PXE, dnsmasq: a tsize probe of "snponly.efi" (ended by ERROR 8), then its transfer. */
const DNSMASQ = join(CAPTURES, 'lab', 'uefi-pxe-dnsmasq.pcapng');
const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-tftp-cut-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function analyzeCut(file: string, snap?: number): Promise<Analysis> {
  const out = join(tmp, `${basename(file)}-${snap ?? 'whole'}.pcap`);
  writeFileSync(out, cutCapture(file, snap === undefined ? {} : { snap }));
  return analyzeCapture(out);
}

const tftpSteps = (a: Analysis): TftpStep[] => a.clients.flatMap((c) => c.steps.flatMap((s) => (s.kind === 'tftp' ? [s] : [])));

function validJson(a: Analysis): Record<string, unknown> {
  const j = JSON.parse(renderAnalysisJson(a)) as Record<string, unknown>;
  expect(analyzeJsonSchema.safeParse(j).success).toBe(true);
  return j;
}

describe('cut TFTP names and messages (real captures)', () => {
  it('whole: the name and the message as sent, nothing marked cut', async () => {
    const a = await analyzeCut(MISSING);
    const [s] = tftpSteps(a);
    expect(s!.file).toBe('missing/bootx64.efi');
    expect(s!.cut).toBeUndefined();
    expect(s!.error).toEqual({ code: 1, message: expect.stringMatching(/not found for 198\.51\.100\.187$/) });
  });

  it('snap 96: the ERROR message cut is shown cut — in the step, the finding, the text and the JSON', async () => {
    const a = await analyzeCut(MISSING, 96);
    const [s] = tftpSteps(a);
    expect(s!.file).toBe('missing/bootx64.efi'); // the name ends before the cut, its options do not
    expect(s!.cut).toBe('options');
    expect(s!.error!.cut).toBe(true);
    expect(s!.error!.message).toMatch(/^file \/tmp\/.*…$/);
    expect(s!.error!.message).not.toContain('for 198.51.100.187');
    const f = a.findings.find((x) => x.code === 'tftp.error')!;
    expect(f.message).toContain('…)');
    const text = renderAnalysisText(a).join('\n');
    expect(text).toContain('ERROR 1 file /tmp/');
    expect(text).toContain('bootx64.…');
    expect(text).not.toContain('not found for');
    validJson(a);
  });

  it('snap 56: the file name cut is shown cut, marked `cut: file`, never as the whole name', async () => {
    const a = await analyzeCut(MISSING, 56);
    const [s] = tftpSteps(a);
    expect(s!.cut).toBe('file');
    expect(s!.file).toMatch(/^missing\/b.*…$/);
    expect(s!.file).not.toBe('missing/bootx64.efi');
    const text = renderAnalysisText(a).join('\n');
    expect(text).toContain(`RRQ ${s!.file}`);
    for (const f of a.findings) expect(f.message).not.toMatch(/"missing\/boot[^…"]*"/);
    const j = validJson(a) as { clients: { steps: { kind: string; cut?: string }[] }[] };
    expect(j.clients.flatMap((c) => c.steps).filter((x) => x.kind === 'tftp').map((x) => x.cut)).toEqual(['file']);
  });

  it('a name cut in every request: each shown cut; the loop found where the name survived, not where it did not', async () => {
    const whole = await analyzeCut(LOOP);
    expect(whole.findings.map((f) => f.code)).toContain('ipxe.chainload-loop');
    // Snap 57 keeps all of "undionly.kpxe" but its NUL: the same captured name each time.
    const kept = await analyzeCut(LOOP, 57);
    expect(tftpSteps(kept).every((s) => s.cut === 'file' && s.file === 'undionly.kpxe…')).toBe(true);
    expect(kept.findings.map((f) => f.code)).toContain('ipxe.chainload-loop');
    expect(kept.clients.map((c) => c.outcome)).toEqual(['failed']);
    // Snap 50 keeps "undion": names cut alike, but nothing says a boot program: no loop, no boot.
    const a = await analyzeCut(LOOP, 50);
    expect(a.findings.map((f) => f.code)).not.toContain('ipxe.chainload-loop');
    expect(tftpSteps(a).every((s) => s.cut === 'file' && s.file.endsWith('…'))).toBe(true);
    expect(a.clients.map((c) => c.outcome)).not.toContain('booted');
  });

  // snponly.efi (RRQ of 96 and 88 bytes): at 55, 54 and 52 the name is cut in both the tsize probe
  // and the transfer; the capture's DHCP is cut before its client can be told (no name to match).
  it.each([55, 54, 52])('a tsize probe and its transfer, both names cut (snap %i): still a probe, and a cut name is never booted', async (snap) => {
    const a = await analyzeCut(DNSMASQ, snap);
    const steps = tftpSteps(a);
    expect(steps.map((s) => [s.cut, s.probe])).toEqual([['file', true], ['file', false]]);
    expect(a.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual([]);
    expect(a.findings.map((f) => f.code)).not.toContain('tftp.error');
    expect(a.clients.map((c) => c.outcome)).toEqual(['incomplete']);
  });
});

describe('names the capture cut, classified as far as seen', () => {
  it('a cut name that starts a DHCP-named file is that file; else unknown', () => {
    expect(knownName('undionly.kp…', true, ['undionly.kpxe'])).toBe('undionly.kpxe');
    expect(knownName('boot/x…', true, ['/boot/x.efi'])).toBe('/boot/x.efi');
    expect(knownName('pxelinux.…', true, ['pxelinux.0', 'pxelinux.cfg/default'])).toBeNull();
    expect(knownName('vmlinuz…', true, ['undionly.kpxe'])).toBeNull();
    expect(knownName('…', true, ['undionly.kpxe'])).toBeNull();
    expect(knownName('undionly.kpxe', false, [])).toBe('undionly.kpxe');
  });

  it('the same file as far as seen: whole and equal, or one captured part the start of the other', () => {
    expect(sameFileAsSeen('a.efi', false, 'a.efi', false)).toBe(true);
    expect(sameFileAsSeen('a.e…', true, 'a.efi', false)).toBe(true);
    expect(sameFileAsSeen('a.e…', true, 'a.efi…', true)).toBe(true);
    expect(sameFileAsSeen('a.e…', true, 'b.efi', false)).toBe(false);
    expect(sameFileAsSeen('a.efi', false, 'a.efi.bak', false)).toBe(false);
  });
});

describe('a cut Cisco CTL/ITL name is still possibly an optional security file (real capture)', () => {
  /** A Cisco phone: RRQ CTLSEP5254008E4102.tlv (81 bytes) → ERROR 1, ITLSEP… → ERROR 1, then its
   *  configuration. Cut after the ITL error: no later file loaded lowers the errors. */
  const PHONE = join(CAPTURES, 'field', 'phone-cisco-tftp.pcap');
  async function phoneUntilItl(snap?: number): Promise<Analysis> {
    const frames = loadFrames(PHONE).filter((f) => f.frame <= 17);
    const out = join(tmp, `phone-${snap ?? 'whole'}.pcap`);
    writeFileSync(out, ethernetPcap(frames, snap === undefined ? {} : { snap }));
    return analyzeCapture(out);
  }
  const errors = (a: Analysis) => a.findings.filter((f) => f.code === 'tftp.error');

  it.each([undefined, 56, 60, 64])('snap %s: the missing CTL and ITL files are warnings (a phone without security goes on)', async (snap) => {
    const found = errors(await phoneUntilItl(snap));
    expect(found).toHaveLength(2);
    for (const f of found) expect([f.severity, f.message]).toEqual(['warning', expect.stringMatching(/optional security file/)]);
  });
});
