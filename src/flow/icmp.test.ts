import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { buildAck, buildData, buildRrq } from '../wire/tftp.js';
import { buildDhcpV4, emitDhcpV4 } from '../wire/dhcpv4/index.js';
import { Sim, dora, pxeOptions, SERVER, type Endpoint } from './sim.test-kit.js';
import { icmpUnreachable } from './icmp.test-kit.js';
import { analyzeCapture } from '../analysis/capture.js';
import type { TftpStep, ProxyDhcpStep } from './types.js';
import { ROOT } from '../../test/helpers/fixtures.js';

const MAC = '52:54:00:00:0e:f1';
const CLIENT: Endpoint = { addr: '198.51.100.150', port: 1062, mac: MAC };
const ROGUE = '198.51.100.2';

describe('net.port-unreachable', () => {
  it('a TFTP RRQ answered with ICMP port unreachable: error on that client, TFTP step failed', () => {
    const sim = new Sim();
    dora(sim, { xid: 0x98d86af5, mac: MAC, yiaddr: CLIENT.addr, t: 0, client: pxeOptions(7), serverAddr: ROGUE, file: 'other.efi', siaddr: ROGUE });
    const rrq = buildRrq('other.efi', 'octet', { tsize: 0, blksize: 1468 });
    sim.tftp(CLIENT, { addr: ROGUE, port: 69 }, rrq, 1);
    const rrqFrame = sim.frame;
    icmpUnreachable(sim, ROGUE, CLIENT, { addr: ROGUE, port: 69 }, rrq, 3, 1.0001);
    const a = sim.finish({ end: 20 });
    const f = a.findings.filter((x) => x.code === 'net.port-unreachable');
    expect(f).toEqual([expect.objectContaining({ severity: 'error', client: MAC, frames: [rrqFrame, rrqFrame + 1] })]);
    expect(f[0]!.message).toBe(`TFTP server ${ROGUE} is not listening on UDP 69 (ICMP port unreachable, frame ${rrqFrame + 1}): RRQ "other.efi" (frame ${rrqFrame}) failed.`);
    expect(f[0]!.hint).toMatch(/^Nothing listens on that port at that address: check next-server\/option 66/);
    const step = a.clients[0]!.steps.find((s): s is TftpStep => s.kind === 'tftp')!;
    expect(step).toMatchObject({ ok: false, complete: false, error: null, unreachable: `ICMP port unreachable from ${ROGUE}` });
    expect(step.frames).toEqual([rrqFrame, rrqFrame + 1]);
    // The ICMP error says it all: no tftp.error / tftp.timeout on top, and the client did not boot.
    expect(a.findings.map((x) => x.code)).toEqual(['net.port-unreachable']);
    expect(a.clients[0]!.booted).toBe(false);
    expect(a.summary).toMatchObject({ errors: 1, failed: 1 });
  });

  it('an ACK to a TFTP server that went away: the transfer is aborted', () => {
    const sim = new Sim();
    dora(sim, { xid: 1, mac: MAC, yiaddr: CLIENT.addr, t: 0, client: pxeOptions(7), file: 'ipxe.efi', siaddr: SERVER.addr });
    sim.tftp(CLIENT, { addr: SERVER.addr, port: 69 }, buildRrq('ipxe.efi', 'octet'), 1);
    const tid: Endpoint = { addr: SERVER.addr, port: 50001 };
    sim.tftp(tid, CLIENT, buildData(1, new Uint8Array(512)), 1.01);
    const ack = buildAck(1);
    sim.tftp(CLIENT, tid, ack, 1.02);
    icmpUnreachable(sim, SERVER.addr, CLIENT, tid, ack, 3, 1.03);
    const a = sim.finish({ end: 30 });
    const f = a.findings.find((x) => x.code === 'net.port-unreachable')!;
    expect(f.message).toBe(`TFTP server ${SERVER.addr} is not listening on transfer port UDP 50001 (ICMP port unreachable, frame ${sim.frame}): the transfer of "ipxe.efi" was aborted.`);
    expect(a.findings.map((x) => x.code)).not.toContain('tftp.timeout');
    expect(a.clients[0]!.steps.find((s) => s.kind === 'tftp')!.ok).toBe(false);
  });

  it('proxyDHCP not running: REQUEST to 4011 refused replaces proxydhcp.no-reply, with the PXE error of the firmware', () => {
    const sim = new Sim();
    dora(sim, { xid: 2, mac: MAC, yiaddr: CLIENT.addr, t: 0, client: pxeOptions(7) });
    const boot: Endpoint = { addr: '198.51.100.9', port: 4011 };
    const c4011: Endpoint = { addr: CLIENT.addr, port: 4011, mac: MAC };
    const input = { xid: 3, chaddr: MAC, ciaddr: CLIENT.addr, options: [{ code: 53, value: 'REQUEST' }, ...pxeOptions(7)] };
    const req = emitDhcpV4(buildDhcpV4(input));
    sim.dhcp4(c4011, boot, input, 1);
    const reqFrame = sim.frame;
    icmpUnreachable(sim, boot.addr, c4011, boot, req, 3, 1.001);
    const a = sim.finish({ end: 30 });
    const codes = a.findings.map((x) => x.code);
    expect(codes).toContain('net.port-unreachable');
    expect(codes).not.toContain('proxydhcp.no-reply');
    const f = a.findings.find((x) => x.code === 'net.port-unreachable')!;
    expect(f.client).toBe(MAC);
    expect(f.message).toBe(`proxyDHCP server 198.51.100.9 is not listening on UDP 4011 (ICMP port unreachable, frame ${reqFrame + 1}): the boot server does not run proxyDHCP, REQUEST (frame ${reqFrame}) unanswered.`);
    // UEFI (EDK2) times out on it: PXE-E18 (a BIOS PXE ROM shows PXE-E55).
    expect(f.pxeError).toBe('PXE-E18');
    expect(f.hint).toMatch(/UDP 4011/);
    expect(a.clients[0]!.steps.find((s): s is ProxyDhcpStep => s.kind === 'proxydhcp')!.ok).toBe(false);
  });

  it('a firewall refusing (admin prohibited) is named as the reporter; unrelated UDP is ignored', () => {
    const sim = new Sim();
    dora(sim, { xid: 4, mac: MAC, yiaddr: CLIENT.addr, t: 0, client: pxeOptions(7), file: 'ipxe.efi', siaddr: SERVER.addr });
    const rrq = buildRrq('ipxe.efi', 'octet');
    sim.tftp(CLIENT, { addr: SERVER.addr, port: 69 }, rrq, 1);
    icmpUnreachable(sim, '198.51.100.254', CLIENT, { addr: SERVER.addr, port: 69 }, rrq, 13, 1.01);
    // DNS refused: not part of the boot chain, no finding.
    icmpUnreachable(sim, '198.51.100.53', { addr: CLIENT.addr, port: 5353 }, { addr: '198.51.100.53', port: 53 }, new Uint8Array(12), 3, 1.02);
    const a = sim.finish({ end: 2 });
    const f = a.findings.filter((x) => x.code === 'net.port-unreachable');
    expect(f.map((x) => x.message)).toEqual([
      `TFTP request to ${SERVER.addr} (UDP 69) refused: ICMP communication administratively prohibited from 198.51.100.254 (frame ${sim.frame - 1}): RRQ "ipxe.efi" (frame ${sim.frame - 2}) failed.`,
    ]);
    expect(a.clients.map((c) => c.mac)).toEqual([MAC]);
  });

  it('codes that do not mean "nothing listens" (fragmentation needed) raise nothing', () => {
    const sim = new Sim();
    dora(sim, { xid: 5, mac: MAC, yiaddr: CLIENT.addr, t: 0, client: pxeOptions(7), file: 'ipxe.efi', siaddr: SERVER.addr });
    const rrq = buildRrq('ipxe.efi', 'octet');
    sim.tftp(CLIENT, { addr: SERVER.addr, port: 69 }, rrq, 1);
    icmpUnreachable(sim, SERVER.addr, CLIENT, { addr: SERVER.addr, port: 69 }, rrq, 4, 1.01);
    const a = sim.finish({ end: 2 });
    expect(a.findings.map((x) => x.code)).not.toContain('net.port-unreachable');
  });
});

