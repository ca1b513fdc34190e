import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapWriter } from '../capture/writer.js';
import { LinkType } from '../wire/link-type.js';
import { cString, ipv4ToString } from '../wire/bytes.js';
import { getOption, msgType, userClasses, type DhcpV4Message } from '../wire/dhcpv4/index.js';
import { dissect, type DissectedFrame } from './dissect.js';
import { generateBootTraffic, writeCapture, type BootTrafficOptions, type FaultName } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'pxecheck-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Small loaders keep these tests fast. */
const SMALL = { fileSize: [3_000, 12_000] as [number, number] };

interface Frame { time: number; frame: Uint8Array; d: DissectedFrame }

function collect(opts: BootTrafficOptions): Frame[] {
  const out: Frame[] = [];
  const ports = new Set<number>();
  generateBootTraffic(opts, (time, frame) => out.push({ time, frame, d: dissect(frame, ports) }));
  return out;
}

function pcapBytes(opts: BootTrafficOptions): Buffer {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c), LinkType.ETHERNET);
  generateBootTraffic(opts, (t, f) => w.writePacket(t, f));
  return Buffer.concat(chunks);
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const dhcpOf = (fs: Frame[]): DhcpV4Message[] => fs.flatMap((f) => (f.d.dhcp ? [f.d.dhcp] : []));
const bootfile = (m: DhcpV4Message): string | null => {
  const o = getOption(m, 67);
  return o ? String.fromCharCode(...o) : null;
};
const ip = (b: Uint8Array): string => ipv4ToString(b);

describe('generateBootTraffic: determinism', () => {
  it('the same seed gives byte-identical captures, another seed a different one', () => {
    const opts = { clients: 12, seed: 7, mix: SMALL, faults: { tftpLoss: 0.3, nak: 0.2 } };
    const a = pcapBytes(opts);
    expect(a.length).toBeGreaterThan(10_000);
    expect(sha(pcapBytes(opts))).toBe(sha(a));
    expect(sha(pcapBytes({ ...opts, seed: 8 }))).not.toBe(sha(a));
  });

  it('writeCapture streams the same bytes to a file, in both formats', () => {
    const opts = { clients: 5, seed: 3, mix: SMALL };
    const p1 = join(dir, 'a.pcap');
    const r = writeCapture(p1, { format: 'pcap' }, (emit) => generateBootTraffic(opts, emit));
    expect(r.frames).toBe(r.result.frames);
    expect(sha(readFileSync(p1))).toBe(sha(pcapBytes(opts)));
    const p2 = join(dir, 'a.pcapng');
    const r2 = writeCapture(p2, { format: 'pcapng' }, (emit) => generateBootTraffic(opts, emit));
    expect(r2.frames).toBe(r.frames);
    expect(readFileSync(p2).readUInt32LE(0)).toBe(0x0a0d0d0a);
  });

  it('frames come out in time order and maxFrames caps the count', () => {
    const fs = collect({ clients: 30, seed: 1, mix: SMALL });
    for (let i = 1; i < fs.length; i++) expect(fs[i]!.time).toBeGreaterThanOrEqual(fs[i - 1]!.time);
    expect(collect({ clients: 30, seed: 1, mix: SMALL, maxFrames: 100 }).length).toBe(100);
  });
});

