/**
 * Bad input never throws. A truncation sweep (every prefix of every fixture packet) must decode and
 * report truncation; a seeded mutation run over ≥ 20,000 frames must finish without an exception.
 */
import { describe, it, expect } from 'vitest';
import { captureFiles } from '../helpers/fixtures.js';
import { loadFrames, prng, type FixtureFrame } from '../helpers/frames.js';
import { DecodePipeline } from '../../src/decode/pipeline.js';
import type { WireIssue } from '../../src/wire/issues.js';
import { parseLink } from '../../src/wire/link.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';

interface Outcome { messages: number; issues: WireIssue[] }

/** Collects what the pipeline reports for the frame being pushed. */
class CollectingSink {
  out: Outcome = { messages: 0, issues: [] };
  message(m: { issues: WireIssue[] }): void {
    this.out.messages++;
    this.out.issues.push(...m.issues);
  }
  undecoded(f: { issues: WireIssue[] }): void {
    this.out.issues.push(...f.issues);
  }
}

class Harness {
  readonly sink = new CollectingSink();
  readonly pipe = new DecodePipeline(this.sink as never);
  decode(f: FixtureFrame, data: Uint8Array, frameNo: number): Outcome {
    this.sink.out = { messages: 0, issues: [] };
    this.pipe.push({ frame: frameNo, time: f.time, linkType: f.linkType, interfaceId: 0, data, origLen: f.data.length });
    return this.sink.out;
  }
}

/** Where the IP datagram of a frame ends (bytes past it are link padding, not content). */
function ipEnd(f: FixtureFrame): number {
  const issues: WireIssue[] = [];
  const link = parseLink(f.linkType, f.data, issues);
  if (!link) return f.data.length;
  if (link.etherType === 0x0800) {
    const ip = parseIpv4(link.payload, issues, link.payloadOffset);
    return ip ? Math.min(f.data.length, link.payloadOffset + ip.totalLength) : f.data.length;
  }
  if (link.etherType === 0x86dd) {
    const ip = parseIpv6(link.payload, issues, link.payloadOffset);
    return ip ? Math.min(f.data.length, link.payloadOffset + 40 + ip.payloadLength) : f.data.length;
  }
  return f.data.length;
}

const files = captureFiles();
const all: FixtureFrame[] = files.flatMap((file) => loadFrames(file));

describe('truncation sweep', () => {
  it('every prefix of every application frame decodes without throwing and reports truncation', () => {
    let prefixes = 0;
    const silent: string[] = [];
    const perFile = new Map<string, number>();
    for (const f of all) {
      // Only frames the pipeline turns into messages; at most 150 per file keeps the sweep bounded.
      if ((perFile.get(f.file) ?? 0) >= 150) continue;
      const full = new Harness().decode(f, f.data, f.frame);
      if (full.messages === 0) continue;
      perFile.set(f.file, (perFile.get(f.file) ?? 0) + 1);
      if (full.issues.some((i) => i.kind === 'truncated')) continue; // already cut in the capture
      const end = ipEnd(f);
      for (let len = 0; len < end; len++) {
        const o = new Harness().decode(f, f.data.subarray(0, len), f.frame);
        prefixes++;
        if (!o.issues.some((i) => i.kind === 'truncated')) silent.push(`${f.file}#${f.frame} prefix ${len}/${end}`);
      }
    }
    expect(prefixes).toBeGreaterThan(10_000);
    expect(silent.slice(0, 20)).toEqual([]);
  });
});

describe('seeded mutation', () => {
  it('≥ 20,000 mutated frames: no exception, no hang', () => {
    const rand = prng(0x5eed);
    const candidates = all.filter((f) => f.data.length > 20);
    const started = Date.now();
    const h = new Harness();
    let n = 0;
    for (; n < 24_000; n++) {
      const f = candidates[Math.floor(rand() * candidates.length)]!;
      const data = f.data.slice();
      const kind = rand();
      if (kind < 0.6) {
        // flip 1–8 random bytes, biased towards headers and option lengths
        const flips = 1 + Math.floor(rand() * 8);
        for (let k = 0; k < flips; k++) {
          const pos = rand() < 0.5 ? Math.floor(rand() * Math.min(data.length, 300)) : Math.floor(rand() * data.length);
          data[pos] = Math.floor(rand() * 256);
        }
      } else if (kind < 0.8) {
        data.fill(0xff, Math.floor(rand() * data.length), Math.floor(rand() * data.length));
      } else {
        // splice a random chunk of another frame in
        const g = candidates[Math.floor(rand() * candidates.length)]!;
        const at = Math.floor(rand() * data.length);
        data.set(g.data.subarray(0, Math.min(g.data.length, data.length - at)), at);
      }
      const cut = rand() < 0.3 ? Math.floor(rand() * data.length) : data.length;
      // One long-lived pipeline: reassembly and tracker state must survive garbage too.
      h.decode(f, data.subarray(0, cut), n + 1);
    }
    h.pipe.finish();
    expect(n).toBe(24_000);
    expect(Date.now() - started).toBeLessThan(120_000);
  }, 180_000);
});
