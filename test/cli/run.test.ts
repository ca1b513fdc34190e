/** `pxecheck run` through main(): usage and scenario errors, the transport hint, reports, --pcap. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCaptureFile } from '../../src/capture/index.js';
import { main } from '../../src/cli/main.js';
import type { RunDeps } from '../../src/cli/run.js';
import type { RunResult } from '../../src/scenario/driver.js';
import { FakeClock } from '../../src/scenario/clock.js';
import { fakeDnsmasq, fakeHttp, fakeTftp } from '../../src/scenario/run/fake-servers.test-kit.js';
import { LoopbackTransport } from '../../src/scenario/transport/loopback.js';
import type { UdpDatagram } from '../../src/scenario/transport/types.js';

const SERVER = '198.51.100.1';
const RELAY = ['--relay-from', '198.51.100.2', '--server', SERVER];

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pxecheck-run-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  const err: string[] = [];
  return { stderr: (s: string) => { err.push(s); }, stdoutIsTTY: false, stderrIsTTY: false, env: {}, err, text: () => err.join('') };
}

/** A loopback lab with a frame callback: each datagram sent is reported as a (dummy) Ethernet frame. */
class FramedLoopback extends LoopbackTransport {
  private frameHandler: ((dir: 'sent' | 'received', time: number, linkType: number, frame: Uint8Array) => void) | null = null;
  onFrame(h: (dir: 'sent' | 'received', time: number, linkType: number, frame: Uint8Array) => void): void {
    this.frameHandler = h;
  }
  override sendUdp(mac: string, d: UdpDatagram): void {
    const frame = new Uint8Array(14 + d.payload.length);
    frame.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0, 0x0e, 0xf1, 0x08, 0x00]);
    frame.set(d.payload, 14);
    this.frameHandler?.('sent', 1_700_000_000 + this.now(), 1, frame);
    super.sendUdp(mac, d);
  }
}

function labDeps(opts: { noBootfile?: boolean } = {}): RunDeps & { transport: FramedLoopback } {
  const clock = new FakeClock(1000);
  const transport = new FramedLoopback(clock, {
    udp: [fakeDnsmasq({ addr: SERVER, ...opts }), fakeTftp(SERVER, { 'ipxe.efi': new Uint8Array(150_000) })],
    tcp: [fakeHttp(SERVER, { '/boot.ipxe': '#!ipxe\nkernel /vmlinuz\ninitrd /initrd.img\nboot\n', '/vmlinuz': 'k', '/initrd.img': 'i' })],
  });
  return { transport, clock, createTransport: async () => transport, onInterrupt: () => () => undefined };
}

