// src/lab/impair.ts without a lab: the nft script it loads, argument checks, and DelayRelay over
// fake interfaces with a fake clock (delay, both directions, no echo, bounded queue, stop).
import { describe, expect, it, vi } from 'vitest';
import type { LiveInterface, LivePacketHandler, LiveOpenOptions } from '../../src/capture/live.js';
import { DelayRelay, dropRandomScript, rateLimit, targetNamespace } from '../../src/lab/impair.js';

class FakeIface implements LiveInterface {
  readonly linkType = 1;
  readonly sent: Uint8Array[] = [];
  readonly handlers: LivePacketHandler[] = [];
  closed = false;
  constructor(readonly name: string, readonly opts: LiveOpenOptions) {}
  send(frame: Uint8Array): void {
    if (this.closed) throw new Error('closed');
    this.sent.push(frame);
  }
  onPacket(h: LivePacketHandler): void {
    this.handlers.push(h);
  }
  onError(): void {}
  stats() {
    return { received: 0, truncated: 0, dropped: null, ifDropped: null, sent: this.sent.length };
  }
  close(): void {
    this.closed = true;
  }
  /** A frame arriving from the wire. */
  receive(frame: Uint8Array): void {
    for (const h of this.handlers) h(frame, 0, frame.length);
  }
}

function relayWithFakes(delayMs: number, maxQueue?: number) {
  const ifaces = new Map<string, FakeIface>();
  let now = 1_000_000;
  const relay = new DelayRelay('a0', 'b0', {
    delayMs,
    ...(maxQueue !== undefined ? { maxQueue } : {}),
    now: () => now,
    open: (name, opts) => {
      const f = new FakeIface(name, opts);
      ifaces.set(name, f);
      return f;
    },
  });
  return { relay, a: ifaces.get('a0')!, b: ifaces.get('b0')!, advance: (ms: number) => { now += ms; vi.advanceTimersByTime(ms); } };
}

const frame = (tag: number): Uint8Array => new Uint8Array([tag, 1, 2, 3]);

describe('DelayRelay', () => {
  it('captures only inbound frames on both sides', () => {
    const { relay, a, b } = relayWithFakes(10);
    expect(a.opts.filter).toBe('inbound');
    expect(b.opts.filter).toBe('inbound');
    relay.stop();
  });

  it('holds each frame delayMs, then sends it out the other side, both directions, in order', () => {
    vi.useFakeTimers();
    try {
      const { relay, a, b, advance } = relayWithFakes(1500);
      a.receive(frame(1));
      advance(500);
      b.receive(frame(2));
      a.receive(frame(3));
      advance(999);
      expect(b.sent).toHaveLength(0);
      advance(1);
      expect(b.sent.map((f) => f[0])).toEqual([1]);
      expect(a.sent).toHaveLength(0);
      advance(500);
      expect(b.sent.map((f) => f[0])).toEqual([1, 3]);
      expect(a.sent.map((f) => f[0])).toEqual([2]);
      expect(relay.stats).toMatchObject({ forwardedAB: 2, forwardedBA: 1, overflow: 0 });
      expect(relay.queued).toBe(0);
      relay.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('bounds each queue and counts what it drops', () => {
    vi.useFakeTimers();
    try {
      const { relay, a, b, advance } = relayWithFakes(100, 3);
      for (let i = 0; i < 5; i++) a.receive(frame(i));
      expect(relay.queued).toBe(3);
      expect(relay.stats.overflow).toBe(2);
      advance(100);
      expect(b.sent.map((f) => f[0])).toEqual([0, 1, 2]);
      relay.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('stop() drops what is queued, closes both sides, and ignores later frames', () => {
    vi.useFakeTimers();
    try {
      const { relay, a, b, advance } = relayWithFakes(100);
      a.receive(frame(1));
      relay.stop();
      relay.stop();
      expect(a.closed && b.closed).toBe(true);
      a.receive(frame(2));
      advance(1000);
      expect(b.sent).toHaveLength(0);
      expect(relay.queued).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('closes side a when side b cannot be opened', () => {
    let first: FakeIface | undefined;
    expect(() => new DelayRelay('a0', 'nope', {
      delayMs: 1,
      open: (name, opts) => {
        if (name === 'nope') throw new Error('no such interface');
        first = new FakeIface(name, opts);
        return first;
      },
    })).toThrow(/no such interface/);
    expect(first?.closed).toBe(true);
  });
});

describe('dropRandomScript', () => {
  it('adds our own table, a chain on the hook, and a numgen random drop rule', () => {
    const s = dropRandomScript({ percent: 20, match: 'udp sport 69' }, 'drop1');
    expect(s).toContain('add table inet pxecheck_impair');
    expect(s).toContain('add chain inet pxecheck_impair drop1 { type filter hook output priority 0 ; policy accept ; }');
    expect(s).toContain('add rule inet pxecheck_impair drop1 udp sport 69 numgen random mod 100 < 20 counter drop');
    expect(dropRandomScript({ percent: 5, match: 'udp', hook: 'input' }, 'c')).toContain('hook input');
  });

  it('rejects a percent outside 0–100 and a match that could smuggle nft commands', () => {
    expect(() => dropRandomScript({ percent: 101, match: 'udp' }, 'c')).toThrow(/percent/);
    expect(() => dropRandomScript({ percent: 2.5, match: 'udp' }, 'c')).toThrow(/percent/);
    expect(() => dropRandomScript({ percent: 10, match: 'udp; flush ruleset' }, 'c')).toThrow(/match/);
    expect(() => dropRandomScript({ percent: 10, match: 'udp\nflush ruleset' }, 'c')).toThrow(/match/);
  });
});

describe('targets and arguments', () => {
  it('resolves a namespace name, a Lab and a LabInfo to the server namespace', () => {
    expect(targetNamespace('x-srv')).toBe('x-srv');
    expect(targetNamespace({ ns: { srv: 'lab-srv' } })).toBe('lab-srv');
    expect(targetNamespace({ serverNs: 'info-srv' })).toBe('info-srv');
  });

  it('rateLimit refuses a bad interface name or rate before running tc', () => {
    expect(() => rateLimit('ns', 'eth0; reboot', { rateKbit: 256 })).toThrow(/interface/);
    expect(() => rateLimit('ns', 'eth0', { rateKbit: 0 })).toThrow(/rateKbit/);
  });
});
