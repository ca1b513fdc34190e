import { describe, it, expect, afterAll } from 'vitest';
import { buildAck, buildData, buildError, buildOack, buildRrq } from '../wire/tftp.js';
import { macFromString } from '../wire/bytes.js';
import { Sim, dora, ipxeOptions, pxeOptions, tftpRead, routerAdvert, ALL_NODES, ROUTER_MAC, SERVER, T0, type Endpoint } from '../flow/sim.test-kit.js';
import type { Analysis } from '../analysis/types.js';
import type { Finding } from './types.js';
import { CATALOGUE, type FindingCode } from './catalogue.js';
import { icmpUnreachable } from '../flow/icmp.test-kit.js';

const MAC = '52:54:00:00:00:10';
const ADDR = '198.51.100.110';
const fired = new Set<FindingCode>();

function codes(a: Analysis): FindingCode[] {
  for (const f of a.findings) fired.add(f.code);
  return a.findings.map((f) => f.code);
}

/** The one finding of `code`, at its catalogue severity unless the test says which it must have
 *  (a root cause is raised to error, a consequence lowered, an OS client's problem is no boot error). */
function only(a: Analysis, code: FindingCode, severity = CATALOGUE.get(code)!.severity): Finding {
  const fs = a.findings.filter((f) => f.code === code);
  expect(fs, `${code} in ${codes(a).join(',')}`).toHaveLength(1);
  const f = fs[0]!;
  expect(f.severity).toBe(severity);
  expect(f.hint.length).toBeGreaterThan(10);
  return f;
}

const DHCP_BCAST: Endpoint = { addr: '255.255.255.255', port: 67 };
const CLI0: Endpoint = { addr: '0.0.0.0', port: 68, mac: MAC };
const discover = (xid: number, opts = pxeOptions(7)) => ({ xid, chaddr: MAC, options: [{ code: 53, value: 'DISCOVER' }, ...opts] });

