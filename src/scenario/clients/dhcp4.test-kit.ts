/** Tiny fake DHCP / proxyDHCP servers for the client tests, built with the project's codec. */
import { asciiBytes, ipv4FromString, ipv4ToString, macToString } from '../../wire/bytes.js';
import {
  buildDhcpV4, emitDhcpV4, getOption, msgType, parseDhcpV4, type DhcpV4Message, type DhcpV4OptionInput,
} from '../../wire/dhcpv4/index.js';
import type { FakeServer, ServerReply } from '../transport/memory.js';
import type { UdpDatagram } from './types.js';

export interface FakeDhcpConfig {
  addr: string;
  /** Address offered (absent: a proxyDHCP server offering none). */
  yiaddr?: string;
  bootFile?: string;
  /** Answers as a PXE proxy (vendor class PXEClient, yiaddr 0). */
  proxy?: boolean;
  /** REQUESTs for these addresses get a NAK. */
  nak?: string[];
  /** Reply delay (s). */
  delay?: number;
  /** Ports to listen on (default 67; a proxy also listens on 4011). */
  ports?: number[];
}

export interface FakeDhcp extends FakeServer {
  received: DhcpV4Message[];
  handle: (d: UdpDatagram, now: number) => ServerReply[];
}

function reply(req: DhcpV4Message, cfg: FakeDhcpConfig, type: number, yiaddr: string, extra: DhcpV4OptionInput[]): Uint8Array {
  const options: DhcpV4OptionInput[] = [
    { code: 53, data: Uint8Array.of(type) }, { code: 54, data: ipv4FromString(cfg.addr) }, ...extra,
  ];
  if (cfg.proxy) options.push({ code: 60, data: asciiBytes('PXEClient') }, { code: 43, data: Uint8Array.of(6, 1, 8) });
  if (cfg.bootFile && type !== 6) options.push({ code: 67, data: asciiBytes(cfg.bootFile) });
  return emitDhcpV4(buildDhcpV4({
    op: 2, xid: req.xid, flags: req.flags, yiaddr, siaddr: cfg.addr, giaddr: ipv4ToString(req.giaddr),
    chaddr: macToString(req.chaddr, 0, req.hlen), options,
  }));
}

export function fakeDhcpServer(cfg: FakeDhcpConfig): FakeDhcp {
  const received: DhcpV4Message[] = [];
  const handle = (d: UdpDatagram): ServerReply[] => {
    const req = parseDhcpV4(d.payload.slice(), []);
    received.push(req);
    const t = msgType(req);
    const lease: DhcpV4OptionInput[] = [{ code: 51, data: Uint8Array.of(0, 0, 0x0e, 0x10) }, { code: 1, data: ipv4FromString('255.255.255.0') }];
    let payload: Uint8Array | null = null;
    const requested = getOption(req, 50);
    const sid = getOption(req, 54);
    if (t === 1) {
      payload = reply(req, cfg, 2, cfg.proxy ? '0.0.0.0' : (cfg.yiaddr ?? '0.0.0.0'), cfg.proxy ? [] : lease);
    } else if (t === 3) {
      if (sid && ipv4ToString(sid) !== cfg.addr) return []; // the client chose another server
      const addr = requested ? ipv4ToString(requested) : ipv4ToString(req.ciaddr);
      if (cfg.nak?.includes(addr)) payload = reply(req, cfg, 6, '0.0.0.0', [{ code: 56, data: asciiBytes('wrong address') }]);
      else if (cfg.proxy) payload = reply(req, cfg, 5, '0.0.0.0', []);
      else payload = reply(req, cfg, 5, addr, lease);
    } else if (t === 8) {
      payload = reply(req, cfg, 5, '0.0.0.0', []);
    }
    if (!payload) return [];
    // Replies to a client port unicast when it has an address, else broadcast (RFC 2131 §4.1).
    const unicast = d.src.addr !== '0.0.0.0';
    const datagram: UdpDatagram = {
      src: { addr: cfg.addr, port: d.dst.port }, dst: { addr: unicast ? d.src.addr : '255.255.255.255', port: d.src.port },
      payload, broadcast: !unicast,
    };
    return [{ datagram, delay: cfg.delay }];
  };
  return { addr: cfg.addr, ports: cfg.ports ?? (cfg.proxy ? [67, 4011] : [67]), handle, received };
}

/** Option codes of a message in wire order (END included). */
export function optionCodes(msg: DhcpV4Message): number[] {
  return msg.options.filter((o) => o.code !== 0).map((o) => o.code);
}
