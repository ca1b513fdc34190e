/**
 * The reused-message parse (`DhcpV4Scratch`) gives what `parseDhcpV4` gives — message and issues —
 * for every DHCPv4 packet in captures/, in one sequence through one scratch, and for cut-short,
 * mutated and oversized copies of them in between.
 */
import { describe, expect, it } from 'vitest';
import type { WireIssue } from '../issues.js';
import { emitDhcpV4, parseDhcpV4 } from './message.js';
import { DhcpV4Scratch } from './scratch.js';
import { captureFiles, ROOT } from '../../../test/helpers/paths.js';
import { udpPayloads } from '../../../test/helpers/pcap.js';
import { join } from 'node:path';

/** Every DHCPv4 payload (ports 67, 68, 4011) of the captures in captures/, copied. */
function corpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const file of captureFiles()) {
    for (const p of udpPayloads(join(ROOT, file), [67, 68, 4011])) {
      if (p.srcPort === 4011 || p.dstPort === 4011 || p.srcPort === 67 || p.dstPort === 67 || p.srcPort === 68 || p.dstPort === 68) out.push(p.payload.slice());
    }
  }
  return out;
}

function same(sc: DhcpV4Scratch, payload: Uint8Array, base: number): void {
  const wantIssues: WireIssue[] = [];
  const want = parseDhcpV4(payload, wantIssues, base);
  const gotIssues: WireIssue[] = [];
  const got = sc.parse(payload, gotIssues, base);
  expect(got).toEqual(want);
  expect(gotIssues).toEqual(wantIssues);
  expect(emitDhcpV4(got)).toEqual(payload);
}

/** A deterministic byte sequence (no Math.random in tests). */
function* lcg(seed: number): Generator<number> {
  let x = seed >>> 0;
  for (;;) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    yield x;
  }
}

describe('DhcpV4Scratch', () => {
  const payloads = corpus();

  it('the corpus is there and holds DHCP messages with options', () => {
    expect(payloads.length).toBeGreaterThan(100);
  });

  it('parses every captured message as parseDhcpV4 does, one after the other in one scratch', () => {
    const sc = new DhcpV4Scratch();
    for (const p of payloads) same(sc, p, 42);
  });

  it('reuses one message for well-formed DHCP messages (the point of it)', () => {
    const sc = new DhcpV4Scratch();
    const dhcp = payloads.filter((p) => p.length > 240 && p[236] === 0x63 && p[237] === 0x82);
    expect(dhcp.length).toBeGreaterThan(2);
    const first = sc.parse(dhcp[0]!, []);
    expect(sc.parse(dhcp[1]!, [])).toBe(first);
  });

  it('cut-short, mutated and padded copies, interleaved with whole messages', () => {
    const sc = new DhcpV4Scratch();
    const rnd = lcg(12);
    for (const [n, p] of payloads.entries()) {
      if (n % 8 !== 0) continue;
      for (let cut = 230; cut < p.length; cut += 29) same(sc, p.subarray(0, cut), 0);
      for (let k = 0; k < 4; k++) {
        const m = p.slice();
        // bytes in the options and (often overloaded) file/sname areas
        const at = 44 + (rnd.next().value! % Math.max(1, m.length - 44));
        m[at] = rnd.next().value! & 0xff;
        same(sc, m, 0);
        same(sc, p, 0);
      }
      // longer than the scratch's first buffer: it grows and keeps giving the same answers
      const big = new Uint8Array(p.length + 1500);
      big.set(p);
      same(sc, big, 0);
      same(sc, p, 0);
    }
  });
});