describe('DHCPv4 findings', () => {
  it('dhcp.no-offer: DISCOVERs unanswered for longer than noReply', () => {
    const sim = new Sim();
    sim.dhcp4(CLI0, DHCP_BCAST, discover(1), 0);
    sim.dhcp4(CLI0, DHCP_BCAST, discover(1), 4);
    sim.dhcp4(CLI0, DHCP_BCAST, discover(1), 8);
    const a = sim.finish();
    const f = only(a, 'dhcp.no-offer');
    expect(f).toMatchObject({ client: MAC, frames: [1, 2, 3], time: T0 });
    expect(f.message).toContain('3 time(s)');
    expect(f.message).toContain('8 s');
    expect(a.clients[0]!.booted).toBe(false);
    expect(a.summary.failed).toBe(1);
  });

  it('no dhcp.no-offer when the capture simply ended right after the DISCOVER', () => {
    const sim = new Sim();
    sim.dhcp4(CLI0, DHCP_BCAST, discover(1), 0);
    expect(codes(sim.finish({ end: 3 }))).toEqual([]);
    const sim2 = new Sim();
    sim2.dhcp4(CLI0, DHCP_BCAST, discover(1), 0);
    expect(codes(sim2.finish({ end: 4.5 }))).toEqual(['dhcp.no-offer']);
  });

  it('dhcp.no-ack: REQUEST never answered', () => {
    const sim = new Sim();
    dora(sim, { xid: 2, mac: MAC, yiaddr: ADDR, t: 0, until: 'request', file: 'ipxe.efi', client: pxeOptions(7) });
    const f = only(sim.finish({ end: 10 }), 'dhcp.no-ack');
    expect(f.frames).toEqual([3]);
    expect(f.message).toContain(SERVER.addr);
  });

  it('dhcp.nak: server answers NAK (an error for a PXE client, a warning for an OS client)', () => {
    const sim = new Sim();
    dora(sim, { xid: 3, mac: MAC, yiaddr: ADDR, t: 0, until: 'nak', client: pxeOptions(7) });
    const a = sim.finish();
    const f = only(a, 'dhcp.nak');
    expect(f).toMatchObject({ frames: [4], client: MAC });
    expect(f.message).toContain(`Server ${SERVER.addr}`);
    expect(a.clients[0]).toMatchObject({ role: 'boot', outcome: 'failed', rootCause: 'dhcp.nak' });
    const os = new Sim();
    dora(os, { xid: 3, mac: MAC, yiaddr: ADDR, t: 0, until: 'nak' });
    const b = os.finish();
    only(b, 'dhcp.nak', 'warning');
    expect(b.clients[0]).toMatchObject({ role: 'other', outcome: 'not-a-boot' });
    expect(b.summary).toMatchObject({ clients: 0, otherClients: 1 });
  });

  it('dhcp.multiple-servers: two servers offer an address', () => {
    const sim = new Sim();
    sim.dhcp4(CLI0, DHCP_BCAST, discover(4, []), 0);
    sim.dhcp4(SERVER, CLI0, { xid: 4, chaddr: MAC, op: 2, yiaddr: ADDR, options: [{ code: 53, value: 'OFFER' }, { code: 54, value: SERVER.addr }] }, 0.1);
    sim.dhcp4({ addr: '198.51.100.9', port: 67 }, CLI0, { xid: 4, chaddr: MAC, op: 2, yiaddr: '198.51.100.200', options: [{ code: 53, value: 'OFFER' }, { code: 54, value: '198.51.100.9' }] }, 0.2);
    const f = only(sim.finish(), 'dhcp.multiple-servers');
    expect(f.frames).toEqual([2, 3]);
    expect(f.message).toContain('198.51.100.9 (198.51.100.200)');
  });

  it('dhcp.slow-offer: first offer after the threshold', () => {
    const sim = new Sim({ thresholds: { slowOffer: 2 } });
    dora(sim, { xid: 5, mac: MAC, yiaddr: ADDR, t: 0, offerDelay: 3.5 });
    const f = only(sim.finish(), 'dhcp.slow-offer');
    expect(f.message).toContain('3.5 s');
    expect(f.message).toContain('threshold 2 s');
    const fast = new Sim({ thresholds: { slowOffer: 2 } });
    dora(fast, { xid: 5, mac: MAC, yiaddr: ADDR, t: 0, offerDelay: 1.5 });
    expect(codes(fast.finish())).toEqual([]);
  });

  it('dhcp.no-address-offer: only a proxyDHCP server answers', () => {
    const sim = new Sim();
    const proxy: Endpoint = { addr: '198.51.100.2', port: 67 };
    sim.dhcp4(CLI0, DHCP_BCAST, discover(6), 0);
    sim.dhcp4(proxy, CLI0, { xid: 6, chaddr: MAC, op: 2, file: 'ipxe.efi', options: [{ code: 53, value: 'OFFER' }, { code: 54, value: proxy.addr }, { code: 60, value: 'PXEClient' }] }, 0.1);
    sim.dhcp4(CLI0, DHCP_BCAST, discover(6), 4);
    sim.dhcp4(CLI0, DHCP_BCAST, discover(6), 12);
    const a = sim.finish();
    const f = only(a, 'dhcp.no-address-offer');
    expect(f.message).toContain(proxy.addr);
    expect(codes(a)).not.toContain('dhcp.no-offer');
  });

  it('pxe.no-bootfile: PXE client gets an address and no boot file from anyone (PXE-E53)', () => {
    const sim = new Sim();
    dora(sim, { xid: 7, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(7) });
    const f = only(sim.finish(), 'pxe.no-bootfile');
    expect(f.frames).toEqual([4]);
    // Not for an OS client, and not when the file field carries it.
    const os = new Sim();
    dora(os, { xid: 7, mac: MAC, yiaddr: ADDR, t: 0 });
    expect(codes(os.finish())).toEqual([]);
    const ok = new Sim();
    dora(ok, { xid: 7, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(7), file: 'snponly.efi' });
    expect(codes(ok.finish())).toEqual([]);
  });

  it('proxydhcp.no-reply: the 4011 request is never answered (PXE-E55)', () => {
    const sim = new Sim();
    const proxy: Endpoint = { addr: '198.51.100.2', port: 67 };
    sim.dhcp4(CLI0, DHCP_BCAST, discover(8), 0);
    sim.dhcp4(SERVER, CLI0, { xid: 8, chaddr: MAC, op: 2, yiaddr: ADDR, options: [{ code: 53, value: 'OFFER' }, { code: 54, value: SERVER.addr }] }, 0.1);
    sim.dhcp4(proxy, CLI0, { xid: 8, chaddr: MAC, op: 2, options: [{ code: 53, value: 'OFFER' }, { code: 54, value: proxy.addr }, { code: 60, value: 'PXEClient' }] }, 0.1);
    sim.dhcp4(CLI0, DHCP_BCAST, { xid: 8, chaddr: MAC, options: [{ code: 53, value: 'REQUEST' }, { code: 54, value: SERVER.addr }, ...pxeOptions(7)] }, 0.2);
    sim.dhcp4(SERVER, CLI0, { xid: 8, chaddr: MAC, op: 2, yiaddr: ADDR, options: [{ code: 53, value: 'ACK' }, { code: 54, value: SERVER.addr }] }, 0.3);
    const c: Endpoint = { addr: ADDR, port: 68, mac: MAC };
    sim.dhcp4(c, { addr: proxy.addr, port: 4011 }, { xid: 9, chaddr: MAC, ciaddr: ADDR, options: [{ code: 53, value: 'REQUEST' }, ...pxeOptions(7)] }, 0.4);
    sim.dhcp4(c, { addr: proxy.addr, port: 4011 }, { xid: 9, chaddr: MAC, ciaddr: ADDR, options: [{ code: 53, value: 'REQUEST' }, ...pxeOptions(7)] }, 2.4);
    const a = sim.finish({ end: 8 });
    const f = only(a, 'proxydhcp.no-reply');
    expect(f.frames).toEqual([6]);
    expect(f.message).toContain(`${proxy.addr}:4011`);
    // The unanswered proxy request explains the missing boot file: no PXE-E53 on top.
    expect(codes(a)).not.toContain('pxe.no-bootfile');
    expect((a.clients[0]!.steps[1]!).kind).toBe('proxydhcp');
  });

  it('pxe.arch-mismatch: BIOS program to UEFI, EFI program to BIOS', () => {
    const uefi = new Sim();
    dora(uefi, { xid: 10, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(7), file: 'undionly.kpxe' });
    expect(only(uefi.finish(), 'pxe.arch-mismatch').message).toContain('BIOS boot program "undionly.kpxe" handed to a UEFI client (arch 7)');
    const bios = new Sim();
    dora(bios, { xid: 10, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(0), server: [{ code: 67, value: 'boot/ipxe.efi' }] });
    expect(only(bios.finish(), 'pxe.arch-mismatch').message).toContain('UEFI boot program "boot/ipxe.efi" handed to a BIOS client (arch 0)');
    const fine = new Sim();
    dora(fine, { xid: 10, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(0), file: 'pxelinux.0' });
    expect(codes(fine.finish())).toEqual([]);
  });

  it('ipxe.chainload-loop: iPXE handed the iPXE binary again', () => {
    const sim = new Sim();
    dora(sim, { xid: 11, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(7), file: 'ipxe.efi' });
    dora(sim, { xid: 12, mac: MAC, yiaddr: ADDR, t: 2, client: ipxeOptions(7), file: 'ipxe.efi' });
    const f = only(sim.finish(), 'ipxe.chainload-loop');
    expect(f.message).toContain('"ipxe.efi"');
    expect(f.frames).toEqual([8]);
  });

  it('ipxe.chainload-loop: the same boot program fetched loopCount times', () => {
    // Firmware loads undionly.kpxe, whose own DHCP (iPXE) is handed undionly.kpxe again, twice.
    const loop = (sizes: number[]): Sim => {
      const sim = new Sim();
      sizes.forEach((size, i) => {
        dora(sim, { xid: 20 + i, mac: MAC, yiaddr: ADDR, t: i * 10, client: i === 0 ? pxeOptions(0) : ipxeOptions(0), file: 'undionly.kpxe' });
        tftpRead(sim, { addr: ADDR, port: 2000 + i }, SERVER.addr, 'undionly.kpxe', size, { t: i * 10 + 1 });
      });
      return sim;
    };
    const a = loop([1000, 1000, 1000]).finish();
    const f = a.findings.find((x) => x.code === 'ipxe.chainload-loop')!;
    expect(f.severity).toBe('error');
    // The evidence is the ACK that named the iPXE binary to iPXE, and the loop fails the boot.
    expect(a.clients[0]).toMatchObject({ outcome: 'failed', rootCause: 'ipxe.chainload-loop' });
    expect(codes(a).filter((c) => c === 'ipxe.chainload-loop')).toHaveLength(1);
    // Two programs of the same name but different sizes are not one program fetched twice.
    const sized = new Sim();
    for (let i = 0; i < 3; i++) tftpRead(sized, { addr: ADDR, port: 2000 + i }, SERVER.addr, 'ipxe.pxe', 1000 + i * 700, { t: i * 2 });
    expect(codes(sized.finish({ end: 8 }))).not.toContain('ipxe.chainload-loop');
    const same = new Sim();
    for (let i = 0; i < 3; i++) tftpRead(same, { addr: ADDR, port: 2000 + i }, SERVER.addr, 'ipxe.pxe', 1000, { t: i * 2 });
    const g = only(same.finish({ end: 8 }), 'ipxe.chainload-loop');
    expect(g.message).toContain('fetched 3 times');
    const twice = new Sim();
    for (let i = 0; i < 2; i++) tftpRead(twice, { addr: ADDR, port: 2000 + i }, SERVER.addr, 'undionly.kpxe', 1000, { t: i * 10 });
    expect(codes(twice.finish())).toEqual([]);
  });

  it('phone.no-provisioning-server: Cisco phone ACK without 150/66; fine with 150', () => {
    const cisco = [{ code: 60, value: 'Cisco Systems, Inc. IP Phone CP-8841' }];
    const sim = new Sim();
    dora(sim, { xid: 30, mac: MAC, yiaddr: ADDR, t: 0, client: cisco, server: [{ code: 3, value: ['198.51.100.1'] }] });
    const a = sim.finish();
    expect(a.clients[0]!.steps[0]).toMatchObject({ stage: 'phone' });
    const f = only(a, 'phone.no-provisioning-server');
    expect(f.message).toContain('150/66');
    expect(f.hint).toContain('Cisco');
    const ok = new Sim();
    dora(ok, { xid: 30, mac: MAC, yiaddr: ADDR, t: 0, client: cisco, server: [{ code: 150, value: ['198.51.100.1'] }] });
    expect(codes(ok.finish())).toEqual([]);
  });

  it('phone.default-config: SEP<mac>.cnf.xml missing, XMLDefault.cnf.xml loaded; the tftp.error when it is missing too', () => {
    const cisco = [{ code: 60, value: 'Cisco Systems, Inc. IP Phone CP-8841' }];
    const phone: Endpoint = { addr: ADDR, port: 3000, mac: MAC };
    const s69: Endpoint = { addr: SERVER.addr, port: 69 };
    const run = (defaultOk: boolean): Analysis => {
      const sim = new Sim();
      dora(sim, { xid: 31, mac: MAC, yiaddr: ADDR, t: 0, client: cisco, server: [{ code: 150, value: [SERVER.addr] }] });
      sim.tftp(phone, s69, buildRrq('SEP525400000010.cnf.xml', 'octet', { tsize: 0 }), 1);
      sim.tftp({ addr: SERVER.addr, port: 50001 }, phone, buildError(1, 'File not found'), 1.001);
      if (defaultOk) tftpRead(sim, { addr: ADDR, port: 3001 }, SERVER.addr, 'XMLDefault.cnf.xml', 2000, { t: 1.01 });
      else {
        sim.tftp({ addr: ADDR, port: 3001 }, s69, buildRrq('XMLDefault.cnf.xml', 'octet', { tsize: 0 }), 1.01);
        sim.tftp({ addr: SERVER.addr, port: 50002 }, { addr: ADDR, port: 3001 }, buildError(1, 'File not found'), 1.011);
      }
      return sim.finish({ end: 60 });
    };
    const a = run(true);
    expect(a.clients[0]!.outcome).toBe('booted');
    expect(only(a, 'phone.default-config').message).toContain('XMLDefault.cnf.xml');
    expect(codes(a)).not.toContain('tftp.error');
    const missing = run(false);
    expect(codes(missing)).not.toContain('phone.default-config');
    expect(missing.findings.filter((f) => f.code === 'tftp.error' && f.severity === 'error').length).toBeGreaterThan(0);
    expect(missing.clients[0]!.outcome).toBe('failed');
  });

  it('httpboot.offer-ignored: HTTPClient keeps discovering past offers without HTTPClient/URL', () => {
    const sim = new Sim();
    const http = [{ code: 93, value: [16] }, { code: 60, value: 'HTTPClient:Arch:00016:UNDI:003001' }];
    for (const t of [0, 4, 8]) {
      sim.dhcp4(CLI0, DHCP_BCAST, discover(40, http), t);
      sim.dhcp4(SERVER, CLI0, { xid: 40, chaddr: MAC, op: 2, yiaddr: ADDR, file: 'ipxe.efi', options: [{ code: 53, value: 'OFFER' }, { code: 54, value: SERVER.addr }] }, t + 0.1);
    }
    const a = sim.finish();
    expect(a.clients[0]!.steps[0]).toMatchObject({ stage: 'httpboot' });
    const f = only(a, 'httpboot.offer-ignored');
    expect(f.message).toContain('no option 60 "HTTPClient"');
    expect(f.message).toContain('boot file "ipxe.efi" is not a URL');
  });
});

