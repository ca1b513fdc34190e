// `pxecheck run` for real: relay mode against dnsmasq (DHCP + TFTP) and nginx in lab namespaces.
// The CLI runs inside the client namespace from a private build of src/ (never the shared dist/).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLab, makeBootRoot, run, SERVER_ADDR, startDnsmasq, startNginx, type Lab } from '../../src/lab/index.js';
import type { RunResult } from '../../src/scenario/driver.js';
import { ROOT } from '../helpers/fixtures.js';
import { privateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v nginx']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs ip, dnsmasq, nginx' : '';
/** dist/ and bin/pxecheck.js of the shared private build (test/helpers/private-build.ts), set by beforeAll. */
let DIST = '';
let BIN = '';
const RELAY = '203.0.113.1';

const SCENARIO = `
name: relay-uefi-ipxe
budget: 60s
clients:
  - name: pc1
    persona: uefi-x64
    mac: 02:00:00:7d:00:01-02:00:00:7d:00:02
    steps:
      - dhcp: { name: firmware DORA, within: 10s, expect: { yiaddr: 203.0.113.0/24, bootfile: ipxe.efi, next-server: '\${server}' } }
      - tftp: { file: "\${bootfile}", server: "\${server}", probe: true, blksize: 1468, within: 10s, expect: { size: { min: 100000 } } }
      - become: ipxe
      - dhcp: { name: iPXE DORA, within: 10s, expect: { bootfile: { matches: '^http://' } } }
      - ipxe-script: { url: "\${bootfile}", within: 10s, expect: { status: 200, fetched: ['/vmlinuz$', '/initrd\\.img$'], boots: true, errors: 0 } }
      - tftp: { name: missing file, file: nosuch.efi, server: "\${server}", within: 5s }
`;

function buildPrivateDist(): void {
  const b = privateBuild();
  DIST = b.dist;
  BIN = b.bin;
  if (!existsSync(join(DIST, 'cli/main.js'))) throw new Error('private build of src/ failed');
}

function cliInNamespace(ns: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  const code = `const { main } = await import(${JSON.stringify(join(DIST, 'cli/main.js'))}); process.exitCode = await main(${JSON.stringify(args)});`;
  return commandInNamespace(ns, [process.execPath, '--input-type=module', '-e', code], timeoutMs);
}

function commandInNamespace(ns: string, argv: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (c) => { clearTimeout(timer); resolve({ code: c, stderr: err }); });
  });
}

