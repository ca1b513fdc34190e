// `capture --metrics` and `--events` through runCapture with a fake interface fed a real capture:
// flag checks, a port in use (one line, exit 2, nothing captured), `--events -` keeping standard
// output for events only, and the endpoint answering while the capture runs and gone after it.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LiveInterface, LivePacketHandler } from '../capture/live.js';
import { readCaptureFile } from '../capture/reader.js';
import { monitorEventSchema } from '../monitor/events-schema.js';
import { checkCaptureArgs, runCapture, type CaptureDeps, type CaptureIo } from './capture.js';
import { UsageError } from './exit-codes.js';

const DHCP = join(import.meta.dirname, '../../captures/lab/broken-two-dhcp-servers.pcapng');

function setup() {
  let out = '';
  let err = '';
  let interrupt: () => void = () => {};
  let tick: () => void = () => {};
  const handlers: LivePacketHandler[] = [];
  let closed = false;
  const iface: LiveInterface = {
    name: 'eth0', linkType: 1,
    send: () => {},
    onPacket: (h) => void handlers.push(h),
    onError: () => {},
    stats: () => ({ received: 0, truncated: 0, dropped: 0, ifDropped: 0, sent: 0 }),
    close: () => void (closed = true),
  };
  const deps: CaptureDeps = {
    openInterface: () => iface,
    now: () => 2e9,
    every: (_ms, fn) => { tick = fn; return () => {}; },
    after: () => () => {},
    onInterrupt: (fn) => { interrupt = fn; return () => {}; },
    utc: true,
  };
  const io: CaptureIo = { stdout: (s) => (out += s), stderr: (s) => (err += s), stdoutIsTTY: false, env: {} };
  return {
    deps, io,
    emit: (frame: Uint8Array, time: number) => { for (const h of handlers) h(frame.slice(), time, frame.length); },
    stdout: () => out, stderr: () => err, interrupt: () => interrupt(), tick: () => tick(), closed: () => closed,
  };
}

/** runCapture opens the monitor asynchronously: packets only count once it says it listens. */
async function listening(h: { stderr: () => string }): Promise<void> {
  const until = Date.now() + 10_000;
  while (!/listening on/.test(h.stderr()) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}

async function records(): Promise<{ data: Uint8Array; time: number }[]> {
  const out: { data: Uint8Array; time: number }[] = [];
  await readCaptureFile(DHCP, (r) => out.push({ data: r.data.slice(), time: r.time }));
  return out;
}

describe('capture --metrics / --events flags', () => {
  it('takes [ADDR:]PORT with 127.0.0.1 as the default address, and an events target', () => {
    expect(checkCaptureArgs({ interface: 'eth0', metrics: '9464' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(checkCaptureArgs({ interface: 'eth0', metrics: '0.0.0.0:9464', events: '-' })).toMatchObject({ metrics: { host: '0.0.0.0', port: 9464 }, events: '-' });
    for (const bad of ['', 'eth0', '99999', 'example.com:80']) {
      expect(() => checkCaptureArgs({ interface: 'eth0', metrics: bad }), bad).toThrow(/--metrics takes \[ADDR:\]PORT/);
    }
    expect(() => checkCaptureArgs({ interface: 'eth0', events: '' })).toThrow(UsageError);
    expect(() => checkCaptureArgs({ interface: 'eth0', events: 'x.pcapng', write: 'x.pcapng' })).toThrow(/same file/);
    expect(() => checkCaptureArgs({ interface: 'eth0', metrics: ['1', '2'] })).toThrow(/more than once/);
  });
});

describe('runCapture with the monitor', () => {
  it('a port in use: one line on stderr, exit 2, the interface closed, nothing on stdout', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    try {
      const h = setup();
      const code = await runCapture(checkCaptureArgs({ interface: 'eth0', metrics: `127.0.0.1:${port}` }), h.io, h.deps);
      expect(code).toBe(2);
      expect(h.stderr().trim().split('\n')).toEqual([`pxecheck capture: --metrics 127.0.0.1:${port}: the port is in use (another exporter, or another pxecheck); choose another port`]);
      expect(h.stdout()).toBe('');
      expect(h.closed()).toBe(true);
    } finally {
      holder.close();
    }
  });

  it('an events file that cannot be written: one line, exit 2, the interface closed', async () => {
    const h = setup();
    const code = await runCapture(checkCaptureArgs({ interface: 'eth0', events: '/nonexistent-dir/events.jsonl' }), h.io, h.deps);
    expect(code).toBe(2);
    expect(h.stderr().trim().split('\n')).toEqual(['pxecheck capture: cannot write /nonexistent-dir/events.jsonl: ENOENT']);
    expect(h.closed()).toBe(true);
  });

  it('--events - writes only events to stdout (valid, each once) and the live lines to stderr', async () => {
    const h = setup();
    const done = runCapture(checkCaptureArgs({ interface: 'eth0', events: '-' }), h.io, h.deps);
    await listening(h);
    for (const r of await records()) h.emit(r.data, r.time);
    h.tick();
    h.interrupt();
    expect(await done).toBe(0);
    const lines = h.stdout().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(3);
    const events = lines.map((l) => monitorEventSchema.parse(JSON.parse(l)));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    expect(events.some((e) => e.kind === 'attempt' && e.outcome === 'failed' && e.rootCause !== null)).toBe(true);
    expect(h.stderr()).toMatch(/ dhcp4 \(firmware\) /);
    expect(h.stderr()).toMatch(/Events: \d+ steps, \d+ attempts, \d+ findings\n/);
  });

  it('serves /metrics while capturing, with the offers of both servers; the port is closed after', async () => {
    const h = setup();
    const done = runCapture(checkCaptureArgs({ interface: 'eth0', metrics: '127.0.0.1:0' }), h.io, h.deps);
    await listening(h);
    const url = /metrics on (http:\S+)/.exec(h.stderr())![1]!;
    for (const r of await records()) h.emit(r.data, r.time);
    const body = await (await fetch(url)).text();
    expect(body).toMatch(/^pxecheck_dhcp_offers_total\{kind="dhcp4",server="198\.51\.100\.1"\} 1$/m);
    expect(body).toMatch(/^pxecheck_dhcp_offers_total\{kind="dhcp4",server="198\.51\.100\.2"\} 1$/m);
    h.interrupt();
    expect(await done).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });
});