describe('TFTP findings', () => {
  const C: Endpoint = { addr: ADDR, port: 2000 };
  const S69: Endpoint = { addr: SERVER.addr, port: 69 };
  const TID: Endpoint = { addr: SERVER.addr, port: 51000 };

  it('tftp.error: file not found, with the file name in message and hint', () => {
    const sim = new Sim();
    sim.tftp(C, S69, buildRrq('pxelinux.0'), 0);
    sim.tftp(TID, C, buildError(1, 'File not found'), 0.01);
    const f = only(sim.finish(), 'tftp.error');
    expect(f).toMatchObject({ frames: [1, 2], client: `ip:${ADDR}` });
    expect(f.message).toContain('ERROR 1 (File not found)');
    expect(f.hint).toContain('"pxelinux.0"');
  });

  it('tftp.tsize-probe (info), not tftp.error', () => {
    const sim = new Sim();
    sim.tftp(C, S69, buildRrq('ipxe.efi', 'octet', { tsize: 0 }), 0);
    sim.tftp(TID, C, buildOack({ tsize: 1000 }), 0.01);
    sim.tftp(C, TID, buildError(8, 'User aborted'), 0.02);
    const a = sim.finish();
    expect(codes(a)).toEqual(['tftp.tsize-probe']);
    expect(only(a, 'tftp.tsize-probe').message).toContain('tsize 1000');
  });

  it('tftp.retransmit: counts repeated DATA and RRQ', () => {
    const sim = new Sim();
    sim.tftp(C, S69, buildRrq('a.0'), 0);
    sim.tftp(C, S69, buildRrq('a.0'), 1);
    sim.tftp(TID, C, buildData(1, new Uint8Array(10)), 1.1);
    sim.tftp(TID, C, buildData(1, new Uint8Array(10)), 2.1);
    sim.tftp(C, TID, buildAck(1), 2.2);
    const f = only(sim.finish(), 'tftp.retransmit');
    expect(f.message).toContain('2 packet(s) sent again over 1 block(s)');
    // The evidence is the resent packets (the second RRQ, the second DATA 1), not the first ones.
    expect(f.frames).toEqual([2, 4]);
  });

  it('tftp.timeout: stops before the last block and stays idle; not when the capture just ended', () => {
    const sim = new Sim();
    tftpRead(sim, C, SERVER.addr, 'big.img', 5000, { t: 0, stopAfter: 2 });
    const f = only(sim.finish({ end: 20 }), 'tftp.timeout');
    expect(f.message).toContain('after 2 block(s) / 1024 bytes');
    const cut = new Sim();
    tftpRead(cut, C, SERVER.addr, 'big.img', 5000, { t: 0, stopAfter: 2 });
    expect(codes(cut.finish({ end: 1 }))).toEqual([]);
    const unanswered = new Sim();
    unanswered.tftp(C, S69, buildRrq('x.efi'), 0);
    expect(only(unanswered.finish({ end: 6 }), 'tftp.timeout').message).toContain('never answered');
  });

  it('tftp.option-ignored: windowsize requested, not acknowledged', () => {
    const sim = new Sim();
    tftpRead(sim, C, SERVER.addr, 'ipxe.efi', 3000, { t: 0, request: { blksize: 1468, windowsize: 4 }, oack: { blksize: 1468 } });
    const f = only(sim.finish(), 'tftp.option-ignored');
    expect(f.message).toContain('windowsize=4');
    expect(f.message).not.toContain('blksize=');
    // The hint speaks of what was really lost (lock-step), not of 512-byte blocks.
    expect(f.hint).toContain('windowsize');
    expect(f.hint).not.toContain('512');
  });
});