describe.skipIf(skipReason !== '')(`pxecheck run in a lab${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(() => buildPrivateDist(), 300_000);

  it('relay mode: firmware DORA, TFTP probe, iPXE DORA, boot.ipxe and its kernel/initrd; a missing file fails', async () => {
    let lab: Lab | undefined;
    try {
      lab = await createLab({ name: 'pxrun' });
      lab.addRelaySegment(RELAY);
      const root = makeBootRoot(join(lab.workDir, 'boot'));
      await startDnsmasq(lab, {
        tftpRoot: root, efiBootFile: 'ipxe.efi', ipxeBootFile: `http://${SERVER_ADDR}/boot.ipxe`,
        extraLines: ['dhcp-range=203.0.113.100,203.0.113.150,255.255.255.0,10m'],
      });
      await startNginx(lab, { root });
      const scenario = join(lab.workDir, 'relay.yaml');
      writeFileSync(scenario, SCENARIO);
      const out = join(lab.workDir, 'run.json');
      const pcap = join(lab.workDir, 'run.pcapng');
      const r = await cliInNamespace(lab.ns.cli, ['run', scenario, '--relay-from', RELAY, '--server', SERVER_ADDR, '-f', 'json', '-o', out, '--pcap', pcap], 90_000);
      const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      const clients = result.scenarios[0]!.clients;
      expect(clients).toHaveLength(2);
      for (const c of clients) {
        const errors = c.steps.map((s) => s.error);
        expect(errors.slice(0, 5), JSON.stringify(c.steps, null, 1).slice(0, 4000)).toEqual([null, null, null, null, null]);
        expect(errors[5]).toMatch(/ERROR 1 File not found/i);
      }
      expect(r.code, r.stderr).toBe(1);
      const frames = run('tshark', ['-r', pcap, '-n', '-T', 'fields', '-e', 'frame.number'], { timeoutMs: 60_000 }).stdout.split('\n').filter(Boolean);
      expect(frames.length).toBeGreaterThan(20);
    } finally {
      await lab?.destroy();
    }
  }, 180_000);
  it('raw mode: the uefi-ipxe scenario (firmware and iPXE) against dnsmasq and nginx', async () => {
    let lab: Lab | undefined;
    try {
      lab = await createLab({ name: 'pxrunraw' });
      const root = makeBootRoot(join(lab.workDir, 'boot'));
      await startDnsmasq(lab, { tftpRoot: root, efiBootFile: 'ipxe.efi', ipxeBootFile: `http://${SERVER_ADDR}/boot.ipxe` });
      await startNginx(lab, { root });
      const iface = lab.addClientInterface('raw0');
      const out = join(lab.workDir, 'raw.json');
      // scenarios/uefi-ipxe.yaml without its option 60 check: this dnsmasq has no pxe-service, so it
      // does not echo the PXEClient vendor class.
      const scenario = join(lab.workDir, 'raw.yaml');
      writeFileSync(scenario, readFileSync(join(ROOT, 'scenarios/uefi-ipxe.yaml'), 'utf8').replace(/\n\s+options:\n\s+60: .*\n/, '\n'));
      const r = await cliInNamespace(lab.ns.cli, ['run', scenario, '--interface', iface, '--server', SERVER_ADDR, '-f', 'json', '-o', out], 90_000);
      const result = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
      const steps = result.scenarios[0]!.clients[0]!.steps;
      expect(steps.map((s) => s.error), JSON.stringify(steps, null, 1).slice(0, 4000)).toEqual([null, null, null, null, null]);
      expect(r.code, r.stderr).toBe(0);
    } finally {
      await lab?.destroy();
    }
  }, 180_000);
  // As users start it: the bin's sh line adds --max-semi-space-size, a user may add V8 flags of their
  // own. Node refuses such flags as a worker's execArgv (ERR_WORKER_INVALID_EXEC_ARGV), so a TFTP
  // worker given the process's execArgv crashed every run with a TFTP step (unhandled rejection, exit 1).
  it('the bin through its sh line (raw) and under node --max-old-space-size (relay): TFTP steps pass, no crash', async () => {
    let lab: Lab | undefined;
    try {
      lab = await createLab({ name: 'pxrunbin' });
      lab.addRelaySegment(RELAY);
      const root = makeBootRoot(join(lab.workDir, 'boot'));
      await startDnsmasq(lab, {
        tftpRoot: root, efiBootFile: 'ipxe.efi', ipxeBootFile: `http://${SERVER_ADDR}/boot.ipxe`,
        extraLines: ['dhcp-range=203.0.113.100,203.0.113.150,255.255.255.0,10m'],
      });
      const iface = lab.addClientInterface('raw0');
      const scenario = join(lab.workDir, 'tftp.yaml');
      writeFileSync(scenario, `name: bin-tftp
budget: 60s
clients:
  - name: pc
    persona: uefi-x64
    mac: 02:00:00:7d:01:01
    steps:
      - dhcp: { within: 15s, expect: { bootfile: ipxe.efi } }
      - tftp: { file: "\${bootfile}", server: "\${server}", within: 15s, expect: { size: { min: 100000 } } }
`);
      const runs: [string, string[]][] = [
        ['raw, bin via sh', ['/bin/sh', BIN, 'run', scenario, '--interface', iface, '--server', SERVER_ADDR, '-f', 'json', '-o', join(lab.workDir, 'raw.json')]],
        ['relay, node --max-old-space-size', [process.execPath, '--max-old-space-size=4096', BIN, 'run', scenario, '--relay-from', RELAY, '--server', SERVER_ADDR, '-f', 'json', '-o', join(lab.workDir, 'relay.json')]],
      ];
      for (const [what, argv] of runs) {
        const r = await commandInNamespace(lab.ns.cli, argv, 90_000);
        expect(r.stderr, what).not.toMatch(/ERR_WORKER|internal error|\n\s+at /);
        expect(r.code, `${what}: ${r.stderr}`).toBe(0);
        const result = JSON.parse(readFileSync(argv[argv.length - 1]!, 'utf8')) as RunResult;
        const steps = result.scenarios[0]!.clients[0]!.steps;
        expect(steps.map((st) => st.error), `${what}: ${JSON.stringify(steps, null, 1).slice(0, 3000)}`).toEqual([null, null]);
      }
    } finally {
      await lab?.destroy();
    }
  }, 240_000);
});
