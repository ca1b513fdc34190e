/**
 * Every Neighbour Discovery message of the real captures: parses without issues, and emit(parse(bytes))
 * gives the bytes back. Emit writes options in one stable order (LLA, MTU, prefixes, routes, RDNSS,
 * DNSSL, others); radvd and dnsmasq put the prefix first and the SLLA last, so for their RAs the
 * comparison is field-wise: same length, same fixed part and checksum, same options as a multiset.
 */
import { describe, it, expect } from 'vitest';
import { captureFiles } from '../../test/helpers/paths.js';
import { bytesEqual, hex } from './bytes.js';
import type { WireIssue } from './issues.js';
import { emitNdp, parseNdp, type NdpMessage } from './ndp.js';
import { ndFrames } from './ndp.test-kit.js';

/** Option TLVs of a well-formed message, as hex strings, sorted. */
function optionChunks(icmp: Uint8Array, start: number): string[] {
  const out: string[] = [];
  for (let o = start; o + 2 <= icmp.length && icmp[o + 1]! > 0; o += icmp[o + 1]! * 8) out.push(hex(icmp.subarray(o, o + icmp[o + 1]! * 8)));
  return out.sort();
}

const OPTIONS_AT: Record<NdpMessage['kind'], number> = { rs: 8, ra: 16, ns: 24, na: 24, redirect: 40 };

function withoutOffsets(m: NdpMessage): unknown {
  return { ...m, options: { ...m.options, raw: m.options.raw.map((r) => ({ type: r.type, data: hex(r.data) })) } };
}

const FILES = [...captureFiles('lab-v6'), ...captureFiles('lab'), ...captureFiles('public')];
const WITH_ND = new Set(['captures/lab-v6/uefi-pxe6-kea.pcapng', 'captures/lab-v6/uefi-pxe6-dnsmasq.pcapng',
  'captures/lab-v6/broken-ra-no-managed.pcapng', 'captures/public/arkime/wireshark-dhcpv6.pcap']);
let exact = 0;
let reordered = 0;

describe('ND round trip over every real packet', () => {
  it('has the IPv6 lab captures', () => {
    for (const f of WITH_ND) expect(FILES).toContain(f);
  });

  for (const file of FILES) {
    it(file, () => {
      const frames = ndFrames(file);
      if (WITH_ND.has(file)) expect(frames.length).toBeGreaterThan(0);
      const failures: string[] = [];
      for (const f of frames) {
        const issues: WireIssue[] = [];
        const m = parseNdp(f.icmp, issues, 0);
        if (!m || issues.length > 0) { failures.push(`frame ${f.frame}: ${JSON.stringify(issues)}`); continue; }
        const again = emitNdp(m, { src: f.src, dst: f.dst });
        if (bytesEqual(again, f.icmp)) { exact++; continue; }
        const at = OPTIONS_AT[m.kind];
        const sameFixed = again.length === f.icmp.length && bytesEqual(again.subarray(0, at), f.icmp.subarray(0, at));
        const sameOptions = JSON.stringify(optionChunks(again, at)) === JSON.stringify(optionChunks(f.icmp, at));
        const sameFields = JSON.stringify(withoutOffsets(parseNdp(again, [], 0)!)) === JSON.stringify(withoutOffsets(m));
        if (sameFixed && sameOptions && sameFields) reordered++;
        else failures.push(`frame ${f.frame} ${m.kind}: emitted ${hex(again)} original ${hex(f.icmp)}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it('compared messages byte for byte and, for reordered options, field-wise', () => {
    expect(exact).toBeGreaterThan(50);
    expect(reordered).toBeGreaterThan(50);
  });
});