describe('tftp.block-oversize', () => {
  const C: Endpoint = { addr: ADDR, port: 2000 };
  it('a block longer than the OACK\'s blksize, never acknowledged, sent again: an error; none when blocks fit', () => {
    const sim = new Sim();
    const tid: Endpoint = { addr: SERVER.addr, port: 41000 };
    sim.tftp(C, { addr: SERVER.addr, port: 69 }, buildRrq('ipxe.efi', 'octet', { blksize: 1024 }), 0);
    sim.tftp(tid, C, buildOack({ blksize: 1024 }), 0.01);
    sim.tftp(C, tid, buildAck(0), 0.02);
    for (const t of [0.03, 1, 2, 4]) sim.tftp(tid, C, buildData(1, new Uint8Array(1400)), t);
    const f = only(sim.finish({ end: 60 }), 'tftp.block-oversize');
    expect(f.severity).toBe('error');
    expect(f.message).toContain('1400 bytes');
    const fits = new Sim();
    tftpRead(fits, C, SERVER.addr, 'ipxe.efi', 3000, { t: 0, request: { blksize: 1024 }, oack: { blksize: 1024 } });
    expect(codes(fits.finish())).not.toContain('tftp.block-oversize');
  });
});

describe('HTTP and DHCPv6 findings', () => {
  it('http.error: 404, and a request with no response', () => {
    const sim = new Sim();
    sim.http({ addr: ADDR, port: 40000 }, { addr: SERVER.addr, port: 80 }, '/boot.ipxe', 404, 0, { t: 0, host: 'boot.example' });
    sim.http({ addr: ADDR, port: 40001 }, { addr: SERVER.addr, port: 8080 }, '/x', null, 0, { t: 1 });
    const a = sim.finish({ end: 10 });
    const fs = a.findings.filter((f) => f.code === 'http.error');
    codes(a);
    expect(fs.map((f) => f.message)).toEqual([
      'GET http://boot.example/boot.ipxe → HTTP 404.',
      `GET http://${SERVER.addr}:8080/x got no response in 9 s.`,
    ]);
  });

  const duid = { code: 1 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString(MAC) } };
  const cli: Endpoint = { addr: 'fe80::1:10', port: 546 };
  const all: Endpoint = { addr: 'ff02::1:2', port: 547 };

  it('dhcp6.no-advertise: SOLICIT unanswered', () => {
    const sim = new Sim();
    sim.dhcp6(cli, all, { msgType: 1, xid: 1, options: [duid, { code: 61, value: [7] }] }, 0);
    sim.dhcp6(cli, all, { msgType: 1, xid: 1, options: [duid, { code: 61, value: [7] }] }, 2);
    const a = sim.finish({ end: 6 });
    expect(a.clients[0]!.mac).toBe(MAC);
    expect(only(a, 'dhcp6.no-advertise').message).toContain('SOLICIT sent 2 time(s)');
  });

  it('dhcp6.no-bootfile-url: boot client (arch 61) answered without option 59', () => {
    const sim = new Sim();
    const sduid = { code: 2 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString('02:00:00:00:00:fe') } };
    sim.dhcp6(cli, all, { msgType: 1, xid: 1, options: [duid, { code: 61, value: [7] }] }, 0);
    sim.dhcp6({ addr: 'fe80::fe', port: 547 }, cli, { msgType: 2, xid: 1, options: [duid, sduid] }, 0.1);
    const f = only(sim.finish(), 'dhcp6.no-bootfile-url');
    expect(f.frames).toEqual([2]);
    // An OS client (no arch, no boot vendor class) is not expected to get one.
    const os = new Sim();
    os.dhcp6(cli, all, { msgType: 1, xid: 1, options: [duid] }, 0);
    os.dhcp6({ addr: 'fe80::fe', port: 547 }, cli, { msgType: 2, xid: 1, options: [duid, sduid] }, 0.1);
    expect(codes(os.finish())).toEqual([]);
  });
});

