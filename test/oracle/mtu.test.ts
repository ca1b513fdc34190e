/**
 * The MTU lab captures (scripts/make-mtu-captures.mjs: a real MTU mismatch, tftpd-hpa and nginx)
 * with tshark as the oracle: the fragments, reassemblies and TCP retransmissions pxecheck's path-MTU
 * facts count are the ones tshark sees, and each capture gets the verdict its fault calls for.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureBuffer } from '../../src/capture/index.js';
import { DecodePipeline } from '../../src/decode/pipeline.js';
import { BootChainBuilder } from '../../src/flow/builder.js';
import type { MtuFacts } from '../../src/flow/mtu.js';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { ROOT } from '../helpers/paths.js';
import { hasTshark, tsharkFields } from '../helpers/tshark.js';

const MAC = '52:54:00:00:f0:01';
const SERVER = '198.51.100.1';
const FRAGMENT = 'ip.flags.mf == 1 || ip.frag_offset > 0';
const lab = (name: string): string => join(ROOT, 'captures/lab', name);

/** The path-MTU facts of the capture's one device, as the flow layer publishes them. */
function mtuFacts(file: string): MtuFacts | undefined {
  const builder = new BootChainBuilder();
  const pipe = new DecodePipeline(builder);
  let packets = 0;
  readCaptureBuffer(new Uint8Array(readFileSync(file)), (r) => { packets++; pipe.push(r); });
  pipe.finish();
  const facts = builder.facts({ file, packets, warnings: [], truncated: false });
  return facts.devices.find((d) => d.key === MAC)?.mtu;
}

