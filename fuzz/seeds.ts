/**
 * Writes the seed corpora of fuzz/corpus/<target>/ (run once by `node bench/fuzz.mjs --make-seeds`;
 * the files are committed): small real captures for the readers and the analyze path, their
 * packets cut at each layer for the protocol parsers, the repository's iPXE scripts and scenarios,
 * and real server conversations (the test kits' fake servers, built with the project's codecs)
 * for the clients.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { readCaptureBuffer } from '../src/capture/reader.js';
import { parseLink } from '../src/wire/link.js';
import { parseIpv4 } from '../src/wire/ipv4.js';
import { parseIpv6 } from '../src/wire/ipv6.js';
import { parseUdp } from '../src/wire/udp.js';
import type { WireIssue } from '../src/wire/issues.js';
import { emitHttpResponse } from '../src/wire/http/head.js';
import { Dhcp4Client } from '../src/scenario/clients/dhcp4.js';
import { Dhcp6Client } from '../src/scenario/clients/dhcp6.js';
import { TftpClient } from '../src/scenario/clients/tftp.js';
import { fakeDhcpServer } from '../src/scenario/clients/dhcp4.test-kit.js';
import { fakeDhcp6Server } from '../src/scenario/clients/dhcp6.test-kit.js';
import { fakeTftp } from '../src/scenario/run/fake-servers.test-kit.js';
import type { ClientMachine, UdpDatagram } from '../src/scenario/clients/types.js';
import type { ServerReply } from '../src/scenario/transport/memory.js';

const SMALL = 24 * 1024;

function files(dir: string, keep: (f: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p, keep));
    else if (keep(p)) out.push(p);
  }
  return out.sort();
}

/** [u16 length][bytes]… (fuzz/targets.ts `records`). */
function recordsOf(parts: Uint8Array[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) out.push(p.length >> 8, p.length & 0xff, ...p);
  return Uint8Array.from(out);
}

/** One client against one fake server: the server's payloads, in order, as records. */
function conversation<R>(client: ClientMachine<R>, handle: (d: UdpDatagram, now: number) => Array<UdpDatagram | ServerReply>): Uint8Array {
  const replies: Uint8Array[] = [];
  let now = 0;
  let out = client.dispatch(now);
  for (let i = 0; i < 50 && out.length > 0 && !client.done(); i++) {
    const back = out.flatMap((d) => handle(d, now)).map((r) => ('datagram' in r ? r.datagram : r));
    out = [];
    for (const d of back) {
      replies.push(d.payload);
      now += 0.01;
      client.process(d, now);
      out.push(...client.dispatch(now));
    }
  }
  return recordsOf(replies);
}

