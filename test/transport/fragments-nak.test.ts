// Raw transport against real servers in lab namespaces (pxecheck run, private build, --interface):
// - TFTP at blksize 8192 from tftpd-hpa: each DATA block comes as IP fragments (MTU 1500), which
//   the raw transport reassembles; tshark on the --pcap output confirms the fragments were there.
// - NAK then DORA: an authoritative dnsmasq NAKs the INIT-REBOOT request for an address it cannot
//   give; the client starts over with DISCOVER (RFC 2131 §3.2) and leases one from the pool.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLab, run, SERVER_ADDR, startDnsmasq, startTftpd, type Lab } from '../../src/lab/index.js';
import { runCliInNamespace, type StepJson } from '../helpers/lab-run.js';
import { privateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v in.tftpd && command -v tshark']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces, raw sockets)' : !hasTools ? 'needs ip, dnsmasq, in.tftpd, tshark' : '';

function steps(json: unknown): StepJson[] {
  const j = json as { scenarios: Array<{ clients: Array<{ steps: StepJson[] }> }> };
  return j.scenarios[0]!.clients[0]!.steps;
}

describe.skipIf(skipReason !== '')(`raw transport: fragments and NAK against real servers${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('downloads a file at blksize 8192 from tftpd-hpa: the fragmented DATA blocks are reassembled', async () => {
    let lab: Lab | undefined;
    try {
      const build = privateBuild();
      lab = await createLab({ name: 'gfrag' });
      const root = join(lab.workDir, 'root');
      run('mkdir', ['-p', root]);
      const data = Buffer.alloc(300_000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 131 + (i >> 9)) & 0xff;
      writeFileSync(join(root, 'big.img'), data);
      await startDnsmasq(lab, { efiBootFile: 'big.img' });
      await startTftpd(lab, { root });
      const iface = lab.addClientInterface('raw0');
      lab.execOk(lab.ns.cli, 'sysctl', ['-qw', `net.ipv6.conf.${iface}.disable_ipv6=1`]);
      const scenario = join(lab.workDir, 'frag.yaml');
      writeFileSync(scenario, `name: frag
budget: 60s
clients:
  - name: pc
    persona: uefi-x64
    mac: 02:00:00:9f:00:01
    steps:
      - dhcp: { within: 10s, offer-window: 0s, expect: { type: ack } }
      - tftp: { file: big.img, server: ${SERVER_ADDR}, blksize: 8192, within: 30s, expect: { size: ${data.length}, sha256: "${createHash('sha256').update(data).digest('hex')}" } }
`);
      const pcap = join(lab.workDir, 'frag.pcap');
      const r = await runCliInNamespace(build, lab.ns.cli, ['run', scenario, '--interface', iface, '--server', SERVER_ADDR, '--format', 'json', '--pcap', pcap]);
      expect(r.json, r.stderr).toBeDefined();
      const [dora, tftp] = steps(r.json);
      expect(dora!.ok, dora!.error ?? '').toBe(true);
      expect(tftp!.ok, tftp!.error ?? '').toBe(true);
      const observed = tftp!.details!['observed'] as { blksize: number; sha256: string };
      expect(observed.blksize).toBe(8192);
      expect(observed.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      // The oracle: the server's DATA really came as IP fragments (first fragments with MF set).
      const frags = run('tshark', ['-r', pcap, '-n', '-Y', `ip.src == ${SERVER_ADDR} and ip.flags.mf == 1`, '-T', 'fields', '-e', 'frame.number'], { timeoutMs: 60_000 })
        .stdout.split('\n').filter(Boolean);
      expect(frags.length).toBeGreaterThanOrEqual(Math.floor(data.length / 8192));
    } finally {
      await lab?.destroy();
    }
  }, 180_000);

  it('restarts with DISCOVER after an authoritative dnsmasq NAKs the INIT-REBOOT address, and gets a pool address', async () => {
    let lab: Lab | undefined;
    try {
      const build = privateBuild();
      lab = await createLab({ name: 'gnak' });
      const dns = await startDnsmasq(lab, { extraLines: ['dhcp-authoritative'] });
      const iface = lab.addClientInterface('raw0');
      lab.execOk(lab.ns.cli, 'sysctl', ['-qw', `net.ipv6.conf.${iface}.disable_ipv6=1`]);
      const scenario = join(lab.workDir, 'nak.yaml');
      // .7 is in the subnet but outside the pool (.100–.200): dnsmasq cannot give it and says so.
      writeFileSync(scenario, `name: nak
budget: 60s
clients:
  - name: pc
    persona: cisco
    mac: 02:00:00:9e:00:01
    steps:
      - dhcp: { init-reboot: 198.51.100.7, within: 15s, expect: { type: ack, yiaddr: 198.51.100.0/24 } }
`);
      const r = await runCliInNamespace(build, lab.ns.cli, ['run', scenario, '--interface', iface, '--server', SERVER_ADDR, '--format', 'json']);
      expect(r.json, r.stderr).toBeDefined();
      const [dora] = steps(r.json);
      expect(dora!.ok, dora!.error ?? '').toBe(true);
      expect(dora!.details!['restarts']).toBe(1);
      const log = (dora!.details!['log'] as string[]).map((l) => l.replace(/^\+\S+ /, ''));
      expect(log.map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual(['sent REQUEST', 'received NAK', 'sent DISCOVER', 'received OFFER', 'sent REQUEST', 'received ACK']);
      const yiaddr = (dora!.details!['observed'] as { yiaddr: string }).yiaddr;
      const last = Number(yiaddr.split('.')[3]);
      expect(last).toBeGreaterThanOrEqual(100);
      expect(last).toBeLessThanOrEqual(200);
      const dlog = readFileSync(dns.logFile, 'utf8');
      expect(dlog).toMatch(/DHCPNAK\(eth0\) 198\.51\.100\.7 02:00:00:9e:00:01/);
      expect(dlog).toContain(`DHCPACK(eth0) ${yiaddr} 02:00:00:9e:00:01`);
    } finally {
      await lab?.destroy();
    }
  }, 180_000);
});