describe('generateBootTraffic: the boot chain', () => {
  const fs = collect({ clients: 20, seed: 11, mix: { ...SMALL, http: 0.5, uefi: 0.5 } });

  it('every frame parses cleanly with the real parsers', () => {
    for (const f of fs) expect(f.d.issues).toEqual([]);
  });

  it('each client does firmware DORA, TFTP of its loader, iPXE DORA and fetches boot.ipxe', () => {
    const byMac = new Map<string, DhcpV4Message[]>();
    for (const m of dhcpOf(fs)) {
      const mac = [...m.chaddr.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
      byMac.set(mac, [...(byMac.get(mac) ?? []), m]);
    }
    expect(byMac.size).toBe(20);
    for (const msgs of byMac.values()) {
      expect(msgs.map((m) => msgType(m))).toEqual([1, 2, 3, 5, 1, 2, 3, 5]);
      const fwAck = msgs[3]!;
      expect(['ipxe.efi', 'undionly.kpxe']).toContain(bootfile(fwAck));
      expect(cString(fwAck.file)).toBe(bootfile(fwAck));
      const discover = msgs[0]!;
      for (const code of [93, 94, 97, 55]) expect(getOption(discover, code)).not.toBeNull();
      expect(userClasses(msgs[4]!)).toEqual(['iPXE']);
      expect(getOption(msgs[4]!, 175)).not.toBeNull();
    }
    const rrqs = fs.filter((f) => f.d.tftp?.opcode === 'RRQ').map((f) => f.d.tftp!);
    const loaders = rrqs.filter((r) => r.file !== 'boot.ipxe');
    expect(loaders.length).toBe(20);
    for (const r of loaders) expect(r.options?.map((o) => o.name)).toEqual(['blksize', 'tsize']);
    const gets = fs.filter((f) => f.d.protocol === 6 && f.d.dstPort === 80 && f.d.payloadLength > 0);
    expect(gets.length + rrqs.length - loaders.length).toBe(20); // boot.ipxe once per client
    expect(gets.length).toBeGreaterThan(0);
    expect(rrqs.length - loaders.length).toBeGreaterThan(0);
  });

  it('TFTP is lock-step: OACK, ACK 0, then DATA n answered by ACK n, ending on a short block', () => {
    const oack = fs.find((f) => f.d.tftp?.opcode === 'OACK')!;
    const tsize = Number(oack.d.tftp!.options!.find((o) => o.name === 'tsize')!.value);
    const port = oack.d.dstPort;
    const session = fs.filter((f) => f.d.tftp && (f.d.srcPort === port || f.d.dstPort === port)).map((f) => f.d.tftp!);
    expect(session[0]!.opcode).toBe('RRQ');
    expect(session[1]!.opcode).toBe('OACK');
    expect(session[2]).toMatchObject({ opcode: 'ACK', block: 0 });
    let bytes = 0;
    for (let i = 3; i < session.length; i += 2) {
      expect(session[i]).toMatchObject({ opcode: 'DATA', block: (i - 1) / 2 });
      expect(session[i + 1]).toMatchObject({ opcode: 'ACK', block: (i - 1) / 2 });
      bytes += session[i]!.data!.length;
    }
    expect(bytes).toBe(tsize);
    expect(session[session.length - 2]!.data!.length).toBeLessThan(1468);
  });
});

describe('generateBootTraffic: addresses', () => {
  const allowed = (a: string): boolean => a.startsWith('198.51.100.') || a.startsWith('203.0.113.');

  it('uses only 198.51.100.0/24 and 203.0.113.0/24 (plus DHCP’s 0.0.0.0 / broadcast)', () => {
    const fs = collect({ clients: 600, seed: 5, mix: { fileSize: [0, 2_000] }, faults: { twoServers: 0.2, proxyOnly: 0.2, nak: 0.1 } });
    const bad: string[] = [];
    const check = (a: string, what: string): void => {
      if (!allowed(a)) bad.push(`${what} ${a}`);
    };
    for (const { d } of fs) {
      for (const a of [d.src, d.dst]) {
        if (d.dhcp && (a === '0.0.0.0' || a === '255.255.255.255')) continue;
        check(a, 'ip');
      }
      if (!d.dhcp) continue;
      for (const f of [d.dhcp.ciaddr, d.dhcp.yiaddr, d.dhcp.siaddr, d.dhcp.giaddr]) if (ip(f) !== '0.0.0.0') check(ip(f), 'field');
      for (const code of [50, 54, 3]) {
        const o = getOption(d.dhcp, code);
        if (o) check(ip(o), `option ${code}`);
      }
    }
    expect(fs.length).toBeGreaterThan(10_000);
    expect(bad).toEqual([]);
  });

  it('reuses an address only after its previous holder finished', () => {
    // 600 clients > 480 lease slots: some addresses have two holders.
    const fs = collect({ clients: 600, seed: 9, mix: { fileSize: [0, 2_000] } });
    const spans = new Map<string, Map<string, [number, number]>>(); // address → mac → [first, last]
    const note = (a: string, mac: string, t: number): void => {
      const m = spans.get(a) ?? new Map<string, [number, number]>();
      spans.set(a, m);
      const s = m.get(mac);
      if (s) s[1] = t;
      else m.set(mac, [t, t]);
    };
    for (const { d, time } of fs) {
      if (d.dhcp) {
        const mac = [...d.dhcp.chaddr.subarray(0, 6)].map((x) => x.toString(16).padStart(2, '0')).join(':');
        const req = getOption(d.dhcp, 50);
        const a = ip(d.dhcp.yiaddr) !== '0.0.0.0' ? ip(d.dhcp.yiaddr) : req ? ip(req) : null;
        if (a) note(a, mac, time);
      } else if (d.src.startsWith('198.51.100.') && !d.src.match(/\.[1-4]$/)) note(d.src, d.srcMac, time);
    }
    let reused = 0;
    for (const holders of spans.values()) {
      const list = [...holders.values()].sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < list.length; i++) {
        reused++;
        expect(list[i]![0]).toBeGreaterThan(list[i - 1]![1]);
      }
    }
    expect(reused).toBeGreaterThanOrEqual(100);
  });
});

