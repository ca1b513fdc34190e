// The real transports against real servers in lab namespaces: raw layer 2 (libpcap) against dnsmasq
// (DHCP + TFTP) and nginx; relay mode against kea-dhcp4 (+ tftpd-hpa, nginx). pxecheck's own clients
// run inside the client namespace through test/transport/lab-client.mjs on a private build of src/.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createLab, makeBootRoot, run, runOk, SERVER_ADDR, startDnsmasq, startNginx, startTftpd, type Lab,
} from '../../src/lab/index.js';
import { ROOT } from '../helpers/fixtures.js';
import { privateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v kea-dhcp4 && command -v nginx && command -v in.tftpd']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces, raw sockets)' : !hasTools ? 'needs ip, dnsmasq, kea-dhcp4, nginx, in.tftpd' : '';
/** dist/ of the shared private build (test/helpers/private-build.ts), set by beforeAll. */
let DIST = '';
const SCRIPT = join(ROOT, 'test/transport/lab-client.mjs');

interface ClientOut {
  mac: string;
  dhcp: { ok: boolean; error: string | null; address: string | null; bootFile: string | null; serverId: string | null; giaddr: string | null; hops: number | null; o82: string | null; types: string[] } | null;
  tftp: { ok: boolean; error: string | null; bytes: number; sha256: string } | null;
  http: { ok: boolean; error: string | null; status: number | null; bodyBytes: number; sha256: string; bodyText: string | null } | null;
}
interface ScriptOut {
  results: ClientOut[];
  frames: { sent: number; received: number; linkTypes: number[] };
}

/** The shared private build of src/ (never the shared dist/) that can still resolve node_modules. */
function buildPrivateDist(): void {
  DIST = privateBuild().dist;
  if (!existsSync(join(DIST, 'scenario/transport/raw/transport.js'))) throw new Error('private build of src/ failed');
}

function runInNamespace(ns: string, cfg: Record<string, unknown>, timeoutMs: number): Promise<ScriptOut> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, SCRIPT, JSON.stringify({ dist: DIST, ...cfg })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ScriptOut);
      } catch {
        reject(new Error(`lab-client exited ${code}: ${err.slice(-2000)} ${out.slice(-500)}`));
      }
    });
  });
}