describe('IPv6 findings', () => {
  const V6MAC = '52:54:00:00:0e:f6';
  const cli: Endpoint = { addr: 'fe80::5054:ff:fe00:ef6', port: 546, mac: V6MAC };
  const all: Endpoint = { addr: 'ff02::1:2', port: 547, mac: '33:33:00:01:00:02' };
  const srv: Endpoint = { addr: 'fe80::1', port: 547, mac: ROUTER_MAC };
  const router2: Endpoint = { addr: 'fe80::2', port: 0, mac: '02:00:00:00:00:02' };
  const duid = { code: 1 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString(V6MAC) } };
  const sduid = { code: 2 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString(ROUTER_MAC) } };
  const arch = { code: 61 as const, value: [7] };
  const url = { code: 59 as const, value: 'tftp://[2001:db8:1::1]/snponly.efi' };
  const ia = (addr?: string) => ({ code: 3 as const, value: { iaid: 1, t1: 0, t2: 0, options: addr ? [{ code: 5 as const, value: { address: addr, preferred: 600, valid: 600, options: [] } }] : [] } });
  const noAddrs = { code: 13 as const, value: { status: 2, message: 'no addresses available' } };
  const ra = (sim: Sim, t: number, o: Parameters<typeof routerAdvert>[0] = {}, from: Endpoint = { ...srv, port: 0 }) => sim.ndp(from, ALL_NODES, routerAdvert(o), t);

  /** Solicit at t, Advertise after `delay`, Request/Reply, then the boot file over TFTP (unless `noBoot`). */
  function sarr(sim: Sim, t: number, o: { delay?: number; reply?: 'ok' | 'fail'; boot?: boolean } = {}): void {
    sim.dhcp6(cli, all, { msgType: 1, xid: 1, options: [duid, ia(), arch] }, t);
    sim.dhcp6(srv, cli, { msgType: 2, xid: 1, options: [duid, sduid, ia('2001:db8:1::100'), url] }, t + (o.delay ?? 0.01));
    sim.dhcp6(cli, all, { msgType: 3, xid: 2, options: [duid, sduid, ia('2001:db8:1::100'), arch] }, sim.now + 0.01);
    const fail = o.reply === 'fail';
    sim.dhcp6(srv, cli, { msgType: 7, xid: 2, options: fail ? [duid, sduid, noAddrs, url] : [duid, sduid, ia('2001:db8:1::100'), url] }, sim.now + 0.01);
    if (o.boot ?? !fail) tftpRead(sim, { addr: '2001:db8:1::100', port: 1500, mac: V6MAC }, '2001:db8:1::1', 'snponly.efi', 2000, { t: sim.now + 0.1 });
  }

  it('dhcp6.status-error: a Reply with NoAddrsAvail (and its retransmissions) fails the step', () => {
    const sim = new Sim();
    ra(sim, 0);
    sarr(sim, 0.1, { reply: 'fail' });
    sim.dhcp6(cli, all, { msgType: 3, xid: 2, options: [duid, sduid, ia('2001:db8:1::100'), arch] }, 2);
    sim.dhcp6(srv, cli, { msgType: 7, xid: 2, options: [duid, sduid, noAddrs, url] }, 2.01);
    const a = sim.finish();
    const f = only(a, 'dhcp6.status-error');
    expect(f.client).toBe(V6MAC);
    expect(f.message).toContain('NoAddrsAvail ("no addresses available")');
    expect(f.message).toContain('again 1 time(s)');
    expect(f.frames).toEqual([5, 7]);
    expect(codes(a)).not.toContain('ipv6.boot-stall');
    // A later successful Reply clears it; a Reply to a Release is not checked.
    const ok = new Sim();
    ra(ok, 0);
    sarr(ok, 0.1);
    ok.dhcp6(cli, all, { msgType: 8, xid: 3, options: [duid, sduid, ia('2001:db8:1::100')] }, 1);
    ok.dhcp6(srv, cli, { msgType: 7, xid: 3, options: [duid, sduid, { code: 13, value: { status: 3, message: 'no binding' } }] }, 1.01);
    expect(codes(ok.finish())).toEqual([]);
  });

  it('dhcp6.slow-advertise: Advertise 2.5 s after the Solicit; not at 0.3 s', () => {
    const slow = new Sim();
    ra(slow, 0);
    sarr(slow, 0.1, { delay: 2.5 });
    const f = only(slow.finish(), 'dhcp6.slow-advertise');
    expect(f.message).toContain('came 2.5 s after the first SOLICIT (threshold 1 s)');
    const fast = new Sim();
    ra(fast, 0);
    sarr(fast, 0.1, { delay: 0.3 });
    expect(codes(fast.finish())).toEqual([]);
    const lenient = new Sim({ thresholds: { slowAdvertise: 3 } });
    ra(lenient, 0);
    sarr(lenient, 0.1, { delay: 2.5 });
    expect(codes(lenient.finish())).toEqual([]);
  });

  it('ra.missing-managed-flag: DHCPv6 answers but RAs say M=0, or no RA at all; not with M=1', () => {
    const m0 = new Sim();
    ra(m0, 0, { managed: false, other: false });
    sarr(m0, 0.1);
    const f = only(m0.finish(), 'ra.missing-managed-flag');
    expect(f.client).toBeNull();
    expect(f.message).toContain('every router advertisement says M=0 (fe80::1: M=0 O=0)');
    const none = new Sim();
    sarr(none, 0.1);
    expect(only(none.finish({ end: 10 }), 'ra.missing-managed-flag').message).toContain('No router advertisement seen');
    // ... but a capture that stops 1 s after the first Solicit cannot tell.
    const cut = new Sim();
    sarr(cut, 0.1);
    expect(codes(cut.finish({ end: 1.1 }))).toEqual([]);
    const m1 = new Sim();
    ra(m1, 0, { managed: true });
    sarr(m1, 0.1);
    expect(codes(m1.finish())).toEqual([]);
  });

  it('ra.conflict: two routers differ, or one flips M/O; identical routers are fine', () => {
    const two = new Sim();
    ra(two, 0, { managed: true });
    ra(two, 0.5, { managed: false, prefixes: [{ prefix: '2001:db8:2::' }] }, router2);
    sarr(two, 1);
    const f = only(two.finish(), 'ra.conflict');
    expect(f.message).toContain('Routers fe80::1 (02:00:00:00:00:01) and fe80::2 (02:00:00:00:00:02) advertise differently: M=1 O=1 vs M=0 O=1; prefixes 2001:db8:1::/64 vs 2001:db8:2::/64');
    const flap = new Sim();
    ra(flap, 0, { managed: true });
    ra(flap, 3, { managed: false });
    ra(flap, 6, { managed: true });
    sarr(flap, 7);
    expect(only(flap.finish(), 'ra.conflict').message).toContain('flips its flags (RA flapping): M=1 O=1 ↔ M=0 O=1');
    const same = new Sim();
    ra(same, 0);
    ra(same, 0.5, {}, router2);
    ra(same, 3);
    sarr(same, 1);
    const a = same.finish();
    expect(codes(a)).toEqual([]);
    expect(a.routers!.map((r) => [r.address, r.adverts.length, r.adverts[0]!.count])).toEqual([['fe80::1', 1, 2], ['fe80::2', 1, 1]]);
  });

  it('ipv6.boot-stall: fallback to DHCPv4 after 15 s (warning), no boot at all (error), booted over IPv6 (none)', () => {
    const fallback = new Sim();
    ra(fallback, 0);
    fallback.dhcp6(cli, all, { msgType: 1, xid: 1, options: [duid, ia(), arch] }, 0.1);
    fallback.dhcp6(cli, all, { msgType: 1, xid: 1, options: [duid, ia(), arch] }, 8);
    dora(fallback, { xid: 5, mac: V6MAC, yiaddr: ADDR, t: 15.1, client: pxeOptions(7), file: 'ipxe.efi', siaddr: SERVER.addr });
    const a = fallback.finish();
    // The stall is what the missing DHCPv6 server cost: a consequence of it.
    const f = only(a, 'ipv6.boot-stall', 'info');
    expect(f.message).toContain('spent 15 s on IPv6 (from its first SOLICIT) without a boot program before falling back to DHCPv4 (threshold 10 s)');
    const cause = a.findings.find((x) => x.code === 'dhcp6.no-advertise')!;
    expect(f.causedBy).toBe(cause.id);

    const stuck = new Sim();
    ra(stuck, 0);
    sarr(stuck, 0.1, { reply: 'fail' });
    for (let t = 2; t < 40; t += 8) stuck.dhcp6(cli, all, { msgType: 3, xid: 2, options: [duid, sduid, ia('2001:db8:1::100'), arch] }, t);
    const stuckA = stuck.finish();
    const s = stuckA.findings.filter((x) => x.code === 'ipv6.boot-stall');
    // An error when it never booted, and the consequence of the status error that caused it.
    const status = stuckA.findings.find((x) => x.code === 'dhcp6.status-error')!;
    expect(status.severity).toBe('error');
    expect(s.map((x) => [x.severity, x.causedBy])).toEqual([['info', status.id]]);
    expect(s[0]!.message).toContain('without loading a boot program over IPv6 and without falling back to IPv4');

    const quick = new Sim();
    ra(quick, 0);
    sarr(quick, 0.1);
    dora(quick, { xid: 6, mac: V6MAC, yiaddr: ADDR, t: 30, client: ipxeOptions(7), file: 'http://x/boot.ipxe' });
    expect(codes(quick.finish())).not.toContain('ipv6.boot-stall');
    const short = new Sim({ thresholds: { ipv6Stall: 20 } });
    ra(short, 0);
    short.dhcp6(cli, all, { msgType: 1, xid: 1, options: [duid, ia(), arch] }, 0.1);
    dora(short, { xid: 5, mac: V6MAC, yiaddr: ADDR, t: 15.1, client: pxeOptions(7), file: 'ipxe.efi', siaddr: SERVER.addr });
    expect(codes(short.finish())).not.toContain('ipv6.boot-stall');
  });
  it('httpboot.offer-ignored over DHCPv6: an HTTPClient answered without option 16 "HTTPClient" never fetches the URL', () => {
    const httpVc = { code: 16 as const, value: { enterprise: 343, data: [new TextEncoder().encode('HTTPClient:Arch:00016:UNDI:003000')] } };
    const httpUrl = { code: 59 as const, value: 'http://[2001:db8:1::1]/snponly.efi' };
    const answer = (sim: Sim, serverVc: typeof httpVc | null, fetch: boolean): void => {
      sim.dhcp6(cli, all, { msgType: 1, xid: 9, options: [duid, ia(), { code: 61, value: [16] }, httpVc] }, 0);
      sim.dhcp6(srv, cli, { msgType: 2, xid: 9, options: [duid, sduid, ia('2001:db8:1::100'), httpUrl, ...(serverVc ? [serverVc] : [])] }, 0.01);
      if (fetch) {
        sim.dhcp6(cli, all, { msgType: 3, xid: 10, options: [duid, sduid, ia('2001:db8:1::100'), httpVc] }, 1.1);
        sim.dhcp6(srv, cli, { msgType: 7, xid: 10, options: [duid, sduid, ia('2001:db8:1::100'), httpUrl, ...(serverVc ? [serverVc] : [])] }, 1.11);
      }
    };
    const bare = new Sim();
    answer(bare, null, false);
    const f = only(bare.finish({ end: 10 }), 'httpboot.offer-ignored');
    expect(f.client).toBe(V6MAC);
    expect(f.message).toContain('offered http://[2001:db8:1::1]/snponly.efi over DHCPv6 but never fetched it: it has no vendor class (option 16)');
    expect(f.frames).toEqual([2]);
    // With "HTTPClient" in option 16 the same silence is not this finding.
    const good = new Sim();
    answer(good, { code: 16, value: { enterprise: 343, data: [new TextEncoder().encode('HTTPClient')] } }, true);
    const a = good.finish({ end: 10 });
    expect(codes(a)).not.toContain('httpboot.offer-ignored');
    expect(a.clients[0]!.steps.find((x) => x.kind === 'dhcp6')).toMatchObject({ serverVendorClass: 'HTTPClient' });
  });

  it('dhcp.no-offer is a warning when the client went on over DHCPv6, an error when not', () => {
    const both = new Sim();
    // iPXE tries DHCPv4 and DHCPv6 in one go.
    both.dhcp4({ addr: '0.0.0.0', port: 68, mac: V6MAC }, DHCP_BCAST, { xid: 77, chaddr: V6MAC, options: [{ code: 53, value: 'DISCOVER' }, ...ipxeOptions(7)] }, 0);
    ra(both, 5);
    sarr(both, 5.1);
    // Not only(): it holds a finding to its catalogue severity, and this one is lowered on purpose.
    const found = both.finish({ end: 20 }).findings.filter((f) => f.code === 'dhcp.no-offer');
    expect(found).toHaveLength(1);
    const warn = found[0]!;
    expect(warn.severity).toBe('warning');
    expect(warn.hint).toContain('IPv6-only segment');
    expect(warn.message).toContain('The client went on over DHCPv6 5.1 s later: the DHCPv4 attempt only cost time.');
    const v4only = new Sim();
    v4only.dhcp4({ addr: '0.0.0.0', port: 68, mac: V6MAC }, DHCP_BCAST, { xid: 77, chaddr: V6MAC, options: [{ code: 53, value: 'DISCOVER' }, ...ipxeOptions(7)] }, 0);
    expect(only(v4only.finish({ end: 20 }), 'dhcp.no-offer').severity).toBe('error');
  });
});

