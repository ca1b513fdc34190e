/**
 * A machine that boots twice (same MAC; a reset VM re-seeds and sends the same xids, ports, IP ids
 * and TCP ISNs): each power-on is judged on its own. The capture followed by itself 120 s after its
 * last frame (field truth's `twice`, bench/field-truth.mjs) must judge each copy as the original.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis } from '../analysis/types.js';
import { CAPTURES } from '../../test/helpers/paths.js';
import { renderAnalysisText } from '../report/analyze-text.js';

const GAP_S = 120;
const hasTools = ['editcap', 'mergecap', 'capinfos'].every((t) => spawnSync(t, ['-v'], { stdio: 'ignore' }).status === 0);

function tool(name: string, args: string[]): string {
  const r = spawnSync(name, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The capture, then itself again GAP_S seconds after its last frame. */
function twice(src: string, dir: string): string {
  const [, first, last] = tool('capinfos', ['-T', '-r', '-M', '-a', '-e', '-S', src]).trim().split('\t');
  const copy = join(dir, 'copy.pcapng');
  const out = join(dir, `twice-${src.split('/').pop()}`);
  tool('editcap', ['-F', 'pcapng', '-t', String(Math.ceil(Number(last) - Number(first)) + GAP_S), src, copy]);
  tool('mergecap', ['-F', 'pcapng', '-a', '-w', out, src, copy]);
  return out;
}

const boots = (a: Analysis) => a.clients.filter((c) => c.role === 'boot');