export function makeSeeds(root: string): Record<string, number> {
  const corpus = join(root, 'fuzz/corpus');
  const put = (target: string, name: string, data: Uint8Array): void => {
    mkdirSync(join(corpus, target), { recursive: true });
    writeFileSync(join(corpus, target, name), data);
  };
  // The target folders only: README.md stays.
  mkdirSync(corpus, { recursive: true });
  for (const e of readdirSync(corpus, { withFileTypes: true })) if (e.isDirectory()) rmSync(join(corpus, e.name), { recursive: true });

  const captures = files(join(root, 'captures'), (f) => /\.(pcap|pcapng)$/.test(f) && statSync(f).size <= SMALL);
  for (const f of captures) {
    const name = `${basename(join(f, '..'))}-${basename(f)}`;
    mkdirSync(join(corpus, 'analyze'), { recursive: true });
    copyFileSync(f, join(corpus, 'analyze', name));
    put(extname(f) === '.pcap' ? 'pcap' : 'pcapng', name, new Uint8Array(readFileSync(f)));
  }

  // Protocol parsers: each packet cut at link, IP, UDP and payload, behind the wire target's selector byte.
  let n = 0;
  for (const f of captures) {
    let perFile = 0;
    readCaptureBuffer(new Uint8Array(readFileSync(f)), (rec) => {
      if (n >= 80 || perFile++ >= 4) return;
      const issues: WireIssue[] = [];
      const frame = rec.data.slice();
      put('wire', `${n++}-link`, Uint8Array.of(3, rec.linkType & 0xff, ...frame));
      const link = parseLink(rec.linkType, frame, issues);
      if (!link) return;
      const v4 = link.etherType === 0x0800 ? parseIpv4(link.payload, issues) : null;
      const v6 = link.etherType === 0x86dd ? parseIpv6(link.payload, issues) : null;
      if (v4) put('wire', `${n}-ipv4`, Uint8Array.of(4, ...link.payload));
      if (v6) put('wire', `${n}-ipv6`, Uint8Array.of(5, ...link.payload));
      const l4 = v4?.payload ?? v6?.payload;
      const proto = v4?.protocol ?? v6?.nextHeader;
      if (!l4) return;
      if (proto === 6) put('wire', `${n}-tcp`, Uint8Array.of(7, ...l4));
      if (proto === 1) put('wire', `${n}-icmp`, Uint8Array.of(8, ...l4));
      if (proto === 58) put('wire', `${n}-icmpv6`, Uint8Array.of(9, ...l4));
      if (proto !== 17) return;
      put('wire', `${n}-udp`, Uint8Array.of(6, ...l4));
      const udp = parseUdp(l4, issues);
      if (!udp) return;
      const ports = [udp.srcPort, udp.dstPort];
      if (ports.some((p) => p === 67 || p === 68 || p === 4011)) put('wire', `${n}-dhcp4`, Uint8Array.of(0, ...udp.payload));
      else if (ports.some((p) => p === 546 || p === 547)) put('wire', `${n}-dhcp6`, Uint8Array.of(1, ...udp.payload));
      else put('wire', `${n}-tftp`, Uint8Array.of(2, ...udp.payload));
    });
  }

  const text = (s: string): Uint8Array => new TextEncoder().encode(s);
  const fromServer = (b: Uint8Array): Uint8Array => Uint8Array.of(0, ...b);
  const fromClient = (s: string): Uint8Array => Uint8Array.of(1, ...text(s));
  const script = text('#!ipxe\ndhcp\nchain http://198.51.100.1/boot.ipxe\n');
  const get = fromClient('GET /boot.ipxe HTTP/1.1\r\nHost: 198.51.100.1\r\nConnection: keep-alive\r\n\r\n');
  const responses: Record<string, Uint8Array> = {
    ok: emitHttpResponse({ status: 200, headers: { 'Content-Length': String(script.length) }, body: script }),
    chunked: text('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n#!ipxe\nchain htt\r\n5;x=y\r\np://x\r\n0\r\nX-Trailer: 1\r\n\r\n'),
    notfound: emitHttpResponse({ status: 404, headers: { 'Content-Length': '0' } }),
    redirect: emitHttpResponse({ status: 302, headers: { Location: 'http://198.51.100.2/next.ipxe', 'Content-Length': '0' } }),
    continue: text('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n#!ipxe\nexit\n'),
  };
  for (const [name, resp] of Object.entries(responses)) {
    put('http', name, recordsOf([get, fromServer(resp.subarray(0, 20)), fromServer(resp.subarray(20))]));
    put('client-http', name, recordsOf([resp.subarray(0, 7), resp.subarray(7)]));
  }

  const scripts = files(root, (f) => f.endsWith('.ipxe') && !f.includes('node_modules'));
  scripts.slice(0, 30).forEach((f, i) => put('ipxe', `${i}-${basename(f)}`, new Uint8Array(readFileSync(f))));
  for (const f of files(join(root, 'scenarios'), (x) => x.endsWith('.yaml'))) put('scenario', basename(f), new Uint8Array(readFileSync(f)));

  const mac = '52:54:00:00:0e:f1';
  const dhcp4 = (cfg: Parameters<typeof fakeDhcpServer>[0]): Uint8Array =>
    conversation(new Dhcp4Client({ mac, persona: 'uefi-x64', xid: 0xdf8841ff, random: () => 0.5, maxAttempts: 2 }), fakeDhcpServer(cfg).handle);
  put('client-dhcp4', 'dora', dhcp4({ addr: '198.51.100.1', yiaddr: '198.51.100.10', bootFile: 'ipxe.efi' }));
  put('client-dhcp4', 'nak', dhcp4({ addr: '198.51.100.1', yiaddr: '198.51.100.10', nak: ['198.51.100.10'] }));
  put('client-dhcp4', 'proxy', dhcp4({ addr: '198.51.100.1', proxy: true, bootFile: 'ipxe.efi' }));
  const dhcp6 = (cfg: Parameters<typeof fakeDhcp6Server>[0]): Uint8Array =>
    conversation(new Dhcp6Client({ mac: '52:54:00:00:0e:f6', persona: 'uefi-x64-v6', xid: 0x3c9360, random: () => 0.5 }, { kind: 'sarr' }), fakeDhcp6Server(cfg).handle);
  put('client-dhcp6', 'sarr', dhcp6({ addr: 'fe80::1', address: '2001:db8:1::10', bootfileUrl: 'tftp://[2001:db8:1::1]/ipxe.efi' }));
  put('client-dhcp6', 'noaddrs', dhcp6({ addr: 'fe80::1' }));
  const tftp = (file: string, probe: boolean): Uint8Array =>
    conversation(new TftpClient({ server: '198.51.100.1', clientAddr: '198.51.100.10', clientPort: 2000, file: 'boot.efi', options: { tsize: true, blksize: 1468 }, tsizeProbe: probe, maxRetransmits: 2 }),
      fakeTftp('198.51.100.1', { [file]: new Uint8Array(3000).fill(0x41) }).handle);
  put('client-tftp', 'transfer', tftp('boot.efi', false));
  put('client-tftp', 'probe', tftp('boot.efi', true));
  put('client-tftp', 'notfound', tftp('other.efi', false));

  const counts: Record<string, number> = {};
  for (const t of readdirSync(corpus).filter((x) => x !== 'README.md')) counts[t] = readdirSync(join(corpus, t)).length;
  return counts;
}
