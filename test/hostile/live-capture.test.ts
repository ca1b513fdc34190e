/**
 * `pxecheck capture` on hostile traffic, through the live path (runCapture with a fake interface
 * fed frame by frame, as libpcap would): the same steady clock and the same memory limits as a
 * file. A clock set forward by 23 years mid-capture is `capture.clock-jump`, not a duration of
 * years; a flood of IPv4 first fragments that never complete is cut at the reassembler's limit
 * and reported as `capture.limit`, live and in the --analyze report.
 */
import { describe, expect, it } from 'vitest';
import { clockJump, fragmentFlood } from '../../src/gen/hostile.js';
import type { LiveInterface, LivePacketHandler } from '../../src/capture/live.js';
import { checkCaptureArgs, runCapture, type CaptureDeps } from '../../src/cli/capture.js';

const YEARS_23 = 23 * 365 * 86400;
const FRAGMENTS = 2000; // the reassembler holds 1,024 datagrams at most

function frames(): { time: number; data: Uint8Array }[] {
  const out: { time: number; data: Uint8Array }[] = [];
  clockJump((time, data) => out.push({ time, data }), 5, 5, YEARS_23);
  const after = out[out.length - 1]!.time + 1;
  let first: number | null = null;
  fragmentFlood((time, data) => {
    first ??= time;
    out.push({ time: after + (time - first), data });
  }, FRAGMENTS, 4, { piece: 200 });
  return out;
}

function live(): { deps: CaptureDeps; emit: (data: Uint8Array, time: number) => void; tick: () => void; stop: () => void; setNow: (t: number) => void } {
  const handlers: LivePacketHandler[] = [];
  let tick = (): void => {};
  let interrupt = (): void => {};
  let now = 0;
  const iface: LiveInterface = {
    name: 'eth0', linkType: 1, send: () => {}, onPacket: (h) => { handlers.push(h); }, onError: () => {},
    stats: () => ({ received: 0, truncated: 0, dropped: 0, ifDropped: 0, sent: 0 }), close: () => {},
  };
  return {
    deps: {
      openInterface: () => iface, now: () => now, utc: true,
      every: (_ms, fn) => { tick = fn; return () => { tick = () => {}; }; },
      after: () => () => {},
      onInterrupt: (fn) => { interrupt = fn; return () => { interrupt = () => {}; }; },
    },
    emit: (data, time) => { for (const h of handlers) h(data.slice(), time, data.length); },
    tick: () => tick(),
    stop: () => interrupt(),
    setNow: (t) => { now = t; },
  };
}

describe('capture (live path) on hostile traffic', () => {
  it('a clock jump of 23 years is flagged and spans no duration; a fragment flood is cut at the limit and said so', async () => {
    const l = live();
    let stdout = '';
    let stderr = '';
    const done = runCapture(checkCaptureArgs({ interface: 'eth0', analyze: true }), { stdout: (s) => { stdout += s; }, stderr: (s) => { stderr += s; }, stdoutIsTTY: false, env: {} }, l.deps);
    const all = frames();
    for (const [i, f] of all.entries()) {
      l.emit(f.data, f.time);
      // The wall clock is the capture's own (it jumped too), ticking along.
      if (i % 200 === 0) { l.setNow(f.time + 3); l.tick(); }
    }
    l.setNow(all[all.length - 1]!.time + 6); // past the findings' throttle (2 s)
    l.tick();
    const liveLines = stdout;
    l.stop();
    expect(await done).toBe(1); // the DISCOVERs were never answered: an error finding
    expect(stderr).not.toMatch(/at .*\.js:\d+/);

    // Live, as the findings were evaluated during the capture.
    expect(liveLines).toMatch(/\* warning capture\.clock-jump: .*forward by 23\.0 years/i);
    expect(liveLines).toMatch(/\* warning capture\.limit: .*fragment limit reached: \d+ incomplete IPv4 datagram\(s\) dropped/i);
    // And in the --analyze report at the end.
    const report = stdout.slice(liveLines.length);
    expect(report).toContain('capture.clock-jump');
    expect(report).toMatch(/capture\.limit.*fragment limit reached/);
    // No number of seconds of a year or more anywhere (a step across the jump would be ~7.3e8 s).
    for (const m of stdout.matchAll(/(\d+(?:\.\d+)?) ?s\b/g)) expect(Number(m[1])).toBeLessThan(365 * 86400);
  });
});
