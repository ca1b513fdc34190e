import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LiveCaptureError, type LiveInterface, type LivePacketHandler, type LiveStats } from '../capture/live.js';
import { readCaptureFile } from '../capture/reader.js';
import { analyzeCapture } from '../analysis/capture.js';
import type { Dhcp4Step, TftpStep } from '../flow/types.js';
import { checkCaptureArgs, DEFAULT_CAPTURE_FILTER, DEFAULT_MAX_PACKETS, runCapture, type CaptureDeps, type CaptureIo } from './capture.js';
import { UsageError } from './exit-codes.js';

const PUBLIC = join(import.meta.dirname, '../../captures/public');
const DHCP = join(PUBLIC, 'arkime/wireshark-dhcp.pcap');
const TFTP = join(PUBLIC, 'spicy-tftp/tftp_rrq.pcap');

describe('checkCaptureArgs', () => {
  it('needs at least one interface', () => {
    expect(() => checkCaptureArgs({})).toThrow(UsageError);
    expect(() => checkCaptureArgs({ interface: '' })).toThrow(/-i IFACE/);
  });

  it('takes several interfaces (repeated or comma-separated), in order, without duplicates', () => {
    expect(checkCaptureArgs({ interface: ['eth0', 'eth1,eth2', 'eth0'] }).interfaces).toEqual(['eth0', 'eth1', 'eth2']);
  });

  it('fills in defaults: the boot filter, no file, no duration, the packet cap', () => {
    expect(checkCaptureArgs({ interface: 'eth0' })).toEqual({
      interfaces: ['eth0'], write: undefined, duration: undefined, filter: DEFAULT_CAPTURE_FILTER, analyze: false, maxPackets: DEFAULT_MAX_PACKETS, keepDuplicates: false,
    });
    expect(checkCaptureArgs({ interface: 'eth0', 'keep-duplicates': true }).keepDuplicates).toBe(true);
    // TFTP transfers leave port 69 at once: the default cannot be a port-69 filter.
    expect(DEFAULT_CAPTURE_FILTER).toMatch(/^udp or /);
    expect(DEFAULT_CAPTURE_FILTER).toContain('tcp port 80');
  });

  it('parses durations as seconds or with units, and rejects the rest', () => {
    expect(checkCaptureArgs({ interface: 'eth0', duration: '8' }).duration).toBe(8);
    expect(checkCaptureArgs({ interface: 'eth0', duration: '1.5' }).duration).toBe(1.5);
    expect(checkCaptureArgs({ interface: 'eth0', duration: '2m' }).duration).toBe(120);
    expect(checkCaptureArgs({ interface: 'eth0', duration: '1m30s' }).duration).toBe(90);
    for (const bad of ['0', '-3', 'soon', '', '5 minutes']) {
      expect(() => checkCaptureArgs({ interface: 'eth0', duration: bad }), bad).toThrow(/--duration must be/);
    }
    expect(() => checkCaptureArgs({ interface: 'eth0', duration: ['1', '2'] })).toThrow(/more than once/);
  });

  it('rejects an empty filter but leaves the BPF syntax to libpcap', () => {
    expect(() => checkCaptureArgs({ interface: 'eth0', filter: '  ' })).toThrow(/--filter is empty/);
    expect(checkCaptureArgs({ interface: 'eth0', filter: ' port 67 or port 68 ' }).filter).toBe('port 67 or port 68');
    expect(checkCaptureArgs({ interface: 'eth0', filter: 'this is (not bpf' }).filter).toBe('this is (not bpf');
  });

  it('checks --max-packets, --write and --analyze', () => {
    expect(checkCaptureArgs({ interface: 'eth0', 'max-packets': '10' }).maxPackets).toBe(10);
    for (const bad of ['0', '1.5', 'x', '']) expect(() => checkCaptureArgs({ interface: 'eth0', 'max-packets': bad })).toThrow(/--max-packets/);
    expect(() => checkCaptureArgs({ interface: 'eth0', write: '' })).toThrow(/--write needs/);
    expect(checkCaptureArgs({ interface: 'eth0', write: 'x.pcapng', analyze: true })).toMatchObject({ write: 'x.pcapng', analyze: true });
  });

  it('rejects names that cannot be interfaces', () => {
    expect(() => checkCaptureArgs({ interface: 'a-name-much-too-long' })).toThrow(/"a-name-much-too-long" is not an interface name/);
    expect(() => checkCaptureArgs({ interface: '../etc' })).toThrow(/not an interface name/);
  });
});

