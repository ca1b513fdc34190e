// `pxecheck capture` hands the live session each frame as a view into the binding's batch buffer
// (capture/live.ts onPacketView), which the next batch overwrites: the session and the decode
// pipeline behind it must copy what they keep (IP fragments, TCP segments, DHCP options, TFTP
// names). Here: the same records once as buffers of their own, once as views into one buffer
// scribbled over after every push; the analyses must be the same.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveSession } from '../../src/cli/capture-session.js';
import { readRecords } from '../../src/decode/duplicate-frames.test-kit.js';
import { ROOT } from '../helpers/paths.js';

const CAPTURES = [
  'captures/lab/fragmented-tftp-ok.pcapng', // IP fragments held for reassembly
  'captures/lab/uefi-pxe-kea.pcapng', // HTTP over TCP
  'captures/lab-v6/uefi-pxe6-dnsmasq.pcapng', // DHCPv6, ND
  'captures/field/os-then-two-boots.pcapng', // DHCP, TFTP, several boots
];

function analyze(file: string, views: boolean): unknown {
  const recs = readRecords(readFileSync(join(ROOT, file)));
  const session = new LiveSession({ fileName: 'live:test', report: true });
  const pool = new Uint8Array(1 << 17);
  recs.forEach((r, i) => {
    const data = views ? pool.subarray(0, r.data.length) : r.data.slice();
    if (views) data.set(r.data);
    session.push({ frame: i + 1, time: r.time, linkType: r.linkType, interfaceId: 0, data, origLen: r.data.length });
    if (views) data.fill(0xa5);
  });
  const end = recs.at(-1)!.time + 1;
  session.poll(end);
  return session.finish(end).analysis;
}

describe('the live session copies what it keeps of a frame', () => {
  for (const file of CAPTURES) {
    it(`${file}: views into a reused buffer give the analysis that copies give`, () => {
      const own = analyze(file, false);
      expect(JSON.stringify(analyze(file, true))).toBe(JSON.stringify(own));
    });
  }
});