describe.skipIf(!hasTools)('a machine booting twice: each power-on judged on its own', () => {
  let dir = '';
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pxecheck-power-on-')); });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  // broken-two-dhcp-servers: the TFTP server of the faster DHCP server refuses (ICMP port
  // unreachable); the copy's refusal is its own failure on the wire, not a stop for no reason.
  for (const name of ['lab/mtu-http-blackhole.pcapng', 'lab/mtu-tftp-8192-lost.pcapng', 'lab-v6/uefi-pxe6-kea-no-bootfile.pcapng', 'lab/broken-two-dhcp-servers.pcapng']) {
    it(`${name}: each copy's failed attempts fail as the original's, with their own root cause from their own frames`, async () => {
      const src = join(CAPTURES, name);
      const orig = await analyzeCapture(src);
      const both = await analyzeCapture(twice(src, dir));
      const n = orig.packets;
      // No error the original did not have.
      const codes = (a: Analysis) => new Set(a.findings.filter((f) => f.severity === 'error').map((f) => f.code));
      expect([...codes(both)].filter((c) => !codes(orig).has(c))).toEqual([]);
      expect(boots(both).map((c) => c.mac)).toEqual(boots(orig).map((c) => c.mac));
      for (const [i, o] of boots(orig).entries()) {
        const t = boots(both)[i]!;
        const k = o.attempts.length;
        expect(t.attempts).toHaveLength(2 * k);
        for (const a of o.attempts) {
          if (a.outcome !== 'failed') continue;
          const root = orig.findings.find((f) => f.id === a.rootCauseId)!;
          for (const [copy, b] of [[0, t.attempts[a.index]!], [1, t.attempts[a.index + k]!]] as const) {
            const what = `${o.mac} copy ${copy + 1} attempt ${b.index + 1}`;
            expect(b.outcome, what).toBe('failed');
            expect(b.rootCause, what).toBe(a.rootCause);
            const r = both.findings.find((f) => f.id === b.rootCauseId)!;
            expect({ severity: r.severity, causedBy: r.causedBy, attempt: r.attempt }, what)
              .toEqual({ severity: root.severity, causedBy: root.causedBy === null ? null : expect.any(String), attempt: b.index });
            // Its evidence is from its own boot.
            for (const fr of r.frames) expect(copy === 0 ? fr <= n : fr > n, `${what} frame ${fr}`).toBe(true);
          }
        }
      }
    });
  }

  // The phone's DHCP, then nothing: the capture holds no transfer at all (its config fetch, if
  // any, is not in it). Two minutes later it provisions again. Nothing shows the first provisioning
  // failed: a phone resets after a new config or firmware as a matter of course.
  it('lab/phone-cisco-udhcpc.pcap (DHCP only): a phone provisioning again after minutes is no failure of the first', async () => {
    const src = join(CAPTURES, 'lab/phone-cisco-udhcpc.pcap');
    const both = await analyzeCapture(twice(src, dir));
    const phone = boots(both);
    expect(phone).toHaveLength(1);
    expect(phone[0]!.attempts.map((a) => [a.entry, a.outcome])).toEqual([['phone', 'incomplete'], ['phone', 'incomplete']]);
    expect(both.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // Provisioned twice minutes apart with its server's traffic not in the capture: a warning
    // that a reboot loop would look the same, not a failure.
    expect(both.findings.filter((f) => f.code === 'boot.stopped').map((f) => f.severity)).toEqual(['warning']);
    // The first attempt is not cut by the end of the capture: it says why it is not judged.
    const lines = renderAnalysisText(both).join('\n').split('\n').filter((l) => l.includes('attempt 1 (phone'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('the capture ends');
    expect(lines[0]).toContain('no traffic of its server');
  });

  // A Cisco phone's DHCP from a field capture (filtered to ports 67/68: its TFTP config fetch
  // gone), three times 200 s apart: a reboot loop and intended resets look alike here. Each
  // attempt stays unjudged, and one warning says so; with the phone's own fetches in the capture
  // (the unfiltered capture before the loop), a provisioning that fetched nothing stops.
  it('field/phone-cisco-tftp.pcap DHCP only, 3x 200 s apart: unjudged with a reboot-loop warning; with its server\'s traffic in the capture, judged', async () => {
    const src = join(CAPTURES, 'field/phone-cisco-tftp.pcap');
    const dhcp = join(dir, 'ph-dhcp.pcap');
    tool('tshark', ['-r', src, '-Y', 'udp.port == 67 || udp.port == 68', '-F', 'pcap', '-w', dhcp]);
    const copies = [200, 400].map((t) => {
      const out = join(dir, `ph-${t}.pcap`);
      tool('editcap', ['-F', 'pcap', '-t', String(t), dhcp, out]);
      return out;
    });
    const loop = join(dir, 'ph-loop.pcap');
    tool('mergecap', ['-F', 'pcap', '-w', loop, dhcp, ...copies]);
    const a = await analyzeCapture(loop);
    const phone = boots(a)[0]!;
    expect(phone.attempts.map((x) => x.outcome)).toEqual(['incomplete', 'incomplete', 'incomplete']);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const warn = a.findings.filter((f) => f.code === 'boot.stopped');
    expect(warn.map((f) => f.severity)).toEqual(['warning']);
    expect(warn[0]!.message).toMatch(/3 times/);
    const lines = renderAnalysisText(a).join('\n').split('\n').filter((l) => /attempt [12] \(phone/.test(l));
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).not.toContain('the capture ends');
    // The same loop after the phone's whole capture (300 s earlier, its TFTP server's traffic in it).
    const early = join(dir, 'ph-early.pcap');
    tool('editcap', ['-F', 'pcap', '-t', '-300', src, early]);
    const mixed = join(dir, 'ph-mixed.pcap');
    tool('mergecap', ['-F', 'pcap', '-w', mixed, early, loop]);
    const m = await analyzeCapture(mixed);
    expect(m.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toContain('boot.stopped');
  });

  // The same capture without transfers, an entry no server answered (HTTP boot's DISCOVERs) and
  // the machine booting again minutes later: that entry failed on the wire, whatever the gap.
  it('lab-v6/uefi-pxe6-kea-no-bootfile.pcapng (no transfers): an unanswered entry before a reboot still fails', async () => {
    const both = await analyzeCapture(twice(join(CAPTURES, 'lab-v6/uefi-pxe6-kea-no-bootfile.pcapng'), dir));
    const http4 = boots(both)[0]!.attempts.filter((a) => a.entry === 'http4');
    expect(http4.map((a) => [a.outcome, a.rootCause])).toEqual([['failed', 'dhcp.no-offer'], ['incomplete', null]]);
  });

  // Phones judged on what the capture shows: one whose config arrived boots in each copy, one
  // given no provisioning server (no option 150/66) fails in each.
  it('phones with their transfers: each copy judged as the original (booted, or failed for its own reason)', async () => {
    for (const [name, outcomes] of [['field/phone-cisco-tftp.pcap', ['booted', 'booted']], ['lab/phone-cisco-no-option150.pcap', ['failed', 'failed']]] as const) {
      const both = await analyzeCapture(twice(join(CAPTURES, name), dir));
      expect(boots(both)[0]!.attempts.map((a) => a.outcome), name).toEqual(outcomes);
      expect(both.findings.map((f) => f.code), name).not.toContain('boot.stopped');
    }
  });
});