describe('net.port-unreachable on the real capture', () => {
  it('broken-two-dhcp-servers: the rogue server does not listen on TFTP (frame 22), beside dhcp.multiple-servers', async () => {
    const a = await analyzeCapture(join(ROOT, 'captures/lab/broken-two-dhcp-servers.pcapng'));
    expect(a.findings.map((f) => [f.code, f.severity])).toEqual([
      ['dhcp.multiple-servers', 'warning'],
      ['net.port-unreachable', 'error'],
    ]);
    const f = a.findings[1]!;
    expect(f).toMatchObject({ client: MAC, frames: [21, 22] });
    expect(f.message).toBe('TFTP server 198.51.100.2 is not listening on UDP 69 (ICMP port unreachable, frame 22): RRQ "other.efi" (frame 21) failed.');
    const step = a.clients[0]!.steps.find((s): s is TftpStep => s.kind === 'tftp')!;
    expect(step).toMatchObject({ ok: false, frames: [21, 22], error: null, unreachable: 'ICMP port unreachable from 198.51.100.2' });
    expect(a.summary.errors).toBe(1);
    // OVMF printed PXE-E99 on its console (captures/lab/configs/broken-two-dhcp-servers/serial.log).
    expect(a.clients[0]).toMatchObject({ outcome: 'failed', rootCause: 'net.port-unreachable' });
    expect(f.pxeError).toBe('PXE-E99');
  });
});
