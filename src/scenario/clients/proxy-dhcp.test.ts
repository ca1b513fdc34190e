import { describe, it, expect } from 'vitest';
import { asciiBytes, ipv4FromString, ipv4ToString, macToString } from '../../wire/bytes.js';
import {
  buildDhcpV4, emitDhcpV4, encodeOptionValue, getOption, msgType, optionValue, parseDhcpV4, type DhcpV4Message,
  type DhcpV4OptionInput,
} from '../../wire/dhcpv4/index.js';
import { pxeVendorOptions } from '../../wire/dhcpv4/pxe.js';
import { FakeClock } from '../clock.js';
import { MemoryNetwork } from '../transport/memory.js';
import { bootItemOption, planDiscovery, ProxyDhcpClient, type ProxyDhcpClientConfig } from './proxy-dhcp.js';
import type { UdpDatagram } from './types.js';

const MAC = '52:54:00:00:0d:01';
const PROXY = '198.51.100.1';
const noJitter = (): number => 0.5;

/** dnsmasq-style option 43 menu: discovery control, boot servers, menu, prompt. */
function menu43(opts: { control?: number; servers?: { type: number; addresses: string[] }[]; types?: number[] } = {}): DhcpV4OptionInput {
  const subs = [
    { code: 6, value: opts.control ?? 3 },
    ...(opts.servers ? [{ code: 8, value: opts.servers }] : []),
    { code: 9, value: (opts.types ?? [0x8000]).map((type) => ({ type, description: `item ${type}` })) },
    { code: 10, value: { timeout: 0, prompt: 'PXE' } },
    { code: 255, value: null },
  ];
  return { code: 43, data: encodeOptionValue(43, subs) };
}

function reply(req: DhcpV4Message, type: number, from: string, extra: DhcpV4OptionInput[], file = ''): Uint8Array {
  return emitDhcpV4(buildDhcpV4({
    op: 2, xid: req.xid, yiaddr: '0.0.0.0', siaddr: from, chaddr: macToString(req.chaddr, 0, req.hlen), file,
    options: [{ code: 53, data: Uint8Array.of(type) }, { code: 54, data: ipv4FromString(from) },
      { code: 60, data: asciiBytes('PXEClient') }, ...extra],
  }));
}

/** A dnsmasq-like boot server on 4011: menu to a plain REQUEST, file (and 43/71 echo) to one with 71. */
function fakeBootServer(addr: string, files: Record<number, string>, menu: DhcpV4OptionInput) {
  const received: DhcpV4Message[] = [];
  return {
    addr, ports: [4011], received,
    handle: (d: UdpDatagram): UdpDatagram[] => {
      const req = parseDhcpV4(d.payload.slice(), []);
      received.push(req);
      if (msgType(req) !== 3) return [];
      const o43 = getOption(req, 43);
      const item = o43 ? (pxeVendorOptions.decode(o43, { issues: null, base: 0, vendorClass: 'PXEClient' }) as { code: number; value: { type: number; layer: number } }[]).find((s) => s.code === 71) : undefined;
      const payload = item
        ? reply(req, 5, addr, [bootItemOption(item.value.type, item.value.layer)], files[item.value.type] ?? '')
        : reply(req, 5, addr, [menu]);
      return [{ src: { addr, port: 4011 }, dst: d.src, payload }];
    },
  };
}

function run(net: MemoryNetwork, extra: Partial<ProxyDhcpClientConfig> = {}) {
  const c = new ProxyDhcpClient({ mac: MAC, persona: 'bios', clientAddr: '198.51.100.50', server: PROXY, xid: 9, random: noJitter, ...extra });
  return net.run(c)!;
}

function sentRequests(net: MemoryNetwork): { d: UdpDatagram; msg: DhcpV4Message }[] {
  return net.log.filter((e) => e.dir === 'toServer').map((e) => ({ d: e.datagram, msg: parseDhcpV4(e.datagram.payload, []) }));
}