describe('pxecheck run', () => {
  it('prints every scenario problem with file:line:col and exits 2', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'budget: 10s\nclients:\n  - persona: uefi-x65\n    mac: 52:54:00:00:00:01\n    steps:\n      - dhcp: { withn: 5s }\n');
    const o = io();
    expect(await main(['run', bad, ...RELAY], o)).toBe(2);
    expect(o.text()).toContain(`${bad}:3:14: clients[0].persona:`);
    expect(o.text()).toMatch(new RegExp(`${bad.replace(/[.]/g, '\\.')}:6:\\d+: .*unknown key "withn"; did you mean "within"\\?`));
    expect(o.text()).toContain('nothing was sent');
  });

  it('exits 2 on an unknown flag and on a missing transport', async () => {
    const o = io();
    expect(await main(['run', 'scenarios/uefi-ipxe.yaml', ...RELAY, '--bogus'], o)).toBe(2);
    expect(o.text()).toMatch(/Unknown argument: bogus/);
    const p = io();
    expect(await main(['run', 'scenarios/uefi-ipxe.yaml', '--server', SERVER], p)).toBe(2);
    expect(p.text()).toMatch(/choose a transport: --interface IFACE .* or --relay-from ADDR --server ADDR/);
    const q = io();
    expect(await main(['run', 'scenarios/uefi-ipxe.yaml', '--relay-from', 'nope', '--server', SERVER], q)).toBe(2);
    expect(q.text()).toMatch(/--relay-from must be an IPv4 or IPv6 address/);
  });

  it('--interface without the raw module or privileges exits 2 with the setcap hint', async () => {
    const o = io();
    const code = await main(['run', 'scenarios/uefi-ipxe.yaml', '--interface', 'pxechk-nosuch0', '--server', SERVER], o);
    expect(code).toBe(2);
    expect(o.text()).toContain('setcap cap_net_raw,cap_net_admin+eip $(which node)');
    expect(o.text()).toMatch(/run as root/);
    expect(o.text()).toMatch(/--relay-from ADDR --server ADDR/);
  });

  it('runs a scenario end to end, writes the JSON report and the pcapng, exits 0', async () => {
    const deps = labDeps();
    const out = join(dir, 'r.json');
    const pcap = join(dir, 'r.pcapng');
    const o = io();
    const code = await main(['run', 'scenarios/uefi-ipxe.yaml', ...RELAY, '--format', 'json', '--output', out, '--pcap', pcap], o, deps);
    const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    expect(r.scenarios[0]!.clients[0]!.steps.map((s) => s.error)).toEqual([null, null, null, null, null]);
    expect(code).toBe(0);
    expect(r.ok).toBe(true);
    expect(deps.transport.closed).toBe(true);
    let frames = 0;
    await readCaptureFile(pcap, (rec) => { frames++; expect(rec.linkType).toBe(1); });
    expect(frames).toBe(deps.transport.sent.length);
    expect(frames).toBeGreaterThan(5);
  });

  it('exits 1 and shows the failing step in the text report', async () => {
    const out = join(dir, 'r.txt');
    const code = await main(['run', 'scenarios/uefi-ipxe.yaml', ...RELAY, '--output', out], io(), labDeps({ noBootfile: true }));
    expect(code).toBe(1);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/firmware DORA .*FAIL/);
    expect(text).toContain('option 67 is missing');
    expect(text).toMatch(/^FAIL — 1 scenario, 1 client: 0 passed, 1 failed/m);
  });

  it('junit output has one testcase per step', async () => {
    const out = join(dir, 'r.xml');
    expect(await main(['run', 'scenarios/uefi-ipxe.yaml', ...RELAY, '-f', 'junit', '-o', out], io(), labDeps())).toBe(0);
    expect(readFileSync(out, 'utf8').match(/<testcase classname="uefi-ipxe\/pc1"/g)).toHaveLength(5);
  });

  it('Ctrl-C closes the transport and still writes partial results (exit 1)', async () => {
    const deps = labDeps();
    let fire: (() => void) | null = null;
    deps.onInterrupt = (h) => { fire = h; return () => undefined; };
    const out = join(dir, 'int.json');
    const p = main(['run', 'scenarios/uefi-ipxe.yaml', ...RELAY, '-f', 'json', '-o', out], io(), deps);
    await new Promise((r) => setImmediate(r));
    fire!();
    expect(await p).toBe(1);
    const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    expect(r.ok).toBe(false);
    expect(r.scenarios[0]!.interrupted).toMatch(/interrupted/);
    expect(deps.transport.closed).toBe(true);
  });

  it('a transport that fails (raw: the interface vanished) ends the run with its message and partial results (exit 1)', async () => {
    const deps = labDeps();
    let failWith: ((m: string) => void) | null = null;
    (deps.transport as unknown as { onFailure(h: (m: string) => void): void }).onFailure = (h) => { failWith = h; };
    const out = join(dir, 'gone.json');
    const o = io();
    const p = main(['run', 'scenarios/uefi-ipxe.yaml', ...RELAY, '-f', 'json', '-o', out], o, deps);
    await new Promise((r) => setImmediate(r));
    failWith!('cl0: the interface disappeared');
    expect(await p).toBe(1);
    expect(o.text()).toMatch(/the transport stopped: cl0: the interface disappeared/);
    const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    expect(r.ok).toBe(false);
    expect(deps.transport.closed).toBe(true);
  });
});
