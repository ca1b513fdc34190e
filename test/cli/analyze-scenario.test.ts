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

describe('analyze --scenario over IPv6 (real OVMF captures)', () => {
  async function offline(capture: string, scenario: string): Promise<{ code: number; steps: RunResult['scenarios'][number]['clients'][number]['steps'] }> {
    const out = join(dir, `${scenario.replace(/\W/g, '_')}-${capture.replace(/\W/g, '_')}.json`);
    const code = await main(['analyze', capture, '--scenario', scenario, '-f', 'json', '-o', out], io());
    const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    return { code, steps: r.scenarios[0]!.clients[0]!.steps };
  }

  it('uefi-httpboot-v6.yaml holds for OVMF HTTP boot over IPv6 against Kea: the exchange with the URL, the GET (not the HEAD)', async () => {
    const { code, steps } = await offline('captures/lab-v6/uefi-http6-kea.pcapng', 'scenarios/uefi-httpboot-v6.yaml');
    expect(steps.map((s) => [s.name, s.error])).toEqual([
      ['router advertisement', null], ['firmware DHCPv6', null], ['download the boot image', null],
    ]);
    expect(code).toBe(0);
  });

  it('the dnsmasq HTTPv6 capture fails the DHCPv6 step: the firmware never requested (malformed option 16)', async () => {
    const { code, steps } = await offline('captures/lab-v6/uefi-http6-dnsmasq.pcapng', 'scenarios/uefi-httpboot-v6.yaml');
    expect(code).toBe(1);
    expect(steps[1]!.error).toMatch(/^message type: expected reply, found advertise$/m);
    expect(steps[2]!.error).toMatch(/no recorded http step matches/);
  });

  it('uefi-ipxe-v6.yaml on the PXEv6 capture: firmware exchange and TFTP by URL pass; a server without option 59 fails', async () => {
    const good = await offline('captures/lab-v6/uefi-pxe6-kea.pcapng', 'scenarios/uefi-ipxe-v6.yaml');
    expect(good.steps.slice(0, 3).map((s) => [s.name, s.error])).toEqual([
      ['router advertisement', null], ['firmware DHCPv6', null], ['fetch the iPXE binary', null],
    ]);
    const bad = await offline('captures/lab-v6/uefi-pxe6-kea-no-bootfile.pcapng', 'scenarios/uefi-ipxe-v6.yaml');
    expect(bad.code).toBe(1);
    expect(bad.steps[1]!.error).toMatch(/boot file URL \(option 59\): expected to match \/\^tftp:\\\/\\\/\/, found absent/);
  });
});
