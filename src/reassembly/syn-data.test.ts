/**
 * Data on a client's SYN is stream data only when the server took it (RFC 7413 §4.2: its SYN/ACK
 * acknowledges ISN + 1 + length). A real iPXE HTTP fetch (bios-ipxe-dnsmasq: SYN, SYN/ACK acking
 * ISN + 1, GET /boot.ipxe at ISN + 1) whose SYN was given a payload the server ignored, and the
 * same with the server's SYN/ACK acknowledging it (Fast Open) and the request moved onto the SYN.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPTURES } from '../../test/helpers/paths.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { ethernetPcap } from '../../test/helpers/splice.js';
import { analyzeCapture } from '../analysis/capture.js';
import { onesSum, u16, u32 } from '../wire/bytes.js';
import { finishChecksum, pseudoHeaderSum } from '../wire/checksum.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import type { Analysis } from '../analysis/types.js';
import type { HttpStep } from '../flow/types.js';

const IPXE = join(CAPTURES, 'lab', 'bios-ipxe-dnsmasq.pcap');
/** Indexes of the first HTTP connection's SYN, SYN/ACK and request (GET /boot.ipxe). */
const SYN = 22, SYN_ACK = 23, GET = 24;
const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-syn-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An untagged Ethernet/IPv4/TCP frame with `payload` after its TCP header (what it carried
 *  dropped), lengths and checksums fixed; `ack` replaces its acknowledgement number. */
function withPayload(frame: Uint8Array, payload: Uint8Array, ack?: number): Uint8Array {
  const ip = 14;
  const tcp = ip + (frame[ip]! & 0x0f) * 4;
  const data = tcp + (frame[tcp + 12]! >> 4) * 4;
  const out = new Uint8Array(data + payload.length);
  out.set(frame.subarray(0, data));
  out.set(payload, data);
  const v = new DataView(out.buffer);
  v.setUint16(ip + 2, out.length - ip);
  v.setUint16(ip + 10, 0);
  v.setUint16(ip + 10, finishChecksum(onesSum(out.subarray(ip, tcp))));
  if (ack !== undefined) v.setUint32(tcp + 8, ack >>> 0);
  v.setUint16(tcp + 16, 0);
  const sum = onesSum(out.subarray(tcp), pseudoHeaderSum(out.subarray(ip + 12, ip + 16), out.subarray(ip + 16, ip + 20), IpProtocol.TCP, out.length - tcp));
  v.setUint16(tcp + 16, finishChecksum(sum));
  return out;
}

function tcpPayload(frame: Uint8Array): Uint8Array {
  const tcp = 14 + (frame[14]! & 0x0f) * 4;
  return frame.subarray(tcp + (frame[tcp + 12]! >> 4) * 4, 14 + u16(frame, 16));
}

async function analyzed(name: string, frames: { time: number; data: Uint8Array }[]): Promise<Analysis> {
  const out = join(tmp, `${name}.pcap`);
  writeFileSync(out, ethernetPcap(frames));
  return analyzeCapture(out);
}

const httpSteps = (a: Analysis): HttpStep[] => a.clients.flatMap((c) => c.steps.flatMap((s) => (s.kind === 'http' ? [s] : [])));

describe('SYN data as stream data (real iPXE HTTP fetch)', () => {
  const frames = loadFrames(IPXE);
  const whole = frames.map((f) => ({ time: f.time, data: f.data }));

  it('junk on the SYN the server did not acknowledge (SYN/ACK acks ISN + 1): the request after the handshake is read whole', async () => {
    const junk = new TextEncoder().encode('\x16\x03\x01junk that a stack without Fast Open ignores');
    const bent = whole.map((f, i) => (i === SYN ? { ...f, data: withPayload(f.data, junk) } : f));
    const before = httpSteps(await analyzed('whole', whole)).map((s) => [s.method, s.url, s.status]);
    const after = httpSteps(await analyzed('junk', bent)).map((s) => [s.method, s.url, s.status]);
    expect(before[0]).toEqual(['GET', expect.stringMatching(/\/boot\.ipxe$/), 200]);
    expect(after).toEqual(before);
  });

  it('a Fast Open SYN carrying the request, acknowledged by the SYN/ACK (ISN + 1 + length): the request is read from the SYN', async () => {
    const req = tcpPayload(frames[GET]!.data);
    const isn = u32(frames[SYN]!.data, 14 + (frames[SYN]!.data[14]! & 0x0f) * 4 + 4);
    const tfo = whole.flatMap((f, i) => {
      if (i === SYN) return [{ ...f, data: withPayload(f.data, req) }];
      if (i === SYN_ACK) return [{ ...f, data: withPayload(f.data, new Uint8Array(0), isn + 1 + req.length) }];
      if (i === GET) return []; // it went on the SYN: the later segments' numbers stay right
      return [f];
    });
    const steps = httpSteps(await analyzed('tfo', tfo));
    expect(steps[0]).toMatchObject({ method: 'GET', url: expect.stringMatching(/\/boot\.ipxe$/) });
  });

  describe('a Fast Open SYN settled without its SYN/ACK', () => {
    const req = tcpPayload(frames[GET]!.data);
    const isn = u32(frames[SYN]!.data, 14 + (frames[SYN]!.data[14]! & 0x0f) * 4 + 4);
    const tfo = whole.flatMap((f, i) => {
      if (i === SYN) return [{ ...f, data: withPayload(f.data, req) }];
      if (i === SYN_ACK) return [{ ...f, data: withPayload(f.data, new Uint8Array(0), isn + 1 + req.length) }];
      if (i === GET) return [];
      return [f];
    });
    const request = { method: 'GET', url: expect.stringMatching(/\/boot\.ipxe$/) };

    it('a server-side capture that lost the SYN/ACK: the server answer acknowledging the data, the request comes before its response', async () => {
      const a = await analyzed('tfo-no-synack', tfo.filter((_, i) => i !== SYN_ACK));
      const steps = httpSteps(a);
      expect(steps[0]).toMatchObject({ ...request, status: 200 });
      expect(a.findings.map((f) => f.code)).not.toContain('net.pmtu-blackhole');
    });

    it('nothing from the server at all (the capture ends after the SYN): the request is there, unanswered', async () => {
      const steps = httpSteps(await analyzed('tfo-dead', tfo.slice(0, SYN + 1)));
      expect(steps).toHaveLength(1);
      expect(steps[0]).toMatchObject({ ...request, status: null });
    });
  });
});