describe('network findings', () => {
  it('net.port-unreachable: the TFTP server answers the RRQ with ICMP port unreachable; no tftp.error on top', () => {
    const sim = new Sim();
    const c: Endpoint = { addr: ADDR, port: 2000 };
    const rrq = buildRrq('pxelinux.0');
    sim.tftp(c, { addr: SERVER.addr, port: 69 }, rrq, 0);
    icmpUnreachable(sim, SERVER.addr, c, { addr: SERVER.addr, port: 69 }, rrq, 3, 0.01);
    const a = sim.finish({ end: 10 });
    const f = only(a, 'net.port-unreachable');
    expect(f).toMatchObject({ frames: [1, 2], client: `ip:${ADDR}` });
    expect(f.message).toContain(`TFTP server ${SERVER.addr} is not listening on UDP 69`);
    expect(codes(a)).toEqual(['net.port-unreachable']);
  });

});

describe('capture findings', () => {
  it('decode.malformed: grouped per client, and one capture-wide group', () => {
    const sim = new Sim();
    const issue = { kind: 'truncated' as const, layer: 'ipv4', offset: 14, message: 'header cut short' };
    sim.undecoded([issue], 0);
    sim.undecoded([issue], 1);
    sim.undecoded([{ kind: 'unsupported', layer: 'ethernet', offset: 12, message: 'ethertype 0x88cc' }], 1.5);
    dora(sim, { xid: 50, mac: MAC, yiaddr: ADDR, t: 2, until: 'discover' });
    sim.dhcp4(CLI0, DHCP_BCAST, discover(50, []), 2.5, [{ kind: 'malformed', layer: 'dhcp4', offset: 300, message: 'option 12 runs past the end' }]);
    const a = sim.finish();
    const fs = a.findings.filter((f) => f.code === 'decode.malformed');
    codes(a);
    expect(fs.map((f) => [f.client, f.frames])).toEqual([[null, [1, 2]], [MAC, [5]]]);
    expect(fs[0]!.message).toContain('2 frame(s)');
    expect(fs[1]!.message).toContain('option 12 runs past the end');
  });

  it('capture.truncated', () => {
    const sim = new Sim();
    dora(sim, { xid: 60, mac: MAC, yiaddr: ADDR, t: 0 });
    const f = only(sim.finish({ truncated: true }), 'capture.truncated');
    expect(f.client).toBeNull();
    expect(f.message).toContain('record cut short');
  });

  it('capture.corrupt, capture.unsupported-link, capture.unsupported: one finding per kind of reader warning', () => {
    const sim = new Sim();
    dora(sim, { xid: 61, mac: MAC, yiaddr: ADDR, t: 0 });
    const a = sim.finish({
      warnings: [
        { kind: 'malformed', layer: 'pcap', offset: 104, message: 'record 3 claims 2147483647 captured bytes' },
        { kind: 'malformed', layer: 'pcapng', offset: 300, message: 'frame 9 refers to interface 4, which is not described' },
        { kind: 'unsupported', layer: 'link', offset: 20, message: 'link type 9999 is not one pxecheck decodes' },
        { kind: 'unsupported', layer: 'pcapng', offset: 400, message: 'skipped block(s) of unknown type 0x99' },
      ],
    });
    const corrupt = only(a, 'capture.corrupt');
    expect(corrupt).toMatchObject({ client: null, severity: 'error' });
    expect(corrupt.message).toContain('at byte 104');
    expect(corrupt.message).toContain('interface 4');
    expect(only(a, 'capture.unsupported-link').message).toContain('9999');
    expect(only(a, 'capture.unsupported').severity).toBe('info');
  });

  it('sorts findings by time', () => {
    const sim = new Sim();
    dora(sim, { xid: 70, mac: MAC, yiaddr: ADDR, t: 0, offerDelay: 2, client: pxeOptions(7), file: 'undionly.kpxe' });
    sim.tftp({ addr: ADDR, port: 2000 }, { addr: SERVER.addr, port: 69 }, buildRrq('undionly.kpxe'), 3);
    sim.tftp({ addr: SERVER.addr, port: 51000 }, { addr: ADDR, port: 2000 }, buildError(1, 'nope'), 3.1);
    const a = sim.finish();
    expect(codes(a)).toEqual(['dhcp.slow-offer', 'pxe.arch-mismatch', 'tftp.error']);
    const times = a.findings.map((f) => f.time!);
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });
});