describe('generateBootTraffic: faults', () => {
  const run = (fault: FaultName, extra: Partial<BootTrafficOptions> = {}): Frame[] =>
    collect({ clients: 4, seed: 21, mix: SMALL, faults: { [fault]: true }, ...extra });
  const tftp = (fs: Frame[]) => fs.flatMap((f) => (f.d.tftp ? [f.d.tftp] : []));

  it('tftpMissingFile: RRQ answered by ERROR 1, no DATA', () => {
    const t = tftp(run('tftpMissingFile'));
    expect(t.filter((p) => p.opcode === 'ERROR' && p.errorCode === 1)).toHaveLength(4);
    expect(t.some((p) => p.opcode === 'DATA')).toBe(false);
  });

  it('noBootfile: OFFER and ACK without option 67 and with an empty file field; no TFTP', () => {
    const fs = run('noBootfile');
    const replies = dhcpOf(fs).filter((m) => m.op === 2);
    expect(replies.length).toBe(8);
    for (const m of replies) {
      expect(getOption(m, 67)).toBeNull();
      expect(cString(m.file)).toBe('');
    }
    expect(tftp(fs)).toHaveLength(0);
  });

  it('nak: a NAK, then a successful DORA', () => {
    const types = dhcpOf(run('nak')).map((m) => msgType(m));
    expect(types.filter((t) => t === 6)).toHaveLength(4);
    expect(types.filter((t) => t === 5).length).toBeGreaterThanOrEqual(8);
  });

  it('twoServers: two OFFERs with different server ids for one xid', () => {
    const offers = dhcpOf(run('twoServers')).filter((m) => msgType(m) === 2);
    const ids = new Map<number, Set<string>>();
    for (const m of offers) ids.set(m.xid, (ids.get(m.xid) ?? new Set()).add(ip(getOption(m, 54)!)));
    expect([...ids.values()].filter((s) => s.size === 2).length).toBe(4);
  });

  it('proxyOnly: the lease has no boot file; the proxy offers one and answers on port 4011', () => {
    const fs = run('proxyOnly');
    const fromProxy = fs.filter((f) => f.d.src === '198.51.100.4' && f.d.dhcp);
    const offers = fromProxy.filter((f) => msgType(f.d.dhcp!) === 2);
    expect(offers.length).toBe(8); // firmware and iPXE, 4 clients
    for (const f of offers) {
      expect(ip(f.d.dhcp!.yiaddr)).toBe('0.0.0.0');
      expect(String.fromCharCode(...getOption(f.d.dhcp!, 60)!)).toBe('PXEClient');
    }
    const acks4011 = fromProxy.filter((f) => f.d.srcPort === 4011 && msgType(f.d.dhcp!) === 5);
    expect(acks4011.length).toBe(8);
    for (const f of acks4011) expect(bootfile(f.d.dhcp!)).not.toBeNull();
    const mainAcks = dhcpOf(fs.filter((f) => f.d.src === '198.51.100.1')).filter((m) => msgType(m) === 5);
    for (const m of mainAcks) expect(getOption(m, 67)).toBeNull();
    expect(tftp(fs).some((p) => p.opcode === 'DATA')).toBe(true);
  });

  it('ipxeLoop: iPXE is handed the iPXE loader again, and fetches it again', () => {
    const fs = run('ipxeLoop');
    const ipxeAcks = dhcpOf(fs).filter((m) => msgType(m) === 5 && m.op === 2);
    const loaderNames = new Set(['ipxe.efi', 'undionly.kpxe']);
    expect(ipxeAcks.every((m) => loaderNames.has(bootfile(m) ?? ''))).toBe(true);
    const rrqs = tftp(fs).filter((p) => p.opcode === 'RRQ');
    expect(rrqs.length).toBe(4 * 3);
    expect(rrqs.every((p) => loaderNames.has(p.file ?? ''))).toBe(true);
    expect(fs.some((f) => f.d.protocol === 6)).toBe(false);
  });

  it('tftpLoss: missing DATA shows as repeated ACKs, the file still completes', () => {
    const fs = run('tftpLoss', { mix: { ...SMALL, lossRate: 0.3 } });
    const t = tftp(fs);
    const acks = t.filter((p) => p.opcode === 'ACK').length;
    const data = t.filter((p) => p.opcode === 'DATA').length;
    expect(acks - data).toBeGreaterThan(4); // ACK 0 per transfer + retransmissions
    const clean = tftp(collect({ clients: 4, seed: 21, mix: SMALL }));
    expect(clean.filter((p) => p.opcode === 'DATA').length).toBeLessThanOrEqual(data + 8);
  });
});

