import { describe, it, expect } from 'vitest';
import { decodeCapture } from '../../test/helpers/fixtures.js';
import { decodedToJson } from './decode-jsonl.js';
import { decodedToText } from './decode-text.js';
import { DecodePipeline } from '../decode/pipeline.js';
import type { DecodedMessage } from '../decode/messages.js';
import { readCaptureFile } from '../capture/index.js';
import { join } from 'node:path';
import { ROOT } from '../../test/helpers/fixtures.js';

const FILE = 'captures/lab/broken-two-dhcp-servers.pcapng';

describe('decode output of ICMP errors', () => {
  it('jsonl: frame 22 as proto icmp with type, code, names and the quoted datagram; echo and ND not printed', async () => {
    const d = await decodeCapture(FILE);
    const icmp = d.json.filter((j) => j.proto === 'icmp');
    expect(icmp).toEqual([{
      frame: 22, time: expect.any(Number), proto: 'icmp', src: '198.51.100.2:0', dst: '198.51.100.150:0',
      ipVersion: 4, type: 3, code: 3, typeName: 'destination unreachable', codeName: 'port unreachable',
      quoted: { src: '198.51.100.150', dst: '198.51.100.2', protocol: 17, srcPort: 1062, dstPort: 69 },
      issues: [],
    }]);
  });

  it('text: a header with bare addresses, the type/code line and the refused datagram', async () => {
    const d = await decodeCapture(FILE);
    const m = d.messages.find((x) => x.proto === 'icmp')!;
    const lines = decodedToText(m)!;
    expect(lines[0]).toMatch(/^#22 {2}\S+ {2}ICMP {2}198\.51\.100\.2 -> 198\.51\.100\.150 {2}\(f6:b7:e4:43:7a:f7\)$/);
    expect(lines.slice(1)).toEqual([
      '  destination unreachable / port unreachable (type 3 code 3)',
      '  about UDP 198.51.100.150:1062 -> 198.51.100.2:69',
      '',
    ]);
    expect(decodedToJson(m)).not.toBeNull();
  });

  it('--proto filters: icmp alone keeps only the ICMP error, without icmp none is printed', async () => {
    const run = async (protos: Set<'icmp' | 'tftp'>): Promise<DecodedMessage['proto'][]> => {
      const got: DecodedMessage['proto'][] = [];
      const pipe = new DecodePipeline({ message: (m) => got.push(m.proto) }, { protos });
      await readCaptureFile(join(ROOT, FILE), (r) => pipe.push(r));
      pipe.finish();
      return got;
    };
    expect(await run(new Set(['icmp']))).toEqual(['icmp']);
    expect(await run(new Set(['tftp']))).toEqual(['tftp']);
  });
});