// ---- runCapture with fake interfaces, fed the records of real captures ----

interface FakeIface extends LiveInterface {
  emit(frame: Uint8Array, time: number): void;
  /** The interface disappears: the binding's read error. */
  fail(message: string): void;
  closed: boolean;
  opts: unknown;
}

function fakeIface(name: string, linkType: number, dropped: number | null, opts: unknown): FakeIface {
  const handlers: LivePacketHandler[] = [];
  const errorHandlers: ((m: string) => void)[] = [];
  const stats: LiveStats = { received: 0, truncated: 0, dropped, ifDropped: dropped === null ? null : 0, sent: 0 };
  const f: FakeIface = {
    name, linkType, closed: false, opts,
    send: () => {},
    onPacket: (h) => { handlers.push(h); },
    onError: (h) => { errorHandlers.push(h); },
    fail: (m) => { for (const h of errorHandlers) h(`${name}: ${m}`); },
    stats: () => ({ ...stats }),
    close: () => { f.closed = true; },
    emit: (frame, time) => {
      stats.received++;
      // The binding hands out a fresh copy per packet; the reader's view is reused.
      for (const h of handlers) h(frame.slice(), time, false);
    },
  };
  return f;
}

interface Harness {
  deps: CaptureDeps;
  io: CaptureIo;
  ifaces: Map<string, FakeIface>;
  stdout: () => string;
  stderr: () => string;
  tick: () => void;
  interrupt: () => void;
  fireDuration: () => void;
  setNow: (t: number) => void;
  timersLeft: () => number;
}

function harness(opts: { dropped?: Record<string, number | null>; fail?: LiveCaptureError } = {}): Harness {
  let out = '';
  let err = '';
  let now = 0;
  let tick: (() => void) | null = null;
  let duration: (() => void) | null = null;
  let interrupt: (() => void) | null = null;
  const ifaces = new Map<string, FakeIface>();
  const deps: CaptureDeps = {
    openInterface: (name, o) => {
      if (opts.fail && name === 'bad0') throw opts.fail;
      const f = fakeIface(name, 1, opts.dropped?.[name] ?? null, o);
      ifaces.set(name, f);
      return f;
    },
    now: () => now,
    every: (_ms, fn) => { tick = fn; return () => { tick = null; }; },
    after: (_ms, fn) => { duration = fn; return () => { duration = null; }; },
    onInterrupt: (fn) => { interrupt = fn; return () => { interrupt = null; }; },
    utc: true,
  };
  return {
    deps,
    io: { stdout: (s) => (out += s), stderr: (s) => (err += s), stdoutIsTTY: false, env: {} },
    ifaces,
    stdout: () => out,
    stderr: () => err,
    tick: () => tick?.(),
    interrupt: () => interrupt?.(),
    fireDuration: () => duration?.(),
    setNow: (t) => { now = t; },
    timersLeft: () => [tick, duration, interrupt].filter((x) => x !== null).length,
  };
}

