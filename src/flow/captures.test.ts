import { describe, it, expect } from 'vitest';
import { join, relative } from 'node:path';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis } from '../analysis/types.js';
import { CAPTURES, captureFiles, ROOT } from '../../test/helpers/paths.js';

const LAB_DIR = join(CAPTURES, 'lab');

/** Absolute paths of the captures under captures/<sub>. */
function capturesIn(sub: string): string[] {
  return captureFiles(sub).map((f) => join(ROOT, f));
}

function show(a: Analysis): string {
  const lines = [`${a.file}: ${a.packets} packets, ${a.clients.length} clients ${JSON.stringify(a.summary)}`];
  for (const c of a.clients.slice(0, 6)) {
    lines.push(`  ${c.mac} arch=${c.arch} vc=${c.vendorClass} booted=${c.booted} t=${c.timeToBootProgram} ` + c.steps.map((s) =>
      s.kind === 'tftp' ? `tftp(${s.file},${s.bytes},complete=${s.complete},probe=${s.probe},err=${s.error?.code})`
        : s.kind === 'dhcp4' ? `dhcp4(${s.stage},${s.messages.join('/')},bf=${s.bootfile})`
        : s.kind === 'http' ? `http(${s.url},${s.status},${s.bytes})` : s.kind).join(' → '));
  }
  for (const f of a.findings.slice(0, 15)) lines.push(`  F ${f.severity} ${f.code} ${f.client} [${f.frames.slice(0, 5)}] ${f.message}`);
  return lines.join('\n');
}

const errorsOf = (a: Analysis): string[] => a.findings.filter((f) => f.severity === 'error').map((f) => `${f.code}: ${f.message}`);

describe('analyzeCapture on public captures', () => {
  for (const f of capturesIn('public')) {
    it(`analyzes ${relative(CAPTURES, f)} without throwing, steps in time order`, async () => {
      const a = await analyzeCapture(f);
      if (process.env.SHOW) console.log(show(a));
      expect(a.packets).toBeGreaterThan(0);
      for (const c of a.clients) {
        const starts = c.steps.map((s) => s.start);
        expect([...starts].sort((x, y) => x - y)).toEqual(starts);
      }
      const times = a.findings.map((x) => x.time ?? 0);
      expect([...times].sort((x, y) => x - y)).toEqual(times);
    });
  }

  it('spicy-tftp/tftp_rrq: one complete TFTP step of 24599 bytes', async () => {
    const a = await analyzeCapture(join(CAPTURES, 'public/spicy-tftp/tftp_rrq.pcap'));
    const steps = a.clients.flatMap((c) => c.steps).filter((s) => s.kind === 'tftp');
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ file: 'rfc1350.txt', bytes: 24599, blocks: 49, complete: true, ok: true, retransmits: 0, error: null });
    expect(errorsOf(a)).toEqual([]);
  });

  it('spicy-tftp/tftp_wrq: a write is counted from the client DATA', async () => {
    const a = await analyzeCapture(join(CAPTURES, 'public/spicy-tftp/tftp_wrq.pcap'));
    const t = a.clients.flatMap((c) => c.steps).find((s) => s.kind === 'tftp');
    expect(t).toMatchObject({ file: 'rfc1350.txt', bytes: 24599, complete: true });
  });

  it('zeek/dhcp.pcap: dhcp.nak from 128.2.6.152', async () => {
    const a = await analyzeCapture(join(CAPTURES, 'public/zeek/dhcp.pcap'));
    const nak = a.findings.filter((f) => f.code === 'dhcp.nak');
    expect(nak).toHaveLength(1);
    // An OS DHCP client: its NAK is a problem worth a warning, not a failed boot.
    expect(nak[0]).toMatchObject({ client: '90:b1:1c:99:49:29', frames: [4], severity: 'warning' });
    expect(a.clients.find((c) => c.mac === '90:b1:1c:99:49:29')).toMatchObject({ role: 'other', outcome: 'not-a-boot' });
  });
});

/** Lab captures (captures/lab/README.md): the finding each broken one must raise. */
const LAB: Record<string, { clean?: boolean; booted?: boolean; expect?: string[] }> = {
  'uefi-pxe-dnsmasq.pcapng': { clean: true, booted: true, expect: ['tftp.tsize-probe'] },
  'uefi-pxe-kea.pcapng': { clean: true, booted: true, expect: ['tftp.tsize-probe'] },
  'bios-ipxe-dnsmasq.pcap': { clean: true, booted: true },
  'proxydhcp-with-kea.pcapng': { clean: true, booted: true, expect: ['tftp.tsize-probe'] },
  'phone-cisco-udhcpc.pcap': { clean: true },
  'lossy-tftp.pcapng': { clean: true, booted: true, expect: ['tftp.retransmit'] },
  'broken-no-bootfile.pcapng': { expect: ['pxe.no-bootfile'] },
  'broken-missing-tftp-file.pcapng': { expect: ['tftp.error'] },
  'broken-ipxe-loop.pcapng': { expect: ['ipxe.chainload-loop'] },
  'broken-two-dhcp-servers.pcapng': { expect: ['dhcp.multiple-servers'] },
  'proxydhcp-only.pcapng': { expect: ['dhcp.no-address-offer'] },
  'phone-cisco-no-option150.pcap': { expect: ['phone.no-provisioning-server'] },
  'fragmented-tftp-ok.pcapng': { clean: true, booted: true },
  'mtu-tftp-8192-lost.pcapng': { expect: ['net.fragments-lost'] },
  'mtu-tftp-1468-server.pcapng': { expect: ['net.pmtu-blackhole'] },
  'mtu-http-blackhole.pcapng': { expect: ['net.pmtu-blackhole'] },
  'icmp-frag-needed-http.pcapng': { clean: true, expect: ['net.packet-too-big'] },
  'remote-mirror-direct.pcap': { clean: true, booted: true },
  'remote-mirror-vxlan.pcap': { clean: true, booted: true, expect: ['capture.remote-mirror'] },
};

describe('analyzeCapture on lab captures', () => {
  const files = capturesIn('lab');
  it.skipIf(files.length === 0)('knows every lab capture present', () => {
    expect(files.map((f) => relative(LAB_DIR, f)).filter((n) => !(n in LAB))).toEqual([]);
  });
  for (const f of files) {
    const name = relative(LAB_DIR, f);
    const want = LAB[name] ?? {};
    it(`analyzes lab/${name}: ${want.clean ? 'no error finding' : `raises ${want.expect?.join(', ')}`}`, async () => {
      const a = await analyzeCapture(f);
      if (process.env.SHOW) console.log(show(a));
      const codes = a.findings.map((x) => x.code);
      for (const c of want.expect ?? []) expect(codes, show(a)).toContain(c);
      if (want.clean) expect(errorsOf(a), show(a)).toEqual([]);
      else expect(a.summary.failed + a.summary.warnings, show(a)).toBeGreaterThan(0);
      if (want.booted !== undefined) expect(a.clients.some((c) => c.booted), show(a)).toBe(want.booted);
    });
  }
});
