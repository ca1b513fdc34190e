/**
 * Fake boot servers for driver tests, built with the project's codecs: a DHCP server that answers
 * like dnsmasq in a PXE → iPXE setup, a TFTP server (RFC 2347/2348/2349 options) and an HTTP server.
 */
import { asciiBytes, ipv4FromString, ipv4ToString, macToString, putU32 } from '../../wire/bytes.js';
import {
  buildDhcpV4, emitDhcpV4, getOption, msgType, parseDhcpV4, userClasses, vendorClass, clientArch, type DhcpV4Message,
  type DhcpV4OptionInput,
} from '../../wire/dhcpv4/index.js';
import { emitHttpResponse } from '../../wire/http/index.js';
import { buildData, buildError, buildOack, parseTftp, tftpOption } from '../../wire/tftp.js';
import type { UdpDatagram } from '../clients/types.js';
import type { LoopbackStreamServer } from '../transport/loopback.js';
import type { FakeServer, ServerReply } from '../transport/memory.js';

export interface FakeDnsmasqConfig {
  addr: string;
  /** First address handed out (one per MAC, in order of first DISCOVER). */
  pool?: string;
  /** Seconds before an OFFER (dnsmasq pings first). */
  offerDelay?: number;
  /** Leave option 67 (and the file field) out. */
  noBootfile?: boolean;
  /** Boot file for PXE firmware (default by arch: ipxe.efi / undionly.kpxe). */
  firmwareBootfile?: string;
  /** Boot file for iPXE (user class "iPXE"); default http://ADDR/boot.ipxe. */
  ipxeBootfile?: string;
}

export interface FakeDnsmasq extends FakeServer {
  received: DhcpV4Message[];
}

export function fakeDnsmasq(cfg: FakeDnsmasqConfig): FakeDnsmasq {
  const received: DhcpV4Message[] = [];
  const leases = new Map<string, string>();
  const poolStart = ipv4FromString(cfg.pool ?? '198.51.100.100');
  const addressFor = (mac: string): string => {
    let a = leases.get(mac);
    if (a === undefined) {
      const b = poolStart.slice();
      b[3] = b[3]! + leases.size;
      a = ipv4ToString(b);
      leases.set(mac, a);
    }
    return a;
  };
  const handle = (d: UdpDatagram): ServerReply[] => {
    const req = parseDhcpV4(d.payload.slice(), []);
    received.push(req);
    const t = msgType(req);
    if (t === 8) return [{ datagram: inform(req, cfg.addr) }];
    if (t !== 1 && t !== 3) return [];
    const sid = getOption(req, 54);
    if (t === 3 && sid && ipv4ToString(sid) !== cfg.addr) return [];
    const mac = macToString(req.chaddr, 0, 6);
    const yiaddr = addressFor(mac);
    const lease = new Uint8Array(4);
    putU32(lease, 0, 3600);
    const options: DhcpV4OptionInput[] = [
      { code: 53, data: Uint8Array.of(t === 1 ? 2 : 5) }, { code: 54, data: ipv4FromString(cfg.addr) },
      { code: 51, data: lease }, { code: 1, data: ipv4FromString('255.255.255.0') }, { code: 3, data: ipv4FromString(cfg.addr) },
    ];
    const vc = vendorClass(req);
    if (vc !== null && vc.startsWith('PXEClient')) options.push({ code: 60, data: asciiBytes('PXEClient') });
    const ipxe = userClasses(req).includes('iPXE');
    const arch = clientArch(req)[0] ?? 0;
    const boot = ipxe ? (cfg.ipxeBootfile ?? `http://${cfg.addr}/boot.ipxe`) : (cfg.firmwareBootfile ?? (arch === 0 ? 'undionly.kpxe' : 'ipxe.efi'));
    if (!cfg.noBootfile) options.push({ code: 67, data: asciiBytes(boot) });
    const payload = emitDhcpV4(buildDhcpV4({
      op: 2, xid: req.xid, flags: req.flags, yiaddr, siaddr: cfg.addr, giaddr: ipv4ToString(req.giaddr), chaddr: mac, options,
    }));
    const datagram: UdpDatagram = {
      src: { addr: cfg.addr, port: 67 }, dst: { addr: '255.255.255.255', port: 68 }, payload, broadcast: true,
    };
    return [{ datagram, ...(t === 1 && cfg.offerDelay !== undefined ? { delay: cfg.offerDelay } : {}) }];
  };
  return { addr: cfg.addr, ports: [67], handle, received };
}

