import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { runScenario } from './driver.js';
import { loadScenario, parseScenario } from './load.js';
import { fakeDhcp6Server, type FakeDhcp6Config } from './clients/dhcp6.test-kit.js';
import { fakeHttp, fakeTftp } from './run/fake-servers.test-kit.js';
import { LoopbackTransport, type LoopbackRouterAdvert, type LoopbackStreamServer } from './transport/loopback.js';
import type { FakeServer } from './transport/memory.js';

const SERVER6 = '2001:db8:1::1';
const SERVER_LL = 'fe80::1';
const IPXE_EFI = new Uint8Array(150_000).map((_, i) => (i * 7) & 0xff);
const BOOT_IPXE = `#!ipxe\nkernel http://[${SERVER6}]/vmlinuz initrd=initrd.img\ninitrd http://[${SERVER6}]/initrd.img\nboot\n`;

const RA_MANAGED: LoopbackRouterAdvert = {
  router: SERVER_LL, routerMac: '02:00:00:00:00:01', unicastTo: null, managed: true, other: true, lifetime: 1800, preference: 'medium',
  prefixes: [{ prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: false, valid: 86400, preferred: 14400 }],
};

function seeded(seed = 1): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

type Dhcp6Lab = Partial<FakeDhcp6Config> & { ipxeUrl?: string; vendorClassReply?: string };

/** Option 16 (RFC 8415 §21.16): enterprise 343 (Intel, as EDK2 sends) and one class. */
function vendorClassOption(text: string): Uint8Array {
  const data = Buffer.from(text, 'latin1');
  const out = Buffer.alloc(4 + 4 + 2 + data.length);
  out.writeUInt16BE(16, 0);
  out.writeUInt16BE(4 + 2 + data.length, 2);
  out.writeUInt32BE(343, 4);
  out.writeUInt16BE(data.length, 8);
  data.copy(out, 10);
  return out;
}

/** A Kea-like DHCPv6 server: firmware gets a tftp:// URL, iPXE (user class) an http:// one. */
function dhcp6(o: Dhcp6Lab = {}): FakeServer & { received: number[] } {
  const base: FakeDhcp6Config = { addr: SERVER_LL, address: '2001:db8:1::100', bootfileUrl: `tftp://[${SERVER6}]/ipxe.efi`, ...o };
  const firmware = fakeDhcp6Server(base);
  const ipxe = fakeDhcp6Server({ ...base, address: '2001:db8:1::101', bootfileUrl: o.ipxeUrl ?? `http://[${SERVER6}]/boot.ipxe`, ...(o.bootfileUrl === undefined && 'bootfileUrl' in o ? { bootfileUrl: undefined } : {}) });
  const received: number[] = [];
  return {
    addr: SERVER_LL, ports: [547], received,
    handle: (d, now) => {
      const isIpxe = /iPXE/.test(Buffer.from(d.payload).toString('latin1'));
      received.push(d.payload[0]!);
      const replies = (isIpxe ? ipxe : firmware).handle(d, now);
      if (o.vendorClassReply === undefined) return replies;
      // Options are TLVs to the end of the message: appending one keeps the message valid.
      const extra = vendorClassOption(o.vendorClassReply);
      return replies.map((r) => ({ ...r, datagram: { ...r.datagram, payload: Buffer.concat([r.datagram.payload, extra]) } }));
    },
  };
}

/** TFTP on the global address; DHCPv6 multicast is not its business. */
function tftp6(files: Record<string, Uint8Array>, addr = SERVER6): FakeServer {
  const t = fakeTftp(addr, files);
  return { addr, handle: (d, now) => (d.dst.port === 547 || d.dst.addr !== addr ? [] : t.handle(d, now)) };
}

/** nginx sends a Content-Type (uefi-httpboot-v6 saves it); the fake server does not. */
function withContentType(server: LoopbackStreamServer): LoopbackStreamServer {
  return {
    ...server,
    handle: (req, now) => {
      const r = server.handle(req, now);
      if (r === null) return null;
      const b = Buffer.from(r.response);
      const end = b.indexOf('\r\n\r\n');
      return { ...r, response: Buffer.concat([b.subarray(0, end), Buffer.from('\r\nContent-Type: application/efi'), b.subarray(end)]) };
    },
  };
}

