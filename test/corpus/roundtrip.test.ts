/**
 * For every real DHCPv4, DHCPv6, TFTP and ICMP error packet in the fixtures, as found by the real readers and
 * pipeline: emit(parse(bytes)) equals the bytes.
 */
import { describe, it, expect } from 'vitest';
import { captureFiles, decodeCapture } from '../helpers/fixtures.js';
import { emitDhcpV4 } from '../../src/wire/dhcpv4/index.js';
import { emitDhcpV6 } from '../../src/wire/dhcpv6/index.js';
import { emitTftp } from '../../src/wire/tftp.js';
import { emitIcmp } from '../../src/wire/icmp.js';
import { hex, bytesEqual } from '../../src/wire/bytes.js';
import { DecodePipeline } from '../../src/decode/pipeline.js';
import { readCaptureFile } from '../../src/capture/index.js';
import { join } from 'node:path';
import { ROOT } from '../helpers/fixtures.js';

describe('round trip over every real packet', () => {
  for (const file of captureFiles()) {
    it(file, async () => {
      const counts = { dhcp4: 0, dhcp6: 0, tftp: 0, icmp: 0 };
      const failures: string[] = [];
      const pipe = new DecodePipeline({
        message(m) {
          // ND: emit writes options in one stable order, so real RAs are compared field-wise in
          // src/wire/ndp-captures.test.ts instead.
          if (m.proto === 'http' || m.proto === 'ndp') return;
          // ICMP: the checksum is kept as read (an ICMPv6 one would need the pseudo-header).
          const again = m.proto === 'dhcp4' ? emitDhcpV4(m.msg) : m.proto === 'dhcp6' ? emitDhcpV6(m.msg)
            : m.proto === 'icmp' ? emitIcmp(m.msg, { computeChecksum: false }) : emitTftp(m.msg);
          counts[m.proto]++;
          if (!bytesEqual(again, m.payload)) {
            failures.push(`frame ${m.frame} ${m.proto}: emitted ${again.length} bytes ${hex(again.subarray(0, 32))}… original ${m.payload.length} ${hex(m.payload.subarray(0, 32))}…`);
          }
        },
      });
      await readCaptureFile(join(ROOT, file), (r) => pipe.push(r));
      pipe.finish();
      expect(failures).toEqual([]);
      // The pipeline found what the file holds (decodeCapture is the same path; sanity only).
      const d = await decodeCapture(file);
      expect(counts.dhcp4 + counts.dhcp6 + counts.tftp + counts.icmp).toBe(d.messages.filter((m) => m.proto !== 'http' && m.proto !== 'ndp').length);
    });
  }
});
