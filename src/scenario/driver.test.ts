import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { runScenario, runScenarios } from './driver.js';
import { loadScenario, parseScenario } from './load.js';
import { fakeDnsmasq, fakeHttp, fakeTftp, type FakeDnsmasqConfig } from './run/fake-servers.test-kit.js';
import { LoopbackTransport } from './transport/loopback.js';
import { scenarioYaml } from './scenario.test-kit.js';
import { clientArch, userClasses, vendorClass } from '../wire/dhcpv4/index.js';

const SERVER = '198.51.100.1';
const IPXE_EFI = new Uint8Array(200_000).map((_, i) => i & 0xff);
const BOOT_IPXE = '#!ipxe\nkernel http://198.51.100.1/vmlinuz initrd=initrd.img\ninitrd http://198.51.100.1/initrd.img\nboot\n';

function seeded(seed = 1): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

/** One iPXE client that gets an address (DHCP within 5 s), then runs `steps`. */
function ipxeClient(budget: string, mac: string, steps: readonly string[]): string {
  return scenarioYaml({ budget, clients: [{ persona: 'ipxe', mac, steps: ['dhcp: { within: 5s }', ...steps] }] });
}

function lab(dhcp: Partial<FakeDnsmasqConfig> = {}, tftpFiles: Record<string, Uint8Array> = { 'ipxe.efi': IPXE_EFI }) {
  const clock = new FakeClock(1000);
  const dnsmasq = fakeDnsmasq({ addr: SERVER, ...dhcp });
  const transport = new LoopbackTransport(clock, {
    udp: [dnsmasq, fakeTftp(SERVER, tftpFiles)],
    tcp: [fakeHttp(SERVER, { '/boot.ipxe': BOOT_IPXE, '/vmlinuz': 'kernel', '/initrd.img': 'initrd' })],
  });
  return { clock, transport, dnsmasq, opts: { transport, clock, target: { server: SERVER }, random: seeded() } };
}