function lab(o: { dhcp?: Dhcp6Lab; ra?: LoopbackRouterAdvert | null } = {}) {
  const clock = new FakeClock(1000);
  const server = dhcp6(o.dhcp);
  const transport = new LoopbackTransport(clock, {
    udp: [server, tftp6({ 'ipxe.efi': IPXE_EFI }), tftp6({ 'ipxe.efi': IPXE_EFI }, SERVER_LL)],
    tcp: [withContentType(fakeHttp(SERVER6, { '/boot.ipxe': BOOT_IPXE, '/vmlinuz': 'kernel', '/initrd.img': 'initrd', '/ipxe.efi': IPXE_EFI }))],
    ...(o.ra === null ? {} : { routerAdvert: o.ra ?? RA_MANAGED }),
  });
  return { clock, transport, server, opts: { transport, clock, target: { server: SERVER6 }, random: seeded() } };
}

describe('IPv6 scenarios end to end (loopback)', () => {
  it('scenarios/uefi-ipxe-v6.yaml: RA → DHCPv6 → TFTP by URL → iPXE RA → DHCPv6 → HTTP script', async () => {
    const { opts, transport } = lab();
    const r = await runScenario(loadScenario('scenarios/uefi-ipxe-v6.yaml'), opts);
    const steps = r.clients[0]!.steps;
    expect(steps.map((s) => [s.name, s.ok, s.error])).toEqual([
      ['router advertisement', true, null],
      ['firmware DHCPv6', true, null],
      ['fetch the iPXE binary', true, null],
      ['become ipxe-v6', true, null],
      ['iPXE router solicitation', true, null],
      ['iPXE DHCPv6', true, null],
      ['boot.ipxe and what it loads', true, null],
    ]);
    expect(r.ok).toBe(true);
    expect(steps[2]!.details['server']).toBe(SERVER6);
    expect(steps[2]!.details['observed']).toMatchObject({ size: IPXE_EFI.length });
    expect(steps[6]!.details['fetched']).toEqual([
      `http://[${SERVER6}]/boot.ipxe`, `http://[${SERVER6}]/vmlinuz`, `http://[${SERVER6}]/initrd.img`,
    ]);
    // The address reached the transport with the RA's on-link prefix.
    expect(transport.addresses6.get('52:54:00:00:6e:f1')).toEqual({ addr: '2001:db8:1::101', prefix: 64 });
    // TFTP went from the client's DHCPv6 address.
    const rrq = transport.sent.find((s) => s.datagram.dst.port === 69)!;
    expect(rrq.datagram.src.addr).toBe('2001:db8:1::100');
    // Both exchanges went to All_DHCP_Relay_Agents_and_Servers from the EUI-64 link-local address.
    const solicits = transport.sent.filter((s) => s.datagram.dst.port === 547);
    expect(new Set(solicits.map((s) => s.datagram.dst.addr))).toEqual(new Set(['ff02::1:2']));
    expect(new Set(solicits.map((s) => s.datagram.src.addr))).toEqual(new Set(['fe80::5054:ff:fe00:6ef1']));
    const ipxeSolicit = solicits.map((s) => s.datagram.payload).find((p) => /iPXE/.test(Buffer.from(p).toString('latin1')));
    expect(ipxeSolicit).toBeDefined();
  });

  it('scenarios/uefi-httpboot-v6.yaml passes when the Reply carries HTTPClient and an http URL', async () => {
    const { opts } = lab({ dhcp: { bootfileUrl: `http://[${SERVER6}]/ipxe.efi`, vendorClassReply: 'HTTPClient' } });
    const r = await runScenario(loadScenario('scenarios/uefi-httpboot-v6.yaml'), opts);
    expect(r.clients[0]!.steps.map((s) => [s.name, s.ok, s.error])).toEqual([
      ['router advertisement', true, null],
      ['firmware DHCPv6', true, null],
      ['download the boot image', true, null],
    ]);
    expect(r.clients[0]!.steps[2]!.details['observed']).toMatchObject({ status: 200, size: IPXE_EFI.length });
  });

  it('uefi-httpboot-v6: a Reply without the HTTPClient vendor class fails, naming option 16', async () => {
    const { opts } = lab({ dhcp: { bootfileUrl: `http://[${SERVER6}]/ipxe.efi` } });
    const r = await runScenario(loadScenario('scenarios/uefi-httpboot-v6.yaml'), opts);
    expect(r.clients[0]!.steps[1]!.error).toBe('vendor class (option 16): expected to match /HTTPClient/, found absent');
  });

  it('a server without option 59 fails the DHCPv6 step and says so', async () => {
    const { opts } = lab({ dhcp: { bootfileUrl: undefined } });
    const r = await runScenario(loadScenario('scenarios/uefi-ipxe-v6.yaml'), opts);
    const [, sarr, tftp] = r.clients[0]!.steps;
    expect(r.ok).toBe(false);
    expect(sarr!.ok).toBe(false);
    expect(sarr!.error).toMatch(/the Reply carries no boot file URL \(DHCPv6 option 59\)/);
    expect(sarr!.error).toMatch(/boot file URL \(option 59\): expected to match \/\^tftp:\\\/\\\/\/, found absent/);
    expect(tftp!.error).toBe('not run: step 2 failed');
  });

  it('a link-local boot URL is fetched from the client\'s link-local address', async () => {
    const { opts, transport } = lab({ dhcp: { bootfileUrl: `tftp://[${SERVER_LL}]/ipxe.efi` } });
    const r = await runScenario(loadScenario('scenarios/uefi-ipxe-v6.yaml'), opts);
    expect(r.clients[0]!.steps[2]).toMatchObject({ name: 'fetch the iPXE binary', ok: true });
    const rrq = transport.sent.filter((x) => x.datagram.dst.port === 69);
    expect(rrq.map((x) => [x.datagram.src.addr, x.datagram.dst.addr])).toEqual([
      ['fe80::5054:ff:fe00:6ef1', SERVER_LL], ['fe80::5054:ff:fe00:6ef1', SERVER_LL],
    ]);
  });

  it('RAs with M=0 fail the ra step with the flag named', async () => {
    const { opts } = lab({ ra: { ...RA_MANAGED, managed: false, other: false } });
    const r = await runScenario(loadScenario('scenarios/uefi-ipxe-v6.yaml'), opts);
    const ra = r.clients[0]!.steps[0]!;
    expect(ra.ok).toBe(false);
    expect(ra.error).toBe('RA managed (M) flag: expected 1, found 0');
  });

  it('no router at all: the ra step solicits 3 times, then fails at its budget', async () => {
    const { opts, transport } = lab({ ra: null });
    const r = await runScenario(loadScenario('scenarios/uefi-ipxe-v6.yaml'), opts);
    const ra = r.clients[0]!.steps[0]!;
    expect(ra.ok).toBe(false);
    expect(ra.error).toMatch(/no router advertisement after 3 router solicitations by the deadline/);
    expect(transport.solicitations.map((s) => s.time - transport.solicitations[0]!.time)).toEqual([0, 4, 8]);
  });

  it('a NoAddrsAvail Reply is a failure unless the scenario expects that status', async () => {
    const text = (expectStatus: string) => [
      'budget: 30s',
      'clients:',
      '  - persona: uefi-x64-v6',
      '    mac: 52:54:00:00:6e:f2',
      '    steps:',
      `      - dhcp6: { within: 10s${expectStatus} }`,
    ].join('\n');
    const noAddr = { dhcp: { replyStatus: { code: 2, message: 'no addresses', where: 'ia' as const } } };
    const failed = await runScenario(parseScenario(text(''), 'x.yaml'), lab(noAddr).opts);
    expect(failed.clients[0]!.steps[0]!.ok).toBe(false);
    expect(failed.clients[0]!.steps[0]!.error).toMatch(/NoAddrsAvail/);
    const asserted = await runScenario(parseScenario(text(', expect: { status: NoAddrsAvail }'), 'x.yaml'), lab(noAddr).opts);
    expect(asserted.clients[0]!.steps[0]!.error).toBeNull();
  });

  it('rapid commit: a Reply to the Solicit ends the exchange', async () => {
    const text = [
      'budget: 30s',
      'clients:',
      '  - persona: ipxe-v6',
      '    mac: 52:54:00:00:6e:f3',
      '    steps:',
      '      - dhcp6: { within: 5s, rapid-commit: true, expect: { rapid-commit: true, address: 2001:db8:1::/64 } }',
      '      - dhcp6: { operation: renew, within: 15s }',
      '      - dhcp6: { operation: release, within: 5s }',
    ].join('\n');
    const { opts, server } = lab({ dhcp: { rapidCommit: true } });
    const r = await runScenario(parseScenario(text, 'x.yaml'), opts);
    expect(r.clients[0]!.steps.map((s) => [s.name, s.ok, s.error])).toEqual([
      ['DHCPv6 Rapid Commit', true, null],
      ['DHCPv6 renew', true, null],
      ['DHCPv6 release', true, null],
    ]);
    // Solicit (1), Renew (5), Release (8): no Request.
    expect(server.received).toEqual([1, 5, 8]);
  });
});