/** DHCPINFORM → ACK without an address or lease (RFC 2131 §3.4), unicast to ciaddr. */
function inform(req: DhcpV4Message, addr: string): UdpDatagram {
  const payload = emitDhcpV4(buildDhcpV4({
    op: 2, xid: req.xid, flags: req.flags, yiaddr: '0.0.0.0', siaddr: addr, chaddr: macToString(req.chaddr, 0, 6),
    options: [{ code: 53, data: Uint8Array.of(5) }, { code: 54, data: ipv4FromString(addr) }, { code: 1, data: ipv4FromString('255.255.255.0') }],
  }));
  return { src: { addr, port: 67 }, dst: { addr: ipv4ToString(req.ciaddr), port: 68 }, payload };
}

interface TftpSession {
  data: Uint8Array;
  blksize: number;
  tid: number;
}

/** A TFTP server with `files`; unknown names get ERROR 1 "File not found". */
export function fakeTftp(addr: string, files: Record<string, Uint8Array>): FakeServer {
  const sessions = new Map<string, TftpSession>();
  let nextTid = 40000;
  const reply = (s: TftpSession, to: { addr: string; port: number }, payload: Uint8Array): UdpDatagram =>
    ({ src: { addr, port: s.tid }, dst: to, payload });
  const block = (s: TftpSession, n: number): Uint8Array => buildData(n, s.data.subarray((n - 1) * s.blksize, n * s.blksize));
  const handle = (d: UdpDatagram): UdpDatagram[] => {
    const pkt = parseTftp(d.payload.slice(), []);
    const key = `${d.src.addr}:${d.src.port}`;
    if (pkt.code === 1) {
      const data = files[pkt.file ?? ''];
      const s: TftpSession = { data: data ?? new Uint8Array(0), blksize: 512, tid: nextTid++ };
      if (data === undefined) return [reply(s, d.src, buildError(1, 'File not found'))];
      sessions.set(key, s);
      const oack: Record<string, string | number> = {};
      const blk = tftpOption(pkt, 'blksize');
      if (blk !== undefined) oack['blksize'] = s.blksize = Math.min(Number(blk), 1468);
      if (tftpOption(pkt, 'tsize') !== undefined) oack['tsize'] = data.length;
      return Object.keys(oack).length > 0 ? [reply(s, d.src, buildOack(oack))] : [reply(s, d.src, block(s, 1))];
    }
    const s = sessions.get(key);
    if (s === undefined) return [];
    if (pkt.code === 5) {
      sessions.delete(key);
      return [];
    }
    if (pkt.code !== 4) return [];
    const n = (pkt.block ?? 0) + 1;
    if ((n - 1) * s.blksize > s.data.length) {
      sessions.delete(key);
      return [];
    }
    return [reply(s, d.src, block(s, n))];
  };
  return { addr, handle };
}

/** An HTTP server on addr:80 serving `files` (path → body); anything else is a 404. */
export function fakeHttp(addr: string, files: Record<string, string | Uint8Array>, delay?: number): LoopbackStreamServer {
  return {
    addr, port: 80,
    handle: (request) => {
      const text = Buffer.from(request).toString('latin1');
      if (!text.includes('\r\n\r\n')) return null;
      const path = /^[A-Z]+ (\S+)/.exec(text)?.[1] ?? '/';
      const body = files[path];
      const response = body === undefined
        ? emitHttpResponse({ status: 404, headers: { 'Content-Length': '9' }, body: asciiBytes('not found') })
        : (() => {
          const b = typeof body === 'string' ? asciiBytes(body) : body;
          return emitHttpResponse({ status: 200, headers: { 'Content-Length': String(b.length) }, body: b });
        })();
      return { response, ...(delay === undefined ? {} : { delay }) };
    },
  };
}
