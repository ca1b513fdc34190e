// `run --fault` and `--lab-name`: the option rules, what `run --lab` hands its child, and a run
// with faults but no lab refused (exit 2) before any transport is opened.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRunArgs } from '../../src/cli/options.js';
import { childRunArgs } from '../../src/cli/run-lab.js';
import { runRun } from '../../src/cli/run.js';
import type { LabInfo } from '../../src/lab/labctl.js';

const LAB = { name: 'pxrtest', clientNs: 'pxrtest-cli', clientIface: 'cl0', serverAddr: '198.51.100.1' } as LabInfo;
const dir = mkdtempSync(join(tmpdir(), 'pxecheck-run-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  const err: string[] = [];
  return { err, io: { stdout: () => undefined, stderr: (s: string) => void err.push(s), stdoutIsTTY: false, stderrIsTTY: false, env: {} } };
}

describe('run --fault / --lab-name', () => {
  it('collects --fault as written (load mode) and checks --lab-name', () => {
    const a = checkRunArgs({ scenario: ['s.yaml'], 'relay-from': '198.18.0.1', server: '198.51.100.1', fault: ['{ restart: dhcp, at: 5s }', 'drop: 5%, at: 1s, for: 2s'], 'lab-name': 'gate' });
    expect(a.faultFlags).toEqual(['{ restart: dhcp, at: 5s }', 'drop: 5%, at: 1s, for: 2s']);
    expect(a.load).toEqual({});
    expect(a.labName).toBe('gate');
    expect(() => checkRunArgs({ scenario: ['s.yaml'], 'relay-from': '198.18.0.1', server: '198.51.100.1', 'lab-name': 'Not A Lab' })).toThrow(/--lab-name must be a lab name/);
    expect(() => checkRunArgs({ scenario: ['s.yaml'], lab: 'kea', 'lab-name': 'gate' })).toThrow(/--lab builds its own/);
  });

  it('run --lab hands its child the faults and the lab name', () => {
    const a = checkRunArgs({ scenario: ['s.yaml'], lab: 'kea', fault: '{ restart: tftp, after: 50% }' });
    const argv = childRunArgs(a, LAB, '/x');
    expect(argv.slice(-4)).toEqual(['--fault', '{ restart: tftp, after: 50% }', '--lab-name', 'pxrtest']);
  });

  it('faults without a lab: exit 2 with the how-to, nothing opened', async () => {
    const file = join(dir, 'f.yaml');
    writeFileSync(file, 'name: f\nbudget: 10s\nload:\n  faults: [ { restart: dhcp, at: 1s } ]\nclients:\n  - persona: uefi-x64\n    mac: "02:00:00:00:00:01"\n    steps: [ dhcp ]\n');
    const o = io();
    let opened = false;
    const code = await runRun(checkRunArgs({ scenario: [file], 'relay-from': '198.18.0.1', server: '198.51.100.1' }), o.io, {
      createTransport: () => { opened = true; return Promise.reject(new Error('not here')); },
    });
    expect(code).toBe(2);
    expect(opened).toBe(false);
    expect(o.err.join('')).toMatch(/faults act on a lab.*--lab-name NAME/);
    const bad = io();
    expect(await runRun(checkRunArgs({ scenario: [file], 'relay-from': '198.18.0.1', server: '198.51.100.1', fault: '{ restart: web, at: 1s }' }), bad.io)).toBe(2);
    expect(bad.err.join('')).toMatch(/--fault "\{ restart: web, at: 1s \}": restart: expected the lab server to restart/);
    const none = io();
    expect(await runRun(checkRunArgs({ scenario: [file], 'relay-from': '198.18.0.1', server: '198.51.100.1', 'lab-name': 'e-nolab' }), none.io)).toBe(2);
    expect(none.err.join('')).toMatch(/no lab "e-nolab" is up/);
  });
});