describe.skipIf(!hasTshark())('MTU lab captures against tshark', () => {
  it('fragmented-tftp-ok: every fragmented DATA block reassembled (as tshark reassembles them), no MTU finding, booted', async () => {
    const file = lab('fragmented-tftp-ok.pcapng');
    // Single-pass tshark: the frame that completes a datagram carries ip.reassembled.length.
    const fragmented = new Set(tsharkFields(file, ['ip.id'], { filter: FRAGMENT }).map((r) => r[0]));
    const reassembled = tsharkFields(file, ['ip.id'], { filter: 'ip.reassembled.length' });
    expect(fragmented.size).toBeGreaterThan(1);
    expect(reassembled.length).toBe(fragmented.size);
    const f = mtuFacts(file)!.fragments[0]!;
    expect(f).toMatchObject({ sender: SERVER, completed: reassembled.length, lost: 0, datagrams: fragmented.size });
    const a = await analyzeCapture(file);
    expect(a.findings.filter((x) => x.code.startsWith('net.'))).toEqual([]);
    expect(a.clients[0]).toMatchObject({ outcome: 'booted' });
  });

  it('mtu-tftp-8192-lost: only last fragments arrive; the datagrams tshark never reassembles are the ones pxecheck calls lost', async () => {
    const file = lab('mtu-tftp-8192-lost.pcapng');
    // tshark 4.0 prints ip.frag_offset in 8-byte units.
    const rows = tsharkFields(file, ['ip.id', 'ip.frag_offset', 'ip.flags.mf', 'ip.len'], { filter: FRAGMENT });
    expect(rows.length).toBeGreaterThan(1);
    // No fragment at offset 0 arrived, nothing was reassembled.
    expect(rows.every((r) => r[1] !== '0' && r[2] === '0')).toBe(true);
    expect(tsharkFields(file, ['ip.id'], { filter: 'ip.reassembled.length' })).toEqual([]);
    const ids = new Set(rows.map((r) => r[0]));
    const f = mtuFacts(file)!.fragments[0]!;
    expect(f.datagrams).toBe(ids.size);
    expect(f.completed).toBe(0);
    expect(f.largestArrived).toBe(Math.max(...rows.map((r) => Number(r[3]))));
    // The last fragment starts at 5 × 1480: the server cut at MTU 1500.
    expect((Number(rows[0]![1]) * 8) % 1480).toBe(0);
    expect(f.senderFragment).toBe(1500);
    const a = await analyzeCapture(file);
    expect(a.clients[0]).toMatchObject({ outcome: 'failed', rootCause: 'net.fragments-lost' });
    const root = a.findings.find((x) => x.code === 'net.fragments-lost')!;
    expect(root.message).toMatch(/blksize 8192.*path MTU is below 1500/);
  });

  it('mtu-tftp-1468-server: DATA block 1 (1500-byte IP packets) sent again and again and never acknowledged', async () => {
    const file = lab('mtu-tftp-1468-server.pcapng');
    const data1 = tsharkFields(file, ['frame.number', 'ip.len'], { filter: 'tftp.opcode == 3 && tftp.block == 1' });
    expect(data1.length).toBeGreaterThanOrEqual(3);
    expect(data1.every((r) => r[1] === '1500')).toBe(true);
    expect(tsharkFields(file, ['frame.number'], { filter: 'tftp.opcode == 4 && tftp.block == 1' })).toEqual([]);
    const a = await analyzeCapture(file);
    expect(a.clients[0]).toMatchObject({ outcome: 'failed', rootCause: 'net.pmtu-blackhole' });
    const root = a.findings.find((x) => x.code === 'net.pmtu-blackhole')!;
    expect(root.message).toMatch(/blksize 1468.*1500-byte IP packet/);
    // The frames it cites include the DATA 1 resends tshark sees.
    const resent = data1.slice(1).map((r) => Number(r[0]));
    expect(resent.every((n) => root.frames.includes(n))).toBe(true);
  });

  it('icmp-frag-needed-http: the ICMP fragmentation needed messages tshark sees, with the MTU they name; the download completed', async () => {
    const file = lab('icmp-frag-needed-http.pcapng');
    const icmp = tsharkFields(file, ['frame.number', 'icmp.mtu', 'ip.src'], { filter: 'icmp.type == 3 && icmp.code == 4' });
    expect(icmp.length).toBeGreaterThan(0);
    expect(new Set(icmp.map((r) => r[1]))).toEqual(new Set(['1000']));
    const builder = new BootChainBuilder();
    const pipe = new DecodePipeline(builder);
    let packets = 0;
    readCaptureBuffer(new Uint8Array(readFileSync(file)), (r) => { packets++; pipe.push(r); });
    pipe.finish();
    const dev = builder.facts({ file, packets, warnings: [], truncated: false }).devices.find((d) => d.key === 'ip:203.0.113.10')!;
    expect(dev.mtu!.tooBig.map((t) => t.frame)).toEqual(icmp.map((r) => Number(r[0])).slice(0, 16));
    expect(dev.mtu!.tooBig.every((t) => t.mtu === 1000 && t.reporter === '198.51.100.2' && t.protocol === 6)).toBe(true);
    const a = await analyzeCapture(file);
    const f = a.findings.find((x) => x.code === 'net.packet-too-big')!;
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/ICMP fragmentation needed \(MTU 1000\).*the download completed/);
  });

  it('mtu-http-blackhole: the full-size segment tshark marks as retransmitted is the one never acknowledged', async () => {
    const file = lab('mtu-http-blackhole.pcapng');
    const rtx = tsharkFields(file, ['frame.number', 'tcp.seq', 'tcp.len', 'ip.len'], { filter: `tcp.analysis.retransmission && ip.src == ${SERVER}` });
    expect(rtx.length).toBeGreaterThanOrEqual(2);
    const atStart = rtx.filter((r) => r[1] === '1');
    const hole = mtuFacts(file)!.blackHoles[0]!;
    expect(hole).toMatchObject({ sender: SERVER, offset: 0, dataLength: Number(atStart[0]![2]), packetLength: Number(atStart[0]![3]) });
    expect(hole.frames).toEqual(atStart.map((r) => Number(r[0])));
    expect(hole.sends).toBe(atStart.length + 1);
    // No ICMP at all came back (a black hole), and the client never acknowledged past byte 0.
    expect(tsharkFields(file, ['frame.number'], { filter: 'icmp' })).toEqual([]);
    expect(tsharkFields(file, ['tcp.ack'], { filter: `ip.dst == ${SERVER} && tcp.port == 80 && tcp.ack > 1 && !(tcp.flags.fin == 1)` })).toEqual([]);
    const a = await analyzeCapture(file);
    expect(a.clients[0]).toMatchObject({ outcome: 'failed', rootCause: 'net.pmtu-blackhole' });
    expect(a.findings.find((x) => x.code === 'net.pmtu-blackhole')!.message).toMatch(/^HTTP GET http:\/\/198\.51\.100\.1\/big\.bin: .*1500-byte IP packet/);
  });
});