describe('blind spots of the capture (src/analysis/blind-spots.test.ts has them on real captures)', () => {
  const TFTP_SERVER: Endpoint = { addr: SERVER.addr, port: 69 };
  const request = (xid: number) => ({ xid, chaddr: MAC, options: [{ code: 53, value: 'REQUEST' }, { code: 54, value: SERVER.addr }, { code: 50, value: ADDR }, ...pxeOptions(7)] });
  /** The client's side only: DISCOVER, the REQUEST that names the server of an OFFER not in the
   *  capture, then an RRQ from the address of an ACK not in the capture (its own MAC on it). */
  function clientSide(sim: Sim): void {
    sim.dhcp4(CLI0, DHCP_BCAST, discover(7), 0);
    sim.dhcp4(CLI0, DHCP_BCAST, request(7), 1);
    for (const t of [2, 3, 5]) sim.tftp({ addr: ADDR, port: 2001, mac: MAC }, TFTP_SERVER, buildRrq('snponly.efi', 'octet', []), t);
    sim.dhcp4(CLI0, DHCP_BCAST, discover(8), 40);
  }

  it('capture.one-sided: a client acting on answers the capture does not hold is one device, unjudged, with no error', () => {
    const sim = new Sim();
    clientSide(sim);
    const a = sim.finish();
    expect(a.clients.map((c) => c.mac)).toEqual([MAC]);
    expect(a.clients[0]).toMatchObject({ outcome: 'incomplete', blindSpot: 'capture.one-sided' });
    // What the client did is still seen (its RRQ resent); nothing is judged on what it did not get.
    expect(codes(a).sort()).toEqual(['capture.one-sided', 'tftp.retransmit']);
    expect(a.findings.filter((x) => x.severity === 'error')).toEqual([]);
    const f = only(a, 'capture.one-sided');
    expect(f.client).toBeNull();
    expect(f.message).toContain(`address ${ADDR} and server ${SERVER.addr}`);
    expect(f.message).toContain('6 requests and no answer from any server');
    expect(f.frames).toEqual([2, 3]);
  });

  it('capture.one-sided: only the servers\' answers to a device (a boot file among them)', () => {
    const sim = new Sim();
    dora(sim, { xid: 9, mac: MAC, yiaddr: ADDR, t: 0, file: 'ipxe.efi', client: pxeOptions(7) });
    // Keep the answers only: a fresh builder fed the same answers without the client's messages.
    const answers = new Sim();
    const to = { addr: ADDR, port: 68, mac: MAC };
    for (const type of ['OFFER', 'ACK']) {
      answers.dhcp4(SERVER, to, { op: 2, xid: 9, chaddr: MAC, yiaddr: ADDR, file: 'ipxe.efi', options: [{ code: 53, value: type }, { code: 54, value: SERVER.addr }] }, 1);
    }
    const a = answers.finish({ end: 60 });
    expect(a.clients).toHaveLength(1);
    expect(a.clients[0]).toMatchObject({ role: 'boot', outcome: 'incomplete', blindSpot: 'capture.one-sided' });
    expect(only(a, 'capture.one-sided').message).toContain('2 answers from servers and sent no request');
    expect(codes(sim.finish())).not.toContain('capture.one-sided');
  });

  it('no blind spot for a client a silent server leaves retrying, nor for a stray RRQ from another MAC', () => {
    const sim = new Sim();
    for (const t of [0, 4, 8]) sim.dhcp4(CLI0, DHCP_BCAST, discover(1), t);
    sim.tftp({ addr: ADDR, port: 2001, mac: '52:54:00:00:00:99' }, TFTP_SERVER, buildRrq('snponly.efi', 'octet', []), 9);
    const a = sim.finish({ end: 30 });
    expect(a.clients.map((c) => c.mac).sort()).toEqual([MAC, `ip:${ADDR}`].sort());
    expect(codes(a)).not.toContain('capture.one-sided');
    expect(a.clients.find((c) => c.mac === MAC)).toMatchObject({ outcome: 'failed', rootCause: 'dhcp.no-offer' });
    // A REQUEST naming its server with no DISCOVER before it (INIT-REBOOT, a client that remembers
    // its lease) proves no OFFER: unanswered, it stays dhcp.no-ack.
    const reboot = new Sim();
    for (const t of [0, 4, 8]) reboot.dhcp4(CLI0, DHCP_BCAST, request(4), t);
    const r = reboot.finish({ end: 30 });
    expect(codes(r)).toContain('dhcp.no-ack');
    expect(codes(r)).not.toContain('capture.one-sided');
  });

  it('a router\'s own DHCP client does not absorb the routed clients behind it, nor DHCPv4 an IPv6 address; a claimed address proves no unseen answer', () => {
    // On the server side of a router every routed client's packets carry the router's MAC; the
    // router runs a DHCP client of its own that nobody answers (no boot identity).
    const ROUTER = '02:00:00:00:00:01';
    const router = new Sim();
    for (const t of [0, 4]) router.dhcp4({ addr: '0.0.0.0', port: 68, mac: ROUTER }, DHCP_BCAST, { xid: 5, chaddr: ROUTER, options: [{ code: 53, value: 'DISCOVER' }] }, t);
    for (const t of [5, 6, 8]) router.tftp({ addr: '10.9.0.6', port: 2001, mac: ROUTER }, TFTP_SERVER, buildRrq('pxelinux.0', 'octet', []), t);
    const r = router.finish({ end: 40 });
    expect(r.clients.map((c) => c.mac).sort()).toEqual([ROUTER, 'ip:10.9.0.6'].sort());
    expect(codes(r)).not.toContain('capture.one-sided');
    expect(r.clients.find((c) => c.mac === 'ip:10.9.0.6')).toMatchObject({ outcome: 'failed', rootCause: 'tftp.timeout' });
    // Nor an address of the other family: the boot client's DHCPv4 does not take an IPv6 address.
    const other = new Sim();
    clientSide(other);
    for (const t of [6, 7]) other.tftp({ addr: '2001:db8::111', port: 2002, mac: MAC }, { addr: '2001:db8::1', port: 69 }, buildRrq('snponly.efi', 'octet', []), t);
    expect(other.finish().clients.map((c) => c.mac).sort()).toEqual([MAC, 'ip:2001:db8::111'].sort());
    // INIT-REBOOT: the client claims its old address (option 50, no server id) and uses it
    // unanswered (RFC 2131 §3.2) — a silent server, not a one-sided capture.
    const reboot = new Sim();
    const initReboot = { xid: 6, chaddr: MAC, options: [{ code: 53, value: 'REQUEST' }, { code: 50, value: ADDR }, ...pxeOptions(7)] };
    for (const t of [0, 4]) reboot.dhcp4(CLI0, DHCP_BCAST, initReboot, t);
    for (const t of [8, 9, 11]) reboot.tftp({ addr: ADDR, port: 2001, mac: MAC }, TFTP_SERVER, buildRrq('snponly.efi', 'octet', []), t);
    const b = reboot.finish({ end: 40 });
    expect(codes(b)).not.toContain('capture.one-sided');
    expect(codes(b)).toEqual(expect.arrayContaining(['dhcp.no-ack', 'tftp.timeout']));
    expect(b.clients.every((c) => c.blindSpot === undefined)).toBe(true);
  });

  /** A UEFI PXE DORA whose DHCP frames the capture cut to `snap(whole length)` bytes (the NAK, a
   *  short frame, whole), then the TFTP read that ends in ERROR 1 unless the server NAKed. */
  function cutBoot(snap: (frame: number) => number, end: 'ack' | 'nak'): Analysis {
    const sim = new Sim();
    // The identity first (53, 93, 60), then what a cut of the last bytes takes (55, 97).
    const client = [...pxeOptions(7), { code: 55, data: Uint8Array.of(1, 3, 6, 66, 67) }, { code: 97, data: new Uint8Array(17) }];
    const srv = { ...SERVER };
    const to = { addr: '255.255.255.255', port: 68 };
    const reply = (type: string) => ({ op: 2, xid: 9, chaddr: MAC, yiaddr: type === 'NAK' ? undefined : ADDR, options: [{ code: 53, value: type }, { code: 54, value: SERVER.addr }, ...(type === 'NAK' ? [] : [{ code: 51, value: 600 }, { code: 67, value: 'snponly.efi' }, { code: 3, value: [SERVER.addr] }])] });
    const request = (type: string) => ({ xid: 9, chaddr: MAC, options: [{ code: 53, value: type }, ...(type === 'REQUEST' ? [{ code: 54, value: SERVER.addr }, { code: 50, value: ADDR }] : []), ...client] });
    const cut = (from: Endpoint, dst: Endpoint, input: Parameters<Sim['dhcp4']>[2], t: number) => sim.dhcp4Cut(from, dst, input, snap, t);
    cut(CLI0, DHCP_BCAST, request('DISCOVER'), 0);
    cut(srv, to, reply('OFFER'), 0.01);
    cut(CLI0, DHCP_BCAST, request('REQUEST'), 0.02);
    if (end === 'nak') {
      sim.dhcp4(srv, to, reply('NAK'), 0.03);
      return sim.finish({ end: 60 });
    }
    cut(srv, to, reply('ACK'), 0.03);
    const C: Endpoint = { addr: ADDR, port: 2000, mac: MAC };
    sim.tftp(C, { addr: SERVER.addr, port: 69 }, buildRrq('snponly.efi', 'octet', []), 1);
    sim.tftp({ addr: SERVER.addr, port: 51000 }, C, buildError(1, 'File not found'), 1.01);
    return sim.finish({ end: 60 });
  }

  it('an explicit failure seen whole (TFTP ERROR, NAK) stays failed when the cut left the requests\' identity; a cut that took it leaves the boot unjudged', () => {
    // The last bytes of each DHCP frame cut (options after 53/93/60 survive): still judged.
    for (const end of ['ack', 'nak'] as const) {
      const a = cutBoot(() => 1000, end);
      const tail = cutBoot((n) => n - 12, end);
      const whole = a.clients[0]!;
      expect(whole).toMatchObject({ outcome: 'failed', rootCause: end === 'ack' ? 'tftp.error' : 'dhcp.nak' });
      expect(tail.clients[0]).toMatchObject({ outcome: 'failed', rootCause: whole.rootCause });
      expect(tail.clients[0]!.blindSpot).toBeUndefined();
      expect(codes(tail)).toContain('capture.snaplen');
      // Snap 96: message type, arch and vendor class gone, the stage and the attempts unknown.
      const s96 = cutBoot(() => 96, end);
      expect(s96.clients[0]).toMatchObject({ outcome: 'incomplete', blindSpot: 'capture.snaplen' });
    }
  });

  it('capture.snaplen: frames cut by the snap length, named once; no decode.malformed for the cut; the device is unjudged', () => {
    const sim = new Sim();
    sim.dhcp4Cut(CLI0, DHCP_BCAST, discover(3), 96, 0);
    sim.tftp({ addr: ADDR, port: 2001, mac: MAC }, { addr: SERVER.addr, port: 69 }, buildRrq('snponly.efi', 'octet', []), 1);
    const a = sim.finish({ end: 60 });
    const f = only(a, 'capture.snaplen');
    expect(f.client).toBeNull();
    expect(f.message).toContain('cut to 96 bytes');
    expect(f.message).toContain('DHCP options are not in the capture');
    expect(codes(a)).not.toContain('decode.malformed');
  });
});