describe('ProxyDhcpClient boot server discovery', () => {
  it('menu in the 4011 ACK: second REQUEST with 43/71 (type, layer 0), file from its ACK', () => {
    const server = fakeBootServer(PROXY, { 0x8000: 'undionly.kpxe' }, menu43({ types: [0x8000] }));
    const net = new MemoryNetwork(new FakeClock()).addServer(server);
    const r = run(net);
    expect(r.error).toBeNull();
    expect(r.bootFile).toBe('undionly.kpxe');
    expect(r.bootItem).toEqual({ type: 0x8000, layer: 0, description: 'item 32768', server: PROXY });
    expect(r.messages.map((m) => `${m.dir} ${m.type}`)).toEqual(['sent REQUEST', 'received ACK', 'sent REQUEST', 'received ACK']);
    const [plain, withItem] = sentRequests(net);
    expect(getOption(plain!.msg, 43)).toBeNull();
    expect(withItem!.d.dst).toEqual({ addr: PROXY, port: 4011 });
    expect(ipv4ToString(withItem!.msg.ciaddr)).toBe('198.51.100.50');
    // Exact bytes: 71, len 4, type 0x8000, layer 0, END.
    expect([...getOption(withItem!.msg, 43)!]).toEqual([71, 4, 0x80, 0x00, 0x00, 0x00, 255]);
    expect(optionValue(withItem!.msg, 43)).toEqual([
      { code: 71, name: 'PXE_BOOT_ITEM', value: { type: 0x8000, layer: 0 } }, { code: 255, name: 'END', value: null },
    ]);
    for (const code of [55, 60, 93, 94, 97]) expect(getOption(withItem!.msg, code), `option ${code}`).not.toBeNull();
    expect(latin1(getOption(withItem!.msg, 60)!)).toMatch(/^PXEClient:Arch:00000/);
  });

  it('menu in the proxy offer: goes straight to the listed boot server with 71, skips local boot', () => {
    const server = fakeBootServer('198.51.100.9', { 7: 'boot.0' }, menu43());
    const net = new MemoryNetwork(new FakeClock()).addServer(server);
    const offer = parseDhcpV4(reply(parseDhcpV4(emitDhcpV4(buildDhcpV4({ op: 1, xid: 9, chaddr: MAC, options: [] })), []), 2, PROXY,
      [menu43({ types: [0, 7], servers: [{ type: 7, addresses: ['198.51.100.9'] }] })]), []);
    const r = run(net, { offer });
    expect(r.error).toBeNull();
    expect(r.bootFile).toBe('boot.0');
    expect(r.bootItem?.server).toBe('198.51.100.9');
    const reqs = sentRequests(net);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]!.d.dst).toEqual({ addr: '198.51.100.9', port: 4011 });
    expect([...getOption(reqs[0]!.msg, 43)!]).toEqual([71, 4, 0, 7, 0, 0, 255]);
  });

  it('the scenario item picks the menu entry; unknown item is an error', () => {
    const m = menu43({ types: [0x8000, 0x8001] });
    const net = new MemoryNetwork(new FakeClock()).addServer(fakeBootServer(PROXY, { 0x8001: 'two' }, m));
    expect(run(net, { item: 0x8001 }).bootFile).toBe('two');
    const net2 = new MemoryNetwork(new FakeClock()).addServer(fakeBootServer(PROXY, {}, m));
    expect(run(net2, { item: 5 }).error).toBe('boot menu has no item of type 5 (types: 32768, 32769)');
  });

  it('discovery control: bit 3 with a file uses it; bit 2 without a listed server refuses', () => {
    const msg = (o43: DhcpV4OptionInput, file: string): DhcpV4Message =>
      parseDhcpV4(emitDhcpV4(buildDhcpV4({ op: 2, xid: 1, chaddr: MAC, file, options: [{ code: 53, data: Uint8Array.of(2) }, o43] })), []);
    expect(planDiscovery(msg(menu43({ control: 8 }), 'direct.0'), PROXY).kind).toBe('file');
    expect(planDiscovery(msg(menu43({ control: 0 }), 'direct.0'), PROXY).kind).toBe('item');
    expect(planDiscovery(msg(menu43({ control: 4 }), ''), PROXY)).toMatchObject({ kind: 'error' });
    expect(planDiscovery(msg(menu43({ control: 4, servers: [{ type: 0x8000, addresses: ['198.51.100.7'] }] }), ''), PROXY))
      .toMatchObject({ kind: 'item', choice: { server: '198.51.100.7' } });
    expect(planDiscovery(msg({ code: 43, data: Uint8Array.of(6, 1, 8, 255) }, ''), PROXY).kind).toBe('none');
  });

  it('gives up on a silent boot server after bounded REQUESTs with 71', () => {
    const offer = parseDhcpV4(emitDhcpV4(buildDhcpV4({ op: 2, xid: 9, chaddr: MAC, options: [{ code: 53, data: Uint8Array.of(2) }, menu43()] })), []);
    const r = run(new MemoryNetwork(new FakeClock()), { offer, maxAttempts: 2 });
    expect(r.error).toBe('no ACK from 198.51.100.1:4011 after 2 REQUESTs for boot item 32768 in 12 s');
  });
});

function latin1(b: Uint8Array): string {
  return String.fromCharCode(...b);
}