async function recordsOf(path: string): Promise<{ data: Uint8Array; time: number }[]> {
  const out: { data: Uint8Array; time: number }[] = [];
  await readCaptureFile(path, (r) => out.push({ data: r.data.slice(), time: r.time }));
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-capture-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('runCapture (fake interfaces)', () => {
  it('writes one pcapng IDB per interface, numbers frames across them, prints steps as they complete, ends on Ctrl-C', async () => {
    const h = harness({ dropped: { eth0: 3, eth1: null } });
    const file = join(tmp, 'two.pcapng');
    const args = checkCaptureArgs({ interface: ['eth0', 'eth1'], write: file });
    const done = runCapture(args, h.io, h.deps);
    expect(h.ifaces.get('eth0')!.opts).toMatchObject({ filter: DEFAULT_CAPTURE_FILTER });
    const dhcp = await recordsOf(DHCP);
    const tftp = await recordsOf(TFTP);
    // DORA on eth0, then the TFTP transfer on eth1; time stays monotonic across both.
    const t0 = dhcp[0]!.time;
    for (const r of dhcp) h.ifaces.get('eth0')!.emit(r.data, r.time);
    h.setNow(dhcp[dhcp.length - 1]!.time + 0.1);
    h.tick();
    const afterDora = h.stdout().split('\n').filter(Boolean);
    expect(afterDora).toHaveLength(1);
    // This capture's DISCOVER/OFFER (xid 0x3d1d) and REQUEST/ACK (xid 0x3d1e) are two transactions:
    // only the acknowledged one is done; the other waits for the quiet period.
    expect(afterDora[0]).toMatch(/ dhcp4 \(os\) REQUEST→ACK ok 192\.168\.0\.10 0\.\d{3}s$/);
    const shift = t0 + 10 - tftp[0]!.time;
    for (const r of tftp) h.ifaces.get('eth1')!.emit(r.data, r.time + shift);
    h.setNow(tftp[tftp.length - 1]!.time + shift + 0.1);
    h.tick();
    h.interrupt();
    expect(await done).toBe(0);
    expect(h.timersLeft()).toBe(0);
    expect([...h.ifaces.values()].every((i) => i.closed)).toBe(true);

    const lines = h.stdout().split('\n');
    const steps = lines.filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l) && / (dhcp4|tftp) /.test(l));
    expect(steps).toHaveLength(3);
    expect(steps[1]).toMatch(/ dhcp4 \(os\) DISCOVER→OFFER open /);
    expect(steps[2]).toMatch(/ tftp RRQ rfc1350\.txt ok 24599 bytes [\d.]+ [kM]?B\/s /);
    const total = dhcp.length + tftp.length;
    expect(h.stdout()).toContain(`Capture ended (interrupted): ${total} packets (eth0: ${dhcp.length} received, dropped: 3 by the kernel; eth1: ${tftp.length} received, drops: unknown)`);
    expect(h.stdout()).toMatch(/Clients: \d+ boot, \d+ other; boots/);
    expect(h.stdout()).toContain(`Wrote: ${file}`);

    // The file reads back with the same engine: same steps, frames counted across interfaces.
    const a = await analyzeCapture(file);
    expect(a.packets).toBe(total);
    const all = a.clients.flatMap((c) => c.steps);
    const d4 = all.find((s): s is Dhcp4Step => s.kind === 'dhcp4' && s.ok)!;
    const tf = all.find((s): s is TftpStep => s.kind === 'tftp')!;
    expect(d4).toMatchObject({ ok: true, messages: ['REQUEST', 'ACK'], frames: [3, 4] });
    expect(tf).toMatchObject({ ok: true, bytes: 24599, complete: true });
    expect(tf.frames[0]).toBe(dhcp.length + 1);
  });

  it.skipIf(spawnSync('tshark', ['-v']).status !== 0)('writes a file tshark reads, with both interfaces', async () => {
    const h = harness();
    const file = join(tmp, 'tshark.pcapng');
    const done = runCapture(checkCaptureArgs({ interface: ['eth0', 'eth1'], write: file }), h.io, h.deps);
    const dhcp = await recordsOf(DHCP);
    dhcp.forEach((r, i) => h.ifaces.get(i % 2 === 0 ? 'eth0' : 'eth1')!.emit(r.data, r.time));
    h.fireDuration();
    h.interrupt();
    expect(await done).toBe(0);
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number', '-e', 'frame.interface_name', '-e', 'dhcp.option.dhcp'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['1\teth0\t1', '2\teth1\t2', '3\teth0\t3', '4\teth1\t5']);
  });

  it('ends at --duration and at --max-packets with a complete file', async () => {
    const dhcp = await recordsOf(DHCP);
    const h = harness();
    const file = join(tmp, 'max.pcapng');
    const done = runCapture(checkCaptureArgs({ interface: 'eth0', write: file, 'max-packets': '2' }), h.io, h.deps);
    for (const r of dhcp) h.ifaces.get('eth0')!.emit(r.data, r.time);
    expect(await done).toBe(0);
    expect(h.stdout()).toContain('Capture ended (--max-packets 2 reached): 2 packets');
    // The DISCOVER/OFFER step was never completed: flushed as open at the end.
    expect(h.stdout()).toMatch(/ dhcp4 \(os\) DISCOVER→OFFER open /);
    expect((await analyzeCapture(file)).packets).toBe(2);

    const h2 = harness();
    const done2 = runCapture(checkCaptureArgs({ interface: 'eth0', duration: '8' }), h2.io, h2.deps);
    h2.fireDuration();
    expect(await done2).toBe(0);
    expect(h2.stdout()).toContain('Capture ended (--duration 8 s): 0 packets');
  });

  it('with --analyze prints the analyze report and exits as analyze does', async () => {
    const dhcp = await recordsOf(DHCP);
    const h = harness();
    const done = runCapture(checkCaptureArgs({ interface: 'eth0', analyze: true }), h.io, h.deps);
    for (const r of dhcp) h.ifaces.get('eth0')!.emit(r.data, r.time);
    h.interrupt();
    expect(await done).toBe(0);
    expect(h.stdout()).toMatch(/File: +live:eth0/);
    expect(h.stdout()).toContain('Client 00:0b:82:01:fc:42');
  });

  it('an interface that disappears ends the capture by itself: message on stderr, file and summary complete, exit 2', async () => {
    const dhcp = await recordsOf(DHCP);
    const h = harness({ dropped: { eth0: 0, eth1: 0 } });
    const file = join(tmp, 'gone.pcapng');
    const done = runCapture(checkCaptureArgs({ interface: ['eth0', 'eth1'], write: file }), h.io, h.deps);
    for (const r of dhcp) h.ifaces.get('eth0')!.emit(r.data, r.time);
    h.ifaces.get('eth1')!.fail('The interface disappeared');
    expect(await done).toBe(2);
    expect(h.stderr()).toMatch(/stopped: eth1: The interface disappeared/);
    expect(h.stdout()).toMatch(/Capture ended \(an interface went away\): \d+ packets/);
    expect(h.ifaces.get('eth0')!.closed).toBe(true);
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
    if (r.status !== null && !r.error) expect(r.stdout.trim().split('\n')).toHaveLength(dhcp.length);
  });

  it('an interface that cannot be opened: exit 2, the message on stderr, the others closed, no file', async () => {
    const h = harness({ fail: new LiveCaptureError('ENODEV', 'no network interface named bad0 (see `ip link`)') });
    const file = join(tmp, 'never.pcapng');
    const code = await runCapture(checkCaptureArgs({ interface: ['eth0', 'bad0'], write: file }), h.io, h.deps);
    expect(code).toBe(2);
    expect(h.stderr()).toBe('pxecheck capture: no network interface named bad0 (see `ip link`)\n');
    expect(h.ifaces.get('eth0')!.closed).toBe(true);
    expect(spawnSync('test', ['-e', file]).status).not.toBe(0);
    expect(h.stdout()).toBe('');
  });

  it('a missing privilege: exit 2 with the hint', async () => {
    const h = harness({ fail: new LiveCaptureError('EPERM', 'cannot open bad0 for raw capture: Operation not permitted; run as root') });
    expect(await runCapture(checkCaptureArgs({ interface: 'bad0' }), h.io, h.deps)).toBe(2);
    expect(h.stderr()).toMatch(/Operation not permitted; run as root/);
  });

  it('an unwritable output file: exit 2, interfaces closed', async () => {
    const h = harness();
    const code = await runCapture(checkCaptureArgs({ interface: 'eth0', write: join(tmp, 'no/such/dir/x.pcapng') }), h.io, h.deps);
    expect(code).toBe(2);
    expect(h.stderr()).toMatch(/cannot write .*ENOENT/);
    expect(h.ifaces.get('eth0')!.closed).toBe(true);
  });
});