describe('runScenario', () => {
  it('passes scenarios/uefi-ipxe.yaml end to end against a dnsmasq-like server', async () => {
    const { opts, transport } = lab();
    const r = await runScenario(loadScenario('scenarios/uefi-ipxe.yaml'), opts);
    const steps = r.clients[0]!.steps;
    expect(steps.map((s) => [s.name, s.ok, s.error])).toEqual([
      ['firmware DORA', true, null],
      ['fetch the iPXE binary', true, null],
      ['become ipxe', true, null],
      ['iPXE DORA', true, null],
      ['boot.ipxe and what it loads', true, null],
    ]);
    expect(r.ok).toBe(true);
    expect(r.name).toBe('uefi-ipxe');
    // The PXE offer window (2 s) is the client's own wait: not counted against the 5 s budget.
    expect(steps[0]!.details['offerWait']).toBe(2000);
    expect(steps[0]!.duration).toBeLessThan(10);
    expect(steps[0]!.budget).toBe(5000);
    expect(steps[1]!.details['observed']).toMatchObject({ size: IPXE_EFI.length, blksize: 1468 });
    expect(steps[4]!.details['fetched']).toEqual([
      'http://198.51.100.1/boot.ipxe', 'http://198.51.100.1/vmlinuz', 'http://198.51.100.1/initrd.img',
    ]);
    // The lease reached the transport.
    expect(transport.addresses.get('52:54:00:00:0e:f1')).toEqual({ addr: '198.51.100.100', prefix: 24, router: SERVER });
  });

  it('after `become: ipxe` from UEFI x64 firmware, iPXE announces arch 7 as real UEFI iPXE does', async () => {
    const { opts, dnsmasq } = lab();
    await runScenario(loadScenario('scenarios/uefi-ipxe.yaml'), opts);
    const ipxeDiscover = dnsmasq.received.find((m) => userClasses(m).includes('iPXE'))!;
    expect(clientArch(ipxeDiscover)).toEqual([7]);
    // As in captures/lab/uefi-pxe-dnsmasq.pcapng (EFI iPXE: UNDI 3.10).
    expect(vendorClass(ipxeDiscover)).toBe('PXEClient:Arch:00007:UNDI:003010');
  });

  it('runs the same way twice (virtual time is deterministic)', async () => {
    const a = await runScenario(loadScenario('scenarios/uefi-ipxe.yaml'), lab().opts);
    const b = await runScenario(loadScenario('scenarios/uefi-ipxe.yaml'), lab().opts);
    expect(a.clients[0]!.steps.map((s) => s.duration)).toEqual(b.clients[0]!.steps.map((s) => s.duration));
    expect(a.duration).toBe(b.duration);
  });

  it('fails the DHCP step with a message naming the missing boot file when option 67 is absent', async () => {
    const { opts } = lab({ noBootfile: true });
    const r = await runScenario(loadScenario('scenarios/uefi-ipxe.yaml'), opts);
    const [dora, tftp] = r.clients[0]!.steps;
    expect(r.ok).toBe(false);
    expect(dora!.ok).toBe(false);
    expect(dora!.error).toMatch(/boot file: expected to match \/\\\.efi\$\/, found absent/);
    expect(dora!.error).toMatch(/option 67 is missing/);
    expect(tftp!.error).toBe('not run: step 1 failed');
    expect(tftp!.details['skipped']).toBe(true);
  });

  const slowScenario = (within: string) => parseScenario(`
name: slow
budget: 60s
clients:
  - name: pc1
    persona: uefi-x64
    mac: 52:54:00:00:0e:f1
    steps:
      - dhcp: { name: DORA, within: ${within} }
`, 'slow.yaml');

  it('fails a 5 s budget against a server that offers after 6 s, with both times', async () => {
    const { opts } = lab({ offerDelay: 6 });
    const r = await runScenario(slowScenario('5s'), opts);
    const step = r.clients[0]!.steps[0]!;
    expect(step.ok).toBe(false);
    // Offer at 6 s + the ACK's 1 ms; the 2 s PXE offer window after the offer is not counted.
    expect(step.error).toBe('DORA took 6.001 s, budget 5 s');
    expect(step.duration).toBe(6001);
  });

  it('passes the same slow server when the budget allows', async () => {
    const { opts } = lab({ offerDelay: 6 });
    const r = await runScenario(slowScenario('10s'), opts);
    expect(r.clients[0]!.steps[0]!).toMatchObject({ ok: true, error: null, budget: 10000 });
  });

  it('stops a step that never finishes at twice its budget', async () => {
    const { opts } = lab({ offerDelay: 100 });
    const r = await runScenario(slowScenario('3s'), opts);
    const step = r.clients[0]!.steps[0]!;
    expect(step.ok).toBe(false);
    expect(step.duration).toBe(6000);
    expect(step.error).toMatch(/^DORA did not finish in 6 s, budget 3 s/);
  });

  it('fails the TFTP step with ERROR 1 File not found and flows ${bootfile} from DHCP into TFTP', async () => {
    const { opts, transport } = lab({ firmwareBootfile: 'missing.efi' });
    const r = await runScenario(loadScenario('scenarios/uefi-ipxe.yaml'), opts);
    const tftp = r.clients[0]!.steps[1]!;
    expect(r.clients[0]!.steps[0]!.ok).toBe(true);
    expect(tftp.ok).toBe(false);
    expect(tftp.error).toMatch(/ERROR 1 File not found/);
    // The RRQ asked for the file the DHCP reply named.
    const rrq = transport.sent.find((s) => s.datagram.dst.port === 69)!;
    expect(Buffer.from(rrq.datagram.payload).toString('latin1')).toContain('missing.efi');
    expect(tftp.details['file']).toBe('missing.efi');
  });

  // The raw transport's worker could not open its capture (nothing sent): the step runs here instead
  // of failing with "TFTP worker: …".
  it("runs a TFTP step on the event loop when the transport's offload answers 'not-run'", async () => {
    const { opts, transport } = lab();
    let asked = 0;
    Object.assign(transport, { offloadTftp: () => { asked++; return Promise.resolve('not-run' as const); } });
    const r = await runScenario(loadScenario('scenarios/uefi-ipxe.yaml'), opts);
    const tftp = r.clients[0]!.steps[1]!;
    expect(asked).toBeGreaterThan(0);
    expect(tftp.error).toBeNull();
    expect(tftp.ok).toBe(true);
    expect(transport.sent.some((s) => s.datagram.dst.port === 69)).toBe(true);
  });

  it('rejects a TFTP server that is a URL at once, without sending an RRQ', async () => {
    const { opts, transport } = lab();
    const scenario = parseScenario([
      'name: tftp-to-url',
      'budget: 30s',
      'clients:',
      '  - persona: uefi-x64',
      '    mac: 52:54:00:00:0e:f1',
      '    steps:',
      '      - tftp:',
      '          file: 000000000000.cfg',
      '          server: http://198.51.100.1/polycom',
      '          within: 5s',
      '',
    ].join('\n'), 'tftp-to-url.yaml');
    const r = await runScenario(scenario, opts);
    const step = r.clients[0]!.steps[0]!;
    expect(step.ok).toBe(false);
    expect(step.error).toMatch(/^http:\/\/198\.51\.100\.1\/polycom is not a TFTP server address \(a URL: use an http step\)/);
    expect(step.error).not.toMatch(/no end of transfer/);
    expect(step.duration).toBeLessThan(100);
    expect(transport.sent.filter((s) => s.datagram.dst.port === 69)).toEqual([]);
  });

  it('saves variables and runs clients of a MAC range concurrently', async () => {
    const { opts } = lab();
    const s = parseScenario(`
name: range
budget: 30s
clients:
  - name: pc
    persona: uefi-x64
    mac: 52:54:00:00:00:10-52:54:00:00:00:13
    steps:
      - dhcp: { within: 5s, save: { addr: yiaddr } }
      - http: { url: "http://\${server}/boot.ipxe", within: 2s, save: { first: 'body:kernel (\\S+)' }, expect: { status: 200, body: 'kernel' } }
      - http: { url: "\${first}", within: 2s, expect: { status: 200, body: '^kernel$' } }
      - inform: { address: "\${addr}" }
      - release
`, 'range.yaml');
    const r = await runScenario(s, opts);
    expect(r.clients.flatMap((c) => c.steps.map((x) => x.error)).filter((e) => e !== null)).toEqual([]);
    expect(r.clients.map((c) => [c.name, c.mac, c.ok])).toEqual([
      ['pc-1', '52:54:00:00:00:10', true], ['pc-2', '52:54:00:00:00:11', true],
      ['pc-3', '52:54:00:00:00:12', true], ['pc-4', '52:54:00:00:00:13', true],
    ]);
    // Four concurrent DORAs share the 2 s window instead of taking 8 s.
    expect(r.duration).toBeLessThan(4000);
  });

  it('reports a refused HTTP connection and a 404 script', async () => {
    const { opts } = lab();
    const s = parseScenario(ipxeClient('10s', '52:54:00:00:00:20', ['http: { url: "http://198.51.100.9/x", within: 1s, expect: { status: 200 } }']), 'h.yaml');
    const r = await runScenario(s, opts);
    expect(r.clients[0]!.steps[1]!.error).toMatch(/cannot connect: connection refused/);
  });

  it('an iPXE script loads a kernel and initrd bigger than a script may be; HTTP hashes only what a step checks', async () => {
    const clock = new FakeClock(0);
    const kernel = new Uint8Array(3_000_000).map((_, i) => (i * 7) & 0xff);
    const initrd = new Uint8Array(1_500_000).map((_, i) => (i * 3) & 0xff);
    const script = '#!ipxe\nkernel http://198.51.100.1/big-kernel\ninitrd http://198.51.100.1/big-initrd\nboot\n';
    const transport = new LoopbackTransport(clock, {
      udp: [fakeDnsmasq({ addr: SERVER })],
      tcp: [fakeHttp(SERVER, { '/big.ipxe': script, '/big-kernel': kernel, '/big-initrd': initrd })],
    });
    const sha = createHash('sha256').update(initrd).digest('hex');
    const s = parseScenario(ipxeClient('30s', '52:54:00:00:00:21', [
      'ipxe-script: { url: "http://198.51.100.1/big.ipxe", within: 10s, expect: { boots: true, fetches: 3, errors: 0 } }',
      'http: { name: plain, url: "http://198.51.100.1/big-kernel", within: 5s, expect: { size: 3000000 } }',
      `http: { name: checked, url: "http://198.51.100.1/big-initrd", within: 5s, expect: { sha256: "${sha}" } }`,
    ]), 'big.yaml');
    const r = await runScenario(s, { transport, clock, target: { server: SERVER }, random: seeded() });
    const steps = r.clients[0]!.steps;
    expect(steps.map((x) => [x.name, x.error])).toEqual([[steps[0]!.name, null], [steps[1]!.name, null], ['plain', null], ['checked', null]]);
    expect(steps[1]!.details['fetchProblems']).toEqual([]);
    expect(steps[2]!.details['observed']).not.toHaveProperty('sha256');
    expect(steps[3]!.details['observed']).toMatchObject({ size: 1_500_000, sha256: sha });
  });

  it('chain of an image bigger than a script may be boots it; a chained script that long fails', async () => {
    const clock = new FakeClock(0);
    const image = new Uint8Array(2_500_000).map((_, i) => (i * 5 + 1) & 0xff); // an EFI binary: not '#!ipxe'
    const longScript = `#!ipxe\n${'echo padding padding padding padding\n'.repeat(40_000)}boot\n`; // > 1 MiB
    const transport = new LoopbackTransport(clock, {
      udp: [fakeDnsmasq({ addr: SERVER })],
      tcp: [fakeHttp(SERVER, {
        '/img.ipxe': '#!ipxe\nchain http://198.51.100.1/grubx64.efi\n', '/grubx64.efi': image,
        '/long.ipxe': '#!ipxe\nchain http://198.51.100.1/long-stage2.ipxe\n', '/long-stage2.ipxe': longScript,
      })],
    });
    const s = parseScenario(ipxeClient('40s', '52:54:00:00:00:22', [
      'ipxe-script: { name: image, url: "http://198.51.100.1/img.ipxe", within: 10s, expect: { boots: true } }',
      'ipxe-script: { name: long, url: "http://198.51.100.1/long.ipxe", within: 10s, expect: { boots: true } }',
    ]), 'chain.yaml');
    const r = await runScenario(s, { transport, clock, target: { server: SERVER }, random: seeded() });
    const [, image1, long] = r.clients[0]!.steps;
    expect(image1!.error).toBeNull();
    expect(image1!.details['observed']).toMatchObject({ booted: true });
    expect(long!.error).not.toBeNull();
    expect(long!.details['fetchProblems']).toEqual([expect.stringMatching(/long-stage2\.ipxe: body larger than 1048576 bytes/)]);
  });

  it('follows an iPXE script like iPXE: a failed fetch takes the || branch, chain runs the next script, tftp:// URLs use TFTP', async () => {
    const clock = new FakeClock(0);
    const script = '#!ipxe\nkernel http://198.51.100.1/missing-kernel || goto fallback\nboot\n:fallback\nchain stage2.ipxe\n';
    const stage2 = '#!ipxe\nkernel tftp://198.51.100.1/vmlinuz-tftp\ninitrd initrd.img\nboot\n';
    const transport = new LoopbackTransport(clock, {
      udp: [fakeDnsmasq({ addr: SERVER }), fakeTftp(SERVER, { 'vmlinuz-tftp': new Uint8Array(3000) })],
      tcp: [fakeHttp(SERVER, { '/boot.ipxe': script, '/stage2.ipxe': stage2, '/initrd.img': 'i', '/loop.ipxe': '#!ipxe\nchain loop.ipxe\n' })],
    });
    const s = parseScenario(ipxeClient('30s', '52:54:00:00:00:30', [
      'ipxe-script: { url: "${bootfile}", within: 10s, expect: { fetched: ["stage2", "vmlinuz-tftp$", "initrd"], fetches: 4, boots: true, errors: 0 } }',
      'ipxe-script: { name: too deep, url: "http://${server}/loop.ipxe", max-depth: 3, within: 10s, expect: { boots: true } }',
    ]), 'ipxe.yaml');
    const r = await runScenario(s, { transport, clock, target: { server: SERVER }, random: seeded(3) });
    const [, run, deep] = r.clients[0]!.steps;
    expect(run!.error).toBeNull();
    expect(run!.details['fetched']).toEqual([
      'http://198.51.100.1/boot.ipxe', 'http://198.51.100.1/stage2.ipxe', 'tftp://198.51.100.1/vmlinuz-tftp', 'http://198.51.100.1/initrd.img',
    ]);
    expect(run!.details['fetchProblems']).toEqual([expect.stringMatching(/missing-kernel: HTTP 404/)]);
    expect(deep!.error).toMatch(/boot: expected the script to boot an image, found it did not/);
    expect((deep!.details['fetchProblems'] as string[]).join()).toMatch(/chain http:\/\/198\.51\.100\.1\/loop\.ipxe: max-depth 3 reached/);
  });

  it('aborts on the signal and returns partial results', async () => {
    const { opts } = lab({ offerDelay: 100 });
    const ac = new AbortController();
    const p = runScenarios([slowScenario('50s')], { ...opts, signal: ac.signal });
    setImmediate(() => ac.abort());
    const r = await p;
    expect(r.ok).toBe(false);
    expect(r.scenarios[0]!.interrupted).toMatch(/interrupted/);
  });
});