function sha256File(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

describe.skipIf(skipReason !== '')(`transports in a lab${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(() => buildPrivateDist(), 300_000);

  it.skipIf(run('sh', ['-c', 'command -v setpriv']).code !== 0)('raw: without CAP_NET_RAW the error says how to get it (root, setcap, relay mode)', () => {
    const code = `const { createRawTransport } = await import(${JSON.stringify(join(DIST, 'scenario/transport/raw/transport.js'))});
      try { await createRawTransport({ interface: 'lo' }); console.log('{}'); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20_000 });
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { code?: string; message?: string };
    expect(out.code).toBe('EPERM');
    expect(out.message).toMatch(/setcap cap_net_raw,cap_net_admin\+eip/);
    expect(out.message).toMatch(/relay mode/);
  });

  it('raw: two clients DORA with dnsmasq, TFTP ipxe.efi, HTTP GET boot.ipxe from nginx', async () => {
    let lab: Lab | undefined;
    try {
      lab = await createLab({ name: 'pxtraw' });
      const root = makeBootRoot(join(lab.workDir, 'boot'));
      await startDnsmasq(lab, { tftpRoot: root, efiBootFile: 'ipxe.efi', biosBootFile: 'undionly.kpxe', ipxeBootFile: `http://${SERVER_ADDR}/boot.ipxe` });
      await startNginx(lab, { root });
      // The raw interface: a veth with NO IP address, so the namespace's kernel keeps out of our TCP.
      const iface = lab.addClientInterface('raw0');
      const macs = ['02:00:00:7a:00:01', '02:00:00:7a:00:02'];
      const pcap = join(lab.workDir, 'raw.pcap');
      const out = await runInNamespace(lab.ns.cli, { mode: 'raw', iface, macs, persona: 'uefi-x64', tftp: true, httpPath: '/boot.ipxe', httpHost: SERVER_ADDR, pcap }, 100_000);
      const [a, b] = out.results;
      for (const r of [a!, b!]) {
        expect(r.dhcp, JSON.stringify(r)).toMatchObject({ ok: true, bootFile: 'ipxe.efi', serverId: SERVER_ADDR });
        expect(r.dhcp!.address).toMatch(/^198\.51\.100\.\d+$/);
        // dnsmasq pings an address before offering it, so a DISCOVER may be retransmitted first.
        const types = [...new Set(r.dhcp!.types)];
        expect(types).toEqual(['sent:DISCOVER', 'received:OFFER', 'sent:REQUEST', 'received:ACK']);
        expect(r.dhcp!.types.at(-1)).toBe('received:ACK');
        expect(r.tftp).toMatchObject({ ok: true, bytes: readFileSync(join(root, 'ipxe.efi')).length, sha256: sha256File(join(root, 'ipxe.efi')) });
        expect(r.http).toMatchObject({ ok: true, status: 200, bodyText: readFileSync(join(root, 'boot.ipxe'), 'latin1') });
      }
      expect(a!.dhcp!.address).not.toBe(b!.dhcp!.address);
      const leases = readFileSync(join(lab.workDir, 'dnsmasq/dnsmasq.leases'), 'utf8');
      for (const r of [a!, b!]) expect(leases).toContain(`${r.mac} ${r.dhcp!.address}`);
      expect(out.frames.linkTypes).toEqual([1]);
      expect(out.frames.sent).toBeGreaterThan(700); // TFTP ACKs for ~1 MB at 1468-byte blocks, twice
      // tshark, the independent oracle, on the --pcap output. Only our frames: the servers' come
      // through a veth with checksum offload (the checksum is left for hardware that is not there).
      const ours = `(eth.src == ${macs[0]} or eth.src == ${macs[1]})`;
      const fields = (filter: string, field = 'frame.number'): string[] => run('tshark', ['-r', pcap, '-n', '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE',
        '-o', 'tcp.check_checksum:TRUE', '-Y', filter, '-T', 'fields', '-e', field], { timeoutMs: 60_000 }).stdout.split('\n').filter(Boolean);
      expect(fields(`${ours} and (_ws.malformed or ip.checksum.status == 2 or udp.checksum.status == 2 or tcp.checksum.status == 2 or _ws.expert.severity >= 8388608)`)).toEqual([]);
      expect(fields(ours).length).toBe(out.frames.sent);
      expect(fields(`arp.opcode == 2 and eth.src == ${macs[0]}`).length).toBeGreaterThan(0); // we answered the server's ARP
      // One connection per client, each opened offering MSS 1460, each answered 200: counted by
      // connection, as a loaded box may retransmit a SYN (or the server a segment).
      const syn = 'tcp.flags.syn == 1 and tcp.flags.ack == 0';
      expect(fields(`${syn} and not tcp.options.mss_val == 1460`)).toEqual([]);
      expect(new Set(fields(syn, 'tcp.stream')).size).toBe(2);
      expect(new Set(fields('http.response.code == 200', 'tcp.stream')).size).toBe(2);
    } finally {
      await lab?.destroy();
    }
  }, 150_000);

  it('raw: an 8 MB HTTP download with 5 % of nginx\'s TCP packets lost on the bridge: window scaling, SACK, stretch ACKs, every byte (tshark)', async () => {
    let lab: Lab | undefined;
    try {
      lab = await createLab({ name: 'pxtrawtcp' });
      const root = makeBootRoot(join(lab.workDir, 'boot'));
      const big = join(root, 'big.img');
      writeFileSync(big, randomBytes(8_000_000));
      await startDnsmasq(lab, { tftpRoot: root, efiBootFile: 'ipxe.efi', biosBootFile: 'undionly.kpxe' });
      await startNginx(lab, { root });
      const iface = lab.addClientInterface('raw0');
      const mac = '02:00:00:7a:01:01';
      const pcap = join(lab.workDir, 'raw-tcp.pcap');
      // Lost between the switch ports (the lab's bridge), not in the server's own output, where
      // netfilter's drop is an error its TCP just retries: the client sees real gaps. Data segments
      // only (`ip length > 100`): a lost pure ACK of the GET leaves no gap for us to SACK.
      // ~125 packets (GSO super-segments of up to 44 full segments) at 5 %: no loss at all has a chance of ~0.2 %.
      runOk('ip', ['netns', 'exec', lab.ns.cli, 'nft', '-f', '-'], { input: [
        'add table bridge pxtloss', 'add chain bridge pxtloss lossy { type filter hook forward priority 0; }',
        'add rule bridge pxtloss lossy ip length > 100 tcp sport 80 tcp flags & (syn | fin) == 0 numgen random mod 100 < 5 counter drop', ''].join('\n') });
      const out = await runInNamespace(lab.ns.cli, { mode: 'raw', iface, macs: [mac], persona: 'uefi-x64', tftp: false, httpPath: '/big.img', httpHost: SERVER_ADDR, httpKeep: false, httpLimitMs: 60_000, pcap }, 100_000);
      const dropped = Number(/counter packets (\d+)/.exec(run('ip', ['netns', 'exec', lab.ns.cli, 'nft', 'list', 'table', 'bridge', 'pxtloss']).stdout)?.[1] ?? 0);
      const r = out.results[0]!;
      expect(r.http, JSON.stringify(r)).toMatchObject({ ok: true, status: 200, bodyBytes: 8_000_000, sha256: sha256File(big) });
      const fields = (filter: string, ...names: string[]): string[] => run('tshark', ['-r', pcap, '-n', '-Y', filter, '-T', 'fields', ...(names.length ? names : ['frame.number']).flatMap((n) => ['-e', n])], { timeoutMs: 60_000 }).stdout.split('\n').filter(Boolean);
      const ours = `eth.src == ${mac} and tcp`;
      // RFC 7323 §2.2 and RFC 2018 §2: our SYN offers window scale and SACK, the server's takes both,
      // and our ACKs use the scale (far beyond 64 KiB).
      // A loaded box may retransmit either SYN: every one of ours offers both, at least one SYN-ACK takes them.
      const synShifts = fields(`${ours} and tcp.flags.syn == 1`, 'tcp.options.wscale.shift');
      expect(synShifts.length).toBeGreaterThan(0);
      expect(new Set(synShifts)).toEqual(new Set(['8']));
      expect(fields(`${ours} and tcp.flags.syn == 1 and not tcp.options.sack_perm`)).toEqual([]);
      expect(fields('tcp.srcport == 80 and tcp.flags.syn == 1 and tcp.flags.ack == 1 and tcp.options.sack_perm and tcp.options.wscale.shift').length).toBeGreaterThan(0);
      const windows = fields(`${ours} and tcp.flags.syn == 0`, 'tcp.window_size').map(Number);
      expect(Math.max(...windows)).toBeGreaterThan(1 << 20);
      // RFC 9293 §3.8.6: the right edge we offer (ack + window) never moves left.
      const edges = fields(`${ours} and tcp.flags.syn == 0 and tcp.flags.reset == 0`, 'tcp.ack_raw', 'tcp.window_size')
        .map((line) => line.split('\t').map(Number)).map(([ack, win]) => ack! + win!);
      const shrunk = edges.findIndex((e, i) => i > 0 && ((e - edges[i - 1]!) | 0) < 0);
      expect(shrunk, `right edge ${edges[shrunk - 1]} -> ${edges[shrunk]}`).toBe(-1);
      // Fewer ACKs than one per two full segments (Linux's pace): one per receive batch, plus one
      // for each segment beyond a gap.
      const pureAcks = fields(`${ours} and tcp.len == 0 and tcp.flags.syn == 0 and tcp.flags.fin == 0 and tcp.flags.reset == 0`).length;
      expect(pureAcks).toBeLessThan(8_000_000 / 1460 / 2);
      const sacks = fields(`${ours} and tcp.options.sack_le`).length;
      if (dropped > 0) {
        // The gaps were seen (tshark: a segment before not captured), named in SACK blocks, and filled.
        expect(fields('tcp.srcport == 80 and tcp.analysis.lost_segment').length, `bridge dropped ${dropped}`).toBeGreaterThan(0);
        expect(sacks).toBeGreaterThan(0);
      }
      console.log(`raw TCP: bridge dropped ${dropped}, our pure ACKs ${pureAcks} (${sacks} with SACK), max window ${Math.max(...windows)}`);
    } finally {
      await lab?.destroy();
    }
  }, 150_000);

  it('relay: kea-dhcp4 serves 203.0.113.0/24 to relayed DORA (giaddr, option 82 echoed); TFTP and HTTP from the relay address', async () => {
    let lab: Lab | undefined;
    try {
      lab = await createLab({ name: 'pxtrelay' });
      const relayFrom = '203.0.113.1';
      const root = makeBootRoot(join(lab.workDir, 'boot'));
      // The relay's address on the segment; each side has an on-link route to the other's subnet.
      lab.addRelaySegment(relayFrom);
      const dir = join(lab.workDir, 'kea');
      mkdirSync(dir, { recursive: true });
      const conf = join(dir, 'kea-dhcp4.conf');
      writeFileSync(conf, JSON.stringify({
        Dhcp4: {
          'interfaces-config': { interfaces: ['eth0'], 'dhcp-socket-type': 'udp' },
          'control-socket': { 'socket-type': 'unix', 'socket-name': join(dir, 'kea4-ctrl.sock') },
          'lease-database': { type: 'memfile', persist: true, name: join(dir, 'kea-leases4.csv'), 'lfc-interval': 0 },
          'valid-lifetime': 600,
          subnet4: [{
            id: 7, subnet: '203.0.113.0/24', pools: [{ pool: '203.0.113.100 - 203.0.113.150' }],
            'next-server': SERVER_ADDR, 'boot-file-name': 'ipxe.efi',
            'option-data': [{ name: 'routers', data: relayFrom }],
          }],
          loggers: [{ name: 'kea-dhcp4', output_options: [{ output: join(dir, 'kea-dhcp4.log') }], severity: 'INFO', debuglevel: 0 }],
        },
      }));
      await lab.startServer({
        label: 'kea', ns: lab.ns.srv, cmd: 'kea-dhcp4', args: ['-c', conf],
        env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir },
        ready: () => existsSync(join(dir, 'kea4-ctrl.sock')), readyTimeoutMs: 8_000,
      });
      await startTftpd(lab, { root });
      await startNginx(lab, { root });
      const macs = ['02:00:00:7b:00:01', '02:00:00:7b:00:02'];
      const out = await runInNamespace(lab.ns.cli, {
        mode: 'relay', relayFrom, server: SERVER_ADDR, circuitId: 'eth0/7', macs, clientRelay: [macs[1]], persona: 'uefi-x64',
        tftp: true, httpPath: '/boot.ipxe', httpHost: SERVER_ADDR,
      }, 60_000);
      const leases = readFileSync(join(dir, 'kea-leases4.csv'), 'utf8');
      // The first client's message is made relayed by the transport, the second's by the client machine.
      for (const [i, r] of out.results.entries()) {
        expect(r.dhcp, JSON.stringify(r)).toMatchObject({ ok: true, giaddr: relayFrom, bootFile: 'ipxe.efi', hops: 1 });
        expect(r.dhcp!.address).toMatch(/^203\.0\.113\.(1[0-4]\d|150)$/);
        // RFC 3046 §2.2: the server echoes option 82 (sub-option 1, the circuit id).
        const circuit = i === 0 ? 'eth0/7' : 'eth0/7-c';
        expect(r.dhcp!.o82).toBe(`01${circuit.length.toString(16).padStart(2, '0')}${Buffer.from(circuit).toString('hex')}`);
        expect(leases).toContain(`${r.dhcp!.address},${r.mac}`);
        expect(r.tftp).toMatchObject({ ok: true, sha256: sha256File(join(root, 'ipxe.efi')) });
        expect(r.http).toMatchObject({ ok: true, status: 200, bodyText: readFileSync(join(root, 'boot.ipxe'), 'latin1') });
      }
      expect(out.results[0]!.dhcp!.address).not.toBe(out.results[1]!.dhcp!.address);
      expect(out.frames.linkTypes).toEqual([228]);
    } finally {
      await lab?.destroy();
    }
  }, 120_000);

  it('relay: dnsmasq serves a relayed DORA from the dhcp-range that contains giaddr', async () => {
    let lab: Lab | undefined;
    try {
      lab = await createLab({ name: 'pxtrelay2' });
      const relayFrom = '203.0.113.1';
      lab.addRelaySegment(relayFrom);
      const root = makeBootRoot(join(lab.workDir, 'boot'));
      const dns = await startDnsmasq(lab, { tftpRoot: root, efiBootFile: 'snponly.efi', extraLines: ['dhcp-range=203.0.113.100,203.0.113.150,255.255.255.0,10m'] });
      const out = await runInNamespace(lab.ns.cli, {
        mode: 'relay', relayFrom, server: SERVER_ADDR, macs: ['02:00:00:7c:00:01'], persona: 'uefi-x64', tftp: true,
      }, 60_000);
      const r = out.results[0]!;
      expect(r.dhcp, JSON.stringify(r)).toMatchObject({ ok: true, giaddr: relayFrom, bootFile: 'snponly.efi', o82: null });
      expect(r.dhcp!.address).toMatch(/^203\.0\.113\.(1[0-4]\d|150)$/);
      expect(r.tftp).toMatchObject({ ok: true, sha256: sha256File(join(root, 'snponly.efi')) });
      expect(readFileSync(dns.logFile, 'utf8')).toContain(`DHCPACK(eth0) ${r.dhcp!.address} ${r.mac}`);
    } finally {
      await lab?.destroy();
    }
  }, 120_000);
});