/** Codes whose firing sequences live in src/analysis/engine.test.ts (they need whole attempts),
 *  in test/hostile/ (capture.limit and capture.clock-jump: they need a whole capture), in
 *  src/decode/duplicate-frames.test.ts (capture.duplicate-frames: a capture recorded twice), in
 *  test/capture/remote-mirror.test.ts (capture.remote-mirror: frames inside tunnels) or in
 *  src/findings/rules-mtu.test.ts (the net.* MTU codes: they need IP fragments and TCP segments) or
 *  src/findings/arp-unanswered.test.ts (net.arp-unanswered: it needs ARP frames). */
const FIRED_ELSEWHERE: ReadonlySet<FindingCode> = new Set<FindingCode>([
  'dhcp.decline', 'tftp.no-new-tid', 'boot.stopped', 'proxydhcp.reply-wrong-port', 'capture.limit', 'capture.clock-jump',
  'capture.duplicate-frames', 'capture.remote-mirror',
  'net.fragments-lost', 'net.packet-too-big', 'net.pmtu-blackhole', 'net.arp-unanswered',
]);

afterAll(() => {
  // Every catalogue code has a firing sequence above (or in the engine tests).
  expect([...CATALOGUE.keys()].filter((c) => !fired.has(c) && !FIRED_ELSEWHERE.has(c))).toEqual([]);
});
