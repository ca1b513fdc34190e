/**
 * The reused-message parse (`DhcpV4Scratch`) gives what `parseDhcpV4` gives — message and issues —
 * for every DHCPv4 packet in captures/, in one sequence through one scratch, and for cut-short,
 * mutated and oversized copies of them in between; and, key for key, after a message with every
 * optional part (so a field added later that the scratch does not reset fails here).
 */
import { describe, expect, it } from 'vitest';
import type { WireIssue } from '../issues.js';
import { emitDhcpV4, F, MAGIC_COOKIE, parseDhcpV4 } from './message.js';
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

/** A message of 240 header bytes (the DHCP cookie unless `cookie: false`), then `options`; `file`
 *  and `sname` written into their areas. */
function message(options: number[], areas: { file?: number[]; sname?: number[]; cookie?: false } = {}): Uint8Array {
  const b = new Uint8Array(F.OPTIONS + options.length);
  b.set([2, 1, 6, 1, 0x12, 0x34, 0x56, 0x78, 0, 3, 0x80, 0], 0);
  b.set([2, 0, 0x5e, 0, 0x53, 1], F.CHADDR);
  if (areas.cookie !== false) b.set(MAGIC_COOKIE, F.COOKIE);
  b.set(areas.file ?? [], F.FILE);
  b.set(areas.sname ?? [], F.SNAME);
  b.set(options, F.OPTIONS);
  return b;
}

const ascii = (t: string): number[] => [...t].map((c) => c.charCodeAt(0));

/** Every key path of the plain objects and arrays in `x` (typed arrays are values), sorted. */
function shape(x: unknown, path = '', out: string[] = []): string[] {
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x)) return out;
  for (const [k, v] of Object.entries(x)) {
    out.push(`${path}.${k}`);
    shape(v, `${path}.${k}`, out);
  }
  return path === '' ? out.sort() : out;
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
  }, 120_000); // thousands of deep compares: ~1 s idle, 10x that on 2 loaded CI cores

  it('reuses one message for well-formed DHCP messages (the point of it)', () => {
    const sc = new DhcpV4Scratch();
    const dhcp = payloads.filter((p) => p.length > 240 && p[236] === 0x63 && p[237] === 0x82);
    expect(dhcp.length).toBeGreaterThan(2);
    const first = sc.parse(dhcp[0]!, []);
    expect(sc.parse(dhcp[1]!, [])).toBe(first);
  });

  it('leaves nothing of a message with every optional part in the next one, plain or not (no field left unreset)', () => {
    const plain = message([53, 1, 5, 54, 4, 198, 51, 100, 1, 255]);
    // Overloaded file and sname (52 = 3) with options in both, option 82, a lease time of the wrong
    // length (a value issue), an option in sname running past its area, padding after END (trailer).
    const overloaded = message(
      [53, 1, 2, 52, 1, 3, 82, 12, 1, 4, ...ascii('eth0'), 2, 4, 1, 2, 3, 4, 51, 2, 0, 1, 255, 0, 0, 0],
      { file: [67, 4, ...ascii('boot'), 255], sname: [66, 3, ...ascii('tft'), 12, 200, ...ascii('host')] },
    );
    // No END: the last option lacks its length byte; and one that simply stops after a whole option.
    const noLength = message([53, 1, 3, 61, 7, 1, 2, 0, 0x5e, 0, 0x53, 1, 50]);
    const unterminated = message([53, 1, 1, 12, 3, ...ascii('abc')]);
    // Plain BOOTP (no cookie; its vendor area is the trailer): parsed into a new message.
    const bootp = message(new Array<number>(64).fill(0), { cookie: false });
    const all = { plain, overloaded, noLength, unterminated, bootp };

    // The rich ones have what they are here for (the test cannot pass on messages that lost it).
    const issues: WireIssue[] = [];
    const rich = parseDhcpV4(overloaded, issues);
    expect(new Set(rich.options.map((o) => o.area))).toEqual(new Set(['options', 'file', 'sname']));
    expect(rich.options.some((o) => o.code === 82 && o.data.length === 12)).toBe(true);
    expect(rich.options.some((o) => o.declaredLength === 200)).toBe(true);
    expect(rich.trailer.length).toBe(3);
    expect(issues.map((i) => i.message)).toEqual(expect.arrayContaining([expect.stringMatching(/option 12 in sname declares 200/), expect.stringMatching(/option 51 .*do not fit/)]));
    const cut: WireIssue[] = [];
    expect(parseDhcpV4(noLength, cut).options.at(-1)?.declaredLength).toBe(-1);
    expect(cut.length).toBeGreaterThan(0);
    const open: WireIssue[] = [];
    expect(parseDhcpV4(unterminated, open).trailer.length).toBe(0);
    expect(open.map((i) => i.message)).toContain('options area ends without END (255)');

    // Every ordered pair through one scratch: the second is what parseDhcpV4 makes of it, key for key.
    for (const [firstName, first] of Object.entries(all)) {
      for (const [secondName, second] of Object.entries(all)) {
        const sc = new DhcpV4Scratch();
        const a = sc.parse(first, []);
        const wantIssues: WireIssue[] = [];
        const want = parseDhcpV4(second, wantIssues);
        const gotIssues: WireIssue[] = [];
        const got = sc.parse(second, gotIssues);
        const pair = `${firstName} then ${secondName}`;
        if (first !== bootp && second !== bootp) expect(got, `${pair}: one reused message`).toBe(a);
        expect(shape(got), pair).toEqual(shape(want));
        expect(got, pair).toStrictEqual(want);
        expect(gotIssues, pair).toStrictEqual(wantIssues);
      }
    }
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
  }, 120_000); // ~3 s idle; a loaded CI box took 30 s once
});
