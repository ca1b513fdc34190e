/**
 * A TFTP file name or ERROR message the snap length cut is shown as cut (ending in "…", `cut` in
 * the JSON) and a cut name is never compared as a whole one: real lab captures cut by the snap
 * lengths of field captures (`tcpdump -s`, `editcap -s`).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** RRQ "missing/bootx64.efi" (104 bytes), ERROR 1 "file /tmp/…/bootx64.efi not found for …" (129). */
const MISSING = join(CAPTURES, 'lab', 'broken-missing-tftp-file.pcapng');
/** iPXE fetching "undionly.kpxe" again and again (RRQ frames of 85 bytes). */
const LOOP = join(CAPTURES, 'lab', 'broken-ipxe-loop.pcapng');
const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-tftp-cut-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function analyzeCut(file: string, snap?: number): Promise<Analysis> {
  const out = join(tmp, `${snap ?? 'whole'}.pcap`);
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

  it('a name cut in every request: each shown cut, and no chainload loop from names cut alike', async () => {
    const whole = await analyzeCut(LOOP);
    expect(whole.findings.map((f) => f.code)).toContain('ipxe.chainload-loop');
    const a = await analyzeCut(LOOP, 50);
    expect(a.findings.map((f) => f.code)).not.toContain('ipxe.chainload-loop');
    expect(tftpSteps(a).every((s) => s.cut === 'file' && s.file.endsWith('…'))).toBe(true);
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