// The pipeline needs src/wire/link.ts, which was still being written when this test was; skip
// (visibly) rather than fail the whole file while it is missing.
const pipelineModule = await import('../decode/pipeline.js').catch(() => null);
const captureModule = await import('../capture/index.js');

describe.skipIf(!pipelineModule)('generateBootTraffic: the real decode pipeline', () => {
  it('decodes everything with zero issues and one message per DHCP/TFTP frame', async () => {
    const path = join(dir, 'pipeline20.pcapng');
    const opts: BootTrafficOptions = {
      clients: 20, seed: 12, mix: { ...SMALL, http: 0.5 },
      faults: { tftpLoss: 0.2, nak: 0.1, twoServers: 0.1, proxyOnly: 0.1, tftpMissingFile: 0.1, ipxeLoop: 0.1, noBootfile: 0.1 },
    };
    writeCapture(path, { format: 'pcapng' }, (emit) => generateBootTraffic(opts, emit));
    const counts = { dhcp4: 0, dhcp6: 0, tftp: 0, icmp: 0, ndp: 0, request: 0, response: 0, complete: 0 };
    const issues: unknown[] = [];
    let undecoded = 0;
    const pipe = new pipelineModule!.DecodePipeline({
      message(m) {
        if (m.issues.length) issues.push({ frame: m.frame, issues: m.issues });
        if (m.proto === 'http') counts[m.kind]++;
        else counts[m.proto]++;
      },
      undecoded() {
        undecoded++;
      },
    });
    const summary = await captureModule.readCaptureFile(path, (rec) => pipe.push(rec));
    pipe.finish();
    const fs = collect(opts);
    expect(summary.records).toBe(fs.length);
    expect(summary.warnings).toEqual([]);
    expect(issues).toEqual([]);
    expect(undecoded).toBe(0);
    expect(counts.dhcp4).toBe(fs.filter((f) => f.d.dhcp).length);
    expect(counts.tftp).toBe(fs.filter((f) => f.d.tftp).length);
    expect(counts.icmp).toBe(0); // the generator sends no ICMP errors
    const gets = fs.filter((f) => f.d.protocol === 6 && f.d.dstPort === 80 && f.d.payloadLength > 0).length;
    expect(gets).toBeGreaterThan(0);
    expect(counts.request).toBe(gets);
    expect(counts.response).toBe(gets);
  });
});

const hasTshark = spawnSync('tshark', ['--version']).status === 0;

describe.skipIf(!hasTshark)('generateBootTraffic: tshark agrees', () => {
  it('on DHCP message types and TFTP opcodes frame by frame (20 clients)', () => {
    const path = join(dir, 'tshark20.pcap');
    const opts = { clients: 20, seed: 4, mix: SMALL, faults: { tftpMissingFile: 0.2, nak: 0.2, twoServers: 0.2 } };
    writeCapture(path, { format: 'pcap' }, (emit) => generateBootTraffic(opts, emit));
    const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'dhcp.option.dhcp', '-e', 'tftp.opcode'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26,
    });
    const theirs = out.trimEnd().split('\n');
    const ours = collect(opts).map(({ d }) => `${d.dhcp ? msgType(d.dhcp) : ''}\t${d.tftp ? d.tftp.code : ''}`);
    expect(theirs.length).toBe(ours.length);
    expect(theirs).toEqual(ours);
  });
});
