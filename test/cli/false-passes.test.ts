/**
 * Captures built from real ones (test/fixtures/false-passes/README.md) where a failed boot passed:
 * an error lowered by a request that never loaded, by OS web traffic, or by a transfer counted as
 * going on because the client kept asking; a stall after an ICMP judged by nothing; one DHCP
 * exchange split in two by a client's jittery secs.
 */
import { describe, expect, it } from 'vitest';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Analysis } from '../../src/analysis/types.js';

const DIR = join(ROOT, 'test/fixtures/false-passes');

function analyze(name: string): Promise<Analysis> {
  return analyzeCapture({ name, stream: createReadStream(join(DIR, name)) }, { name });
}

const severities = (a: Analysis, code: string): string[] => a.findings.filter((f) => f.code === code).map((f) => f.severity);

describe('false passes a reviewer found', () => {
  it('a transfer that went on after an ICMP and then stalled fails on tftp.timeout', async () => {
    const a = await analyze('stall-after-icmp.pcap');
    expect(severities(a, 'tftp.timeout')).toEqual(['error']);
    expect(severities(a, 'net.port-unreachable')).toEqual(['warning']);
    expect(a.clients[0]!.outcome).toBe('failed');
  });

  it('an RRQ the client only sent again, each refused by ICMP, is the error however many ICMPs the capture holds', async () => {
    for (const name of ['unreach-rrq-4.pcap', 'unreach-rrq-5.pcap']) {
      const a = await analyze(name);
      expect(severities(a, 'net.port-unreachable'), name).toEqual(['error']);
      expect(a.clients[0]!.outcome, name).toBe('failed');
    }
  });

  it("an OS's web traffic after a missing boot file does not lower the tftp.error", async () => {
    const a = await analyze('a-os-http.pcap');
    expect(severities(a, 'tftp.error')).toEqual(['error']);
    expect(a.clients[0]!.outcome).toBe('failed');
  });

  it('a phone whose own and default configs are both missing fails on its own config, cut or looping', async () => {
    for (const name of ['phone-cut.pcap', 'phone-default-missing-then-retry.pcap']) {
      const a = await analyze(name);
      const c = a.clients[0]!;
      expect(c.outcome, name).toBe('failed');
      const root = a.findings.find((f) => f.id === c.attempts[0]!.rootCauseId);
      expect(root?.code, name).toBe('tftp.error');
      expect(root?.message, name).toMatch(/SEP[0-9A-F]{12}\.cnf\.xml/);
      // The optional CTL/ITL files stay warnings (or consequences of the root cause).
      for (const f of a.findings.filter((x) => x.code === 'tftp.error' && /\.tlv"/.test(x.message))) expect(f.severity, name).not.toBe('error');
    }
  });

  it('a phone that loaded XMLDefault.cnf.xml booted with defaults: a phone.default-config warning', async () => {
    const a = await analyze('phone-default-ok.pcap');
    expect(a.clients[0]!.outcome).toBe('booted');
    expect(severities(a, 'phone.default-config')).toEqual(['warning']);
    expect(a.findings.some((f) => f.code === 'tftp.error' && /SEP[0-9A-F]{12}\.cnf\.xml/.test(f.message))).toBe(false);
  });

  it('DISCOVERs whose secs went back (8, then 4) seconds apart and unanswered stay one exchange', async () => {
    const a = await analyze('phone-secs-8-4.pcap');
    const dhcp = a.clients[0]!.steps.filter((s) => s.kind === 'dhcp4');
    expect(dhcp).toHaveLength(1);
    expect(a.clients[0]!.attempts).toHaveLength(1);
  });
});
