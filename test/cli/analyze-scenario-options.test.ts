/**
 * `analyze --scenario` checks DHCP option values of a recorded boot, observed from the capture's
 * decoded replies like a live run observes its own (real lab captures): a right value passes, a
 * wrong one fails naming the value seen; a FIFO and merged files (read once) are checked as a file is.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { RunResult } from '../../src/scenario/driver.js';

const dir = mkdtempSync(join(tmpdir(), 'pxecheck-offline-options-'));
const io = () => ({ stderr: () => undefined, stdoutIsTTY: false, stderrIsTTY: false, env: {} });

function scenario(name: string, persona: string, mac: string, steps: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `name: ${name}\nbudget: 5m\nclients:\n  - persona: ${persona}\n    mac: ${mac}\n    steps:\n${steps}`);
  return path;
}

type Steps = RunResult['scenarios'][number]['clients'][number]['steps'];

/** `analyze CAPTURE… --scenario PATH` (several captures: --merge). */
async function offline(capture: string | string[], path: string): Promise<{ code: number; steps: Steps }> {
  const out = `${path}.json`;
  const inputs = typeof capture === 'string' ? [capture] : [...capture, '--merge'];
  const code = await main(['analyze', ...inputs, '--scenario', path, '-f', 'json', '-o', out], io());
  const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  return { code, steps: r.scenarios[0]!.clients[0]!.steps };
}

const UEFI = 'captures/lab/uefi-pxe-dnsmasq.pcapng';
const uefiDhcp = (options: string): string => scenario(`uefi-${options.replace(/\W+/g, '-')}`, 'uefi-x64', '52:54:00:00:0e:f1',
  `      - dhcp: { name: firmware DORA, expect: { type: ack, options: ${options} } }\n`);

describe('analyze --scenario checks option values from the decoded replies', () => {
  it('passes right values of options the boot chain summary never kept (1 and 3 by name; 67 and 54 by number)', async () => {
    const { code, steps } = await offline(UEFI, uefiDhcp('{ subnet-mask: 255.255.255.0, router: 198.51.100.1, 67: snponly.efi, 54: 198.51.100.1 }'));
    expect(steps[0]!.error).toBeNull();
    expect(steps[0]!.details['notChecked']).toBeUndefined();
    expect(code).toBe(0);
  });

  it('fails a wrong value and names the value seen', async () => {
    const { code, steps } = await offline(UEFI, uefiDhcp('{ router: 198.51.100.254, subnet-mask: { in-subnet: 10.0.0.0/8 } }'));
    expect(code).toBe(1);
    expect(steps[0]!.error).toMatch(/option 3: expected "198\.51\.100\.254", found .*"198\.51\.100\.1"/);
    expect(steps[0]!.error).toMatch(/option 1: .*255\.255\.255\.0/);
  });

  it('checks option 150 of a phone boot (tftp-server-address, and the old spelling tftp-servers)', async () => {
    const phone = 'captures/lab/phone-cisco-udhcpc.pcap';
    const steps = (name: string, value: string): string => scenario(name, 'cisco', '52:54:00:8e:41:01',
      `      - dhcp: { expect: { type: ack, options: { ${name}: ${value} } } }\n`);
    expect((await offline(phone, steps('tftp-server-address', '198.51.100.1'))).code).toBe(0);
    expect((await offline(phone, steps('tftp-servers', '198.51.100.1'))).code).toBe(0);
    const bad = await offline(phone, steps('tftp-server-address', '203.0.113.9'));
    expect(bad.code).toBe(1);
    expect(bad.steps[0]!.error).toMatch(/option 150: expected "203\.0\.113\.9", found .*198\.51\.100\.1/);
  });

  it('a proxyDHCP step is observed from the proxy ACK itself', async () => {
    const path = scenario('proxy', 'uefi-x64', '52:54:00:00:0e:f1',
      '      - dhcp: { expect: { type: ack } }\n      - proxydhcp: { expect: { bootfile: snponly.efi, options: { vendor-class: PXEClient } } }\n');
    const good = await offline('captures/lab/proxydhcp-with-kea.pcapng', path);
    expect(good.steps.map((s) => s.error)).toEqual([null, null]);
    const wrong = scenario('proxy-wrong', 'uefi-x64', '52:54:00:00:0e:f1',
      '      - dhcp: { expect: { type: ack } }\n      - proxydhcp: { expect: { options: { vendor-class: HTTPClient } } }\n');
    const bad = await offline('captures/lab/proxydhcp-with-kea.pcapng', wrong);
    expect(bad.steps[1]!.error).toMatch(/option 60: expected "HTTPClient", found "PXEClient"/);
  });

  it('checks DHCPv6 option values from the decoded Reply (OVMF PXEv6 against Kea)', async () => {
    const v6 = (name: string, options: string): string => scenario(name, 'uefi-x64-v6', '52:54:00:00:6e:f1',
      `      - dhcp6: { expect: { type: reply, options: ${options} } }\n`);
    const capture = 'captures/lab-v6/uefi-pxe6-kea.pcapng';
    const good = await offline(capture, v6('v6-good', "{ bootfile-url: { matches: '^tftp://' }, serverid: present, 23: absent }"));
    expect(good.steps[0]!.error).toBeNull();
    expect(good.steps[0]!.details['notChecked']).toBeUndefined();
    const bad = await offline(capture, v6('v6-bad', "{ bootfile-url: 'tftp://[2001:db8::99]/x.efi' }"));
    expect(bad.code).toBe(1);
    expect(bad.steps[0]!.error).toMatch(/option 59: expected "tftp:\/\/\[2001:db8::99\]\/x\.efi", found "tftp:\/\//);
  });

  it('observes the replies during the one analysis read: a FIFO and merged files are checked as a file is', async () => {
    // A FIFO is read once, front to back: a wrong router still fails, naming the router seen.
    const fifo = join(dir, 'uefi.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', UEFI, fifo], { stdio: 'ignore' });
    const written = new Promise((resolve) => writer.on('close', resolve));
    const piped = await offline(fifo, uefiDhcp('{ router: 198.51.100.254 }'));
    expect(await written).toBe(0);
    expect(piped.code).toBe(1);
    expect(piped.steps[0]!.error).toMatch(/option 3: expected "198\.51\.100\.254", found .*"198\.51\.100\.1"/);
    expect(piped.steps[0]!.details['notChecked']).toBeUndefined();
    // Merged with another boot (frames renumbered in time order): right values pass, a wrong one fails.
    const merged = [UEFI, 'captures/lab/phone-cisco-udhcpc.pcap'];
    const good = await offline(merged, uefiDhcp('{ subnet-mask: 255.255.255.0, router: 198.51.100.1, 54: 198.51.100.1 }'));
    expect(good.steps[0]!.error).toBeNull();
    expect(good.steps[0]!.details['notChecked']).toBeUndefined();
    expect(good.code).toBe(0);
    const bad = await offline(merged, uefiDhcp('{ subnet-mask: 255.255.0.0 }'));
    expect(bad.code).toBe(1);
    expect(bad.steps[0]!.error).toMatch(/option 1: .*255\.255\.255\.0/);
  });
});
