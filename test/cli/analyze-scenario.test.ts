/** `pxecheck analyze FILE --scenario SCENARIO`: a scenario's expectations applied to a recorded boot. */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../../src/scenario/driver.js';

const dir = mkdtempSync(join(tmpdir(), 'pxecheck-offline-'));
function io() {
  const err: string[] = [];
  return { stderr: (s: string) => { err.push(s); }, stdoutIsTTY: false, stderrIsTTY: false, env: {}, err };
}

const FIRMWARE_ONLY = `
name: firmware
budget: 5m
clients:
  - persona: uefi-x64
    mac: 52:54:00:00:00:01
    steps:
      - dhcp: { name: firmware DORA, within: 10s, expect: { type: ack, bootfile: { matches: '\\.efi$' } } }
      - tftp: { file: "\${bootfile}", within: 30s, expect: { error: false } }
`;

describe('analyze --scenario', () => {
  it('checks a recorded UEFI boot step by step (offline)', async () => {
    const sc = join(dir, 'fw.yaml');
    writeFileSync(sc, FIRMWARE_ONLY);
    const out = join(dir, 'o.json');
    const o = io();
    const code = await main(['analyze', 'captures/lab/uefi-pxe-dnsmasq.pcapng', '--scenario', sc, '-f', 'json', '-o', out], o);
    const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    const steps = r.scenarios[0]!.clients[0]!.steps;
    expect(steps.map((s) => [s.name, s.error])).toEqual([['firmware DORA', null], [expect.stringMatching(/TFTP|tftp/), null]]);
    expect(code).toBe(0);
    expect(steps[0]!.details['note']).toMatch(/checked its only client/);
  });

  it('fails a recorded boot without a boot file', async () => {
    const sc = join(dir, 'fw2.yaml');
    writeFileSync(sc, FIRMWARE_ONLY);
    const out = join(dir, 'o2.txt');
    const code = await main(['analyze', 'captures/lab/broken-no-bootfile.pcapng', '--scenario', sc, '-o', out], io());
    expect(code).toBe(1);
    expect(readFileSync(out, 'utf8')).toMatch(/boot file: expected to match/);
  });
});
