/**
 * The analysis engine on the shapes real networks show (each a defect seen on field captures):
 * roles, boot attempts, outcomes, root causes and their consequences, evidence frames. Traffic
 * from the real wire encoders through the real builder (see flow/sim.test-kit).
 */
import { describe, expect, it } from 'vitest';
import { buildAck, buildData, buildError, buildRrq, emitTftp, TFTP_OPCODES } from '../wire/tftp.js';
import { macFromString } from '../wire/bytes.js';
import { Sim, dora, ipxeOptions, pxeOptions, tftpRead, SERVER, type Endpoint } from '../flow/sim.test-kit.js';
import { icmpUnreachable } from '../flow/icmp.test-kit.js';
import type { Analysis } from './types.js';

const MAC = '52:54:00:ab:cd:07';
const ADDR = '198.51.100.120';
const PROXY = '198.51.100.5';
const CLIENT: Endpoint = { addr: ADDR, port: 68, mac: MAC };

const codes = (a: Analysis): string[] => a.findings.map((f) => f.code);

describe('proxyDHCP answered from UDP 67', () => {
  function proxyBoot(answerPort: number): Analysis {
    const sim = new Sim();
    dora(sim, { xid: 0x11, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(7), server: [{ code: 6, value: ['198.51.100.1'] }] });
    // The client asks the boot server on 4011 (same xid), which answers from `answerPort`.
    sim.dhcp4({ addr: ADDR, port: 68, mac: MAC }, { addr: PROXY, port: 4011 }, {
      xid: 0x11, chaddr: MAC, ciaddr: ADDR, options: [{ code: 53, value: 'REQUEST' }, ...pxeOptions(7)],
    }, 1);
    sim.dhcp4({ addr: PROXY, port: answerPort }, { addr: ADDR, port: 68 }, {
      xid: 0x11, chaddr: MAC, op: 2, siaddr: PROXY, file: 'ipxe.efi',
      options: [{ code: 53, value: 'ACK' }, { code: 54, value: PROXY }, { code: 60, value: 'PXEClient' }],
    }, 1.002);
    tftpRead(sim, { addr: ADDR, port: 1100 }, PROXY, 'ipxe.efi', 3000, { t: 1.006 });
    return sim.finish({ end: 3 });
  }

  it('pairs the answer by xid and address: no proxydhcp.no-reply, the DHCP step keeps its lease', () => {
    for (const port of [4011, 67]) {
      const a = proxyBoot(port);
      expect(codes(a), `answer from ${port}`).not.toContain('proxydhcp.no-reply');
      // Firmware takes an answer from 67; it is still worth a warning (iPXE would drop it).
      const wrongPort = a.findings.filter((f) => f.code === 'proxydhcp.reply-wrong-port');
      expect(wrongPort.map((f) => f.severity)).toEqual(port === 67 ? ['warning'] : []);
      const c = a.clients[0]!;
      const dhcp = c.steps.find((s) => s.kind === 'dhcp4')!;
      expect(dhcp).toMatchObject({ leaseTime: 600, yiaddr: ADDR, messages: ['DISCOVER', 'OFFER', 'REQUEST', 'ACK'] });
      expect(dhcp.kind === 'dhcp4' && dhcp.ackOptions).toContain(51);
      const proxy = c.steps.find((s) => s.kind === 'proxydhcp')!;
      expect(proxy).toMatchObject({ ok: true, bootfile: 'ipxe.efi', messages: ['REQUEST', 'ACK'] });
    }
  });
});

describe('a completed TFTP transfer from port 69 with ICMP unreachables in between', () => {
  it('is ok; the ICMP is a warning about the server, not a failed step', () => {
    const sim = new Sim();
    dora(sim, { xid: 0x21, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(0), file: 'pxelinux.0', siaddr: SERVER.addr });
    const c: Endpoint = { addr: ADDR, port: 2070 };
    const s69: Endpoint = { addr: SERVER.addr, port: 69 };
    sim.tftp(c, s69, buildRrq('pxelinux.0'), 1);
    for (let b = 1; b <= 3; b++) {
      sim.tftp(s69, c, buildData(b, new Uint8Array(b < 3 ? 512 : 100)), sim.now + 0.01);
      const ack = buildAck(b);
      sim.tftp(c, s69, ack, sim.now + 0.01);
      // The server's kernel refuses some of the ACKs (its socket is elsewhere).
      if (b < 3) icmpUnreachable(sim, SERVER.addr, c, s69, ack, 3, sim.now + 0.001);
    }
    const a = sim.finish({ end: 5 });
    const step = a.clients[0]!.steps.find((s) => s.kind === 'tftp')!;
    expect(step).toMatchObject({ ok: true, complete: true, error: null, serverPort: 69, bytes: 1124 });
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(codes(a)).toContain('tftp.no-new-tid');
    const icmp = a.findings.find((f) => f.code === 'net.port-unreachable')!;
    expect(icmp.severity).toBe('warning');
    expect(icmp.message).toContain('completed anyway');
    expect(a.clients[0]!.outcome).toBe('booted');
  });
});

describe('roles: devices that are not booting', () => {
  it('a printer-like DHCPv6 client and an OS DHCP client on the boot segment are listed, not failed boots', () => {
    const sim = new Sim();
    // A PXE client that boots.
    dora(sim, { xid: 0x31, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(0), file: 'pxelinux.0', siaddr: SERVER.addr });
    tftpRead(sim, { addr: ADDR, port: 2000 }, SERVER.addr, 'pxelinux.0', 2000, { t: 1 });
    // A printer: DHCPv6 Solicit without option 61/16 and no ORO for 59, nobody answers.
    const pmac = '00:11:22:33:44:55';
    const pduid = { code: 1 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString(pmac) } };
    const printer: Endpoint = { addr: 'fe80::211:22ff:fe33:4455', port: 546, mac: pmac };
    for (const t of [0.5, 1.5, 3.5, 7.5]) {
      sim.dhcp6(printer, { addr: 'ff02::1:2', port: 547, mac: '33:33:00:01:00:02' }, { msgType: 1, xid: 9, options: [pduid, { code: 6 as const, value: [23, 24] }] }, t);
    }
    // An OS DHCP client (no boot identity) that gets a NAK.
    dora(sim, { xid: 0x32, mac: '00:aa:bb:cc:dd:ee', yiaddr: '198.51.100.130', t: 2, until: 'nak' });
    const a = sim.finish({ end: 30 });
    const byMac = new Map(a.clients.map((c) => [c.mac, c]));
    expect(byMac.get(MAC)).toMatchObject({ role: 'boot', outcome: 'booted', rootCause: null });
    expect(byMac.get(pmac)).toMatchObject({ role: 'other', outcome: 'not-a-boot' });
    expect(byMac.get('00:aa:bb:cc:dd:ee')).toMatchObject({ role: 'other', outcome: 'not-a-boot' });
    expect(a.summary).toMatchObject({ clients: 1, otherClients: 2, booted: 1, failed: 0 });
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(a.findings.find((f) => f.code === 'dhcp6.no-advertise')?.severity).toBe('info');
    expect(codes(a)).not.toContain('ra.missing-managed-flag');
  });
});

describe('boot attempts', () => {
  it('an OS DHCP exchange before the reboot into PXE is its own stretch, not step 1 of the boot', () => {
    const sim = new Sim();
    // The running OS renews its lease (REQUEST/ACK, no boot identity), then the machine reboots.
    sim.dhcp4({ addr: ADDR, port: 68, mac: MAC }, { addr: SERVER.addr, port: 67 }, {
      xid: 0x40, chaddr: MAC, ciaddr: ADDR, options: [{ code: 53, value: 'REQUEST' }],
    }, 0);
    sim.dhcp4({ addr: SERVER.addr, port: 67 }, { addr: ADDR, port: 68 }, {
      xid: 0x40, chaddr: MAC, op: 2, yiaddr: ADDR, options: [{ code: 53, value: 'ACK' }, { code: 54, value: SERVER.addr }],
    }, 0.01);
    dora(sim, { xid: 0x41, mac: MAC, yiaddr: ADDR, t: 7, client: pxeOptions(0), file: 'pxelinux.0', siaddr: SERVER.addr });
    tftpRead(sim, { addr: ADDR, port: 2001 }, SERVER.addr, 'pxelinux.0', 2000, { t: 8 });
    const a = sim.finish({ end: 12 });
    const c = a.clients[0]!;
    expect(c.attempts.map((x) => [x.entry, x.outcome])).toEqual([['os', 'not-a-boot'], ['pxe4', 'booted']]);
    // Measured from the PXE DISCOVER, not from the OS's renewal 7 s earlier.
    expect(c.timeToBootProgram).toBeLessThan(2);
    expect(c.role).toBe('boot');
  });

  it('a machine that boots twice: two attempts, one loop-free count of fetches each', () => {
    const sim = new Sim();
    for (const t of [0, 100]) {
      dora(sim, { xid: 0x50 + t, mac: MAC, yiaddr: ADDR, t, client: pxeOptions(0), file: 'undionly.kpxe', siaddr: SERVER.addr });
      tftpRead(sim, { addr: ADDR, port: 2100 + t }, SERVER.addr, 'undionly.kpxe', 3000, { t: t + 1 });
      dora(sim, { xid: 0x60 + t, mac: MAC, yiaddr: ADDR, t: t + 3, client: ipxeOptions(0), file: 'http://198.51.100.1/boot.ipxe' });
      sim.http({ addr: ADDR, port: 40000 + t }, { addr: SERVER.addr, port: 80 }, '/boot.ipxe', 200, 300, { t: t + 4 });
      sim.http({ addr: ADDR, port: 40001 + t }, { addr: SERVER.addr, port: 80 }, '/vmlinuz', 200, 5000, { t: t + 5 });
    }
    const a = sim.finish({ end: 110 });
    const c = a.clients[0]!;
    expect(c.attempts.map((x) => x.outcome)).toEqual(['booted', 'booted']);
    expect(codes(a)).not.toContain('ipxe.chainload-loop');
    expect(c.outcome).toBe('booted');
  });

  it('EDK2 falls through its boot order after a TFTP error: one root cause, the rest are its consequences', () => {
    const sim = new Sim();
    dora(sim, { xid: 0x70, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(7), file: 'missing/bootx64.efi', siaddr: SERVER.addr });
    sim.tftp({ addr: ADDR, port: 2200 }, { addr: SERVER.addr, port: 69 }, buildRrq('missing/bootx64.efi'), 1);
    sim.tftp({ addr: SERVER.addr, port: 50000 }, { addr: ADDR, port: 2200 }, buildError(1, 'File not found'), 1.001);
    // PXE over IPv6 next: nobody answers its Solicits.
    const duid = { code: 1 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString(MAC) } };
    const v6: Endpoint = { addr: 'fe80::5054:ff:feab:cd07', port: 546, mac: MAC };
    for (const t of [5, 6, 8, 12, 20]) {
      sim.dhcp6(v6, { addr: 'ff02::1:2', port: 547, mac: '33:33:00:01:00:02' }, {
        msgType: 1, xid: 0x77, options: [duid, { code: 3 as const, value: { iaid: 1, t1: 0, t2: 0, options: [] } }, { code: 61 as const, value: [7] }],
      }, t);
    }
    const a = sim.finish({ end: 40 });
    const c = a.clients[0]!;
    expect(c).toMatchObject({ outcome: 'failed', rootCause: 'tftp.error' });
    expect(c.attempts.map((x) => x.entry)).toEqual(['pxe4', 'pxe6']);
    expect(c.attempts[0]!.pxeError).toBe('PXE-E23');
    const root = a.findings.find((f) => f.code === 'tftp.error')!;
    expect(root.severity).toBe('error');
    const rest = a.findings.filter((f) => f !== root && f.severity !== 'info' && f.causedBy === null);
    expect(rest.filter((f) => f.severity === 'error')).toEqual([]);
    const noAdvertise = a.findings.find((f) => f.code === 'dhcp6.no-advertise')!;
    expect(noAdvertise).toMatchObject({ causedBy: root.id, severity: 'info', attempt: 1 });
  });

  it('a legacy BIOS PXE ROM shows the Intel codes: no boot file → PXE-E53', () => {
    const sim = new Sim();
    dora(sim, { xid: 0x80, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(0) });
    const a = sim.finish({ end: 10 });
    expect(a.clients[0]).toMatchObject({ outcome: 'failed', rootCause: 'pxe.no-bootfile' });
    expect(a.clients[0]!.attempts[0]!.pxeError).toBe('PXE-E53');
  });

  it('an attempt that stops with nothing failed on the wire is boot.stopped when the device moves on or goes silent', () => {
    const sim = new Sim();
    dora(sim, { xid: 0x90, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(7), file: 'snponly.efi', siaddr: SERVER.addr });
    tftpRead(sim, { addr: ADDR, port: 2300 }, SERVER.addr, 'snponly.efi', 3000, { t: 1 });
    // iPXE started (its DHCP) and then nothing for a minute.
    dora(sim, { xid: 0x91, mac: MAC, yiaddr: ADDR, t: 3, client: ipxeOptions(7), file: 'http://198.51.100.1/boot.ipxe' });
    const stopped = sim.finish({ end: 100 });
    expect(stopped.clients[0]).toMatchObject({ outcome: 'failed', rootCause: 'boot.stopped' });
    const cut = sim.finish({ end: 5 });
    expect(cut.clients[0]).toMatchObject({ outcome: 'incomplete', rootCause: null });
  });
});

describe('evidence: the frames that prove it', () => {
  it('ipxe.chainload-loop cites the offer that named the iPXE binary when the ACK carried no boot file', () => {
    const sim = new Sim();
    dora(sim, { xid: 0xb0, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(0), file: 'undionly.kpxe', siaddr: SERVER.addr });
    tftpRead(sim, { addr: ADDR, port: 2500 }, SERVER.addr, 'undionly.kpxe', 3000, { t: 1 });
    const cli: Endpoint = { addr: '0.0.0.0', port: 68, mac: MAC };
    const bcast: Endpoint = { addr: '255.255.255.255', port: 67 };
    const back: Endpoint = { addr: '255.255.255.255', port: 68 };
    sim.dhcp4(cli, bcast, { xid: 0xb1, chaddr: MAC, options: [{ code: 53, value: 'DISCOVER' }, ...ipxeOptions(0)] }, 3);
    sim.dhcp4(SERVER, back, { xid: 0xb1, chaddr: MAC, op: 2, yiaddr: ADDR, file: 'undionly.kpxe', options: [{ code: 53, value: 'OFFER' }, { code: 54, value: SERVER.addr }] }, 3.01);
    const offerFrame = sim.frame;
    sim.dhcp4(cli, bcast, { xid: 0xb1, chaddr: MAC, options: [{ code: 53, value: 'REQUEST' }, { code: 54, value: SERVER.addr }, ...ipxeOptions(0)] }, 3.02);
    sim.dhcp4(SERVER, back, { xid: 0xb1, chaddr: MAC, op: 2, yiaddr: ADDR, options: [{ code: 53, value: 'ACK' }, { code: 54, value: SERVER.addr }] }, 3.03);
    const f = sim.finish({ end: 5 }).findings.find((x) => x.code === 'ipxe.chainload-loop')!;
    expect(f.frames).toEqual([offerFrame]);
  });

  it('pxe.no-bootfile counts every ignored offer, four from one router reading as four', () => {
    const sim = new Sim();
    const cli: Endpoint = { addr: '0.0.0.0', port: 68, mac: MAC };
    const offers: number[] = [];
    for (const t of [0, 4, 12, 28]) {
      sim.dhcp4(cli, { addr: '255.255.255.255', port: 67 }, { xid: 0xc0, chaddr: MAC, options: [{ code: 53, value: 'DISCOVER' }, ...pxeOptions(7)] }, t);
      sim.dhcp4(SERVER, { addr: '255.255.255.255', port: 68 }, { xid: 0xc0, chaddr: MAC, op: 2, yiaddr: ADDR, options: [{ code: 53, value: 'OFFER' }, { code: 54, value: SERVER.addr }] }, t + 0.01);
      offers.push(sim.frame);
    }
    const a = sim.finish({ end: 60 });
    const f = a.findings.find((x) => x.code === 'pxe.no-bootfile')!;
    expect(f.message).toContain('ignored 4 address offer(s)');
    expect(f.frames).toEqual(offers);
    expect(a.clients[0]!.attempts[0]!.pxeError).toBe('PXE-E16');
  });

  it('a server that gives up on its own says so: the tftp.error hint does not blame a missing file', () => {
    const sim = new Sim();
    const c: Endpoint = { addr: ADDR, port: 2600 };
    sim.tftp(c, { addr: SERVER.addr, port: 69 }, buildRrq('ipxe.efi'), 0);
    const tid: Endpoint = { addr: SERVER.addr, port: 52000 };
    sim.tftp(tid, c, buildData(1, new Uint8Array(512)), 0.01);
    sim.tftp(tid, c, buildError(0, 'Connection timed out'), 6);
    const f = sim.finish({ end: 8 }).findings.find((x) => x.code === 'tftp.error')!;
    expect(f.hint).not.toMatch(/exists|not found/);
    expect(f.hint).toMatch(/gave up/);
  });
});

describe('TFTP seen from the client\'s side only (no server packet of the transfer)', () => {
  const c: Endpoint = { addr: ADDR, port: 2070 };
  const tid: Endpoint = { addr: SERVER.addr, port: 40000 };
  const rrq = (sim: Sim, options?: Record<string, string | number>): void => sim.tftp(c, { addr: SERVER.addr, port: 69 }, buildRrq('boot.efi', 'octet', options), 0);
  const blind = (a: Analysis): boolean => a.clients.some((x) => x.blindSpot === 'capture.one-sided');

  it('ACKs climbing (blocks 1-3, the last one repeated) show DATA reached the client: unjudged, no tftp.timeout', () => {
    const sim = new Sim();
    rrq(sim);
    for (const [i, b] of [1, 2, 3, 3, 3].entries()) sim.tftp(c, tid, buildAck(b), 0.01 + i * 2);
    const a = sim.finish({ end: 90 });
    expect(codes(a)).not.toContain('tftp.timeout');
    expect(blind(a)).toBe(true);
  });

  it('a lone ACK, or the ACK of the OACK repeated and never block 1, proves no DATA arrived: tftp.timeout stays an error', () => {
    for (const acks of [[1], [0, 0, 0]]) {
      const sim = new Sim();
      rrq(sim, acks[0] === 0 ? { tsize: 0, blksize: 8192 } : undefined);
      for (const [i, b] of acks.entries()) sim.tftp(c, tid, buildAck(b), 0.01 + i * 3);
      const a = sim.finish({ end: 60 });
      expect([acks, codes(a).includes('tftp.timeout'), blind(a)]).toEqual([acks, true, false]);
    }
  });

  it('the client aborting (ERROR 0) after ACKing blocks 1-5 of a request with tsize is a failed transfer, not a size probe', () => {
    const sim = new Sim();
    rrq(sim, { tsize: 0, blksize: 1468 });
    for (let b = 0; b <= 5; b++) sim.tftp(c, tid, buildAck(b), 0.01 + b * 0.01);
    sim.tftp(c, tid, buildError(0, 'transfer aborted'), 5);
    const a = sim.finish({ end: 60 });
    const step = a.clients.flatMap((x) => x.steps).find((s) => s.kind === 'tftp')!;
    expect(step).toMatchObject({ kind: 'tftp', probe: false, ok: false });
    expect(a.findings.some((f) => f.severity === 'error' && f.code.startsWith('tftp.'))).toBe(true);
  });

  it('other UDP from the transfer\'s port to the server (DNS, syslog, an ACK-shaped datagram to a well-known port) is not taken for the transfer', () => {
    const others: [Endpoint, Uint8Array][] = [
      [{ addr: SERVER.addr, port: 53 }, Uint8Array.of(0, 4, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 98, 111, 111, 116, 0, 0, 1, 0, 1)],
      [{ addr: SERVER.addr, port: 5140 }, new TextEncoder().encode('<13>tftp timeout')],
      [{ addr: SERVER.addr, port: 514 }, buildAck(1)],
    ];
    for (const [to, bytes] of others) {
      const sim = new Sim();
      rrq(sim);
      sim.tftp(c, to, bytes, 1);
      sim.tftp(c, { addr: SERVER.addr, port: 69 }, buildRrq('boot.efi'), 2);
      sim.tftp(c, { addr: SERVER.addr, port: 69 }, buildRrq('boot.efi'), 4);
      const a = sim.finish({ end: 60 });
      const step = a.clients.flatMap((x) => x.steps).find((s) => s.kind === 'tftp')!;
      expect([to.port, step.kind === 'tftp' && step.serverPort, codes(a).includes('tftp.timeout')]).toEqual([to.port, null, true]);
    }
  });
});

describe('smaller truths', () => {
  it('a WRQ upload is shown as WRQ, upload', () => {
    const sim = new Sim();
    const c: Endpoint = { addr: ADDR, port: 2400 };
    sim.tftp(c, { addr: SERVER.addr, port: 69 }, emitTftp({ opcode: 'WRQ', code: TFTP_OPCODES.WRQ, file: 'config.txt', mode: 'octet', options: [] }), 0);
    const tid: Endpoint = { addr: SERVER.addr, port: 51000 };
    sim.tftp(tid, c, buildAck(0), 0.01);
    sim.tftp(c, tid, buildData(1, new Uint8Array(40)), 0.02);
    sim.tftp(tid, c, buildAck(1), 0.03);
    const step = sim.finish({ end: 1 }).clients[0]!.steps[0]!;
    expect(step).toMatchObject({ kind: 'tftp', opcode: 'WRQ', direction: 'upload', complete: true, bytes: 40 });
  });

  it('dhcp.decline: the client found its address in use', () => {
    const sim = new Sim();
    dora(sim, { xid: 0xa0, mac: MAC, yiaddr: ADDR, t: 0, client: pxeOptions(0), file: 'pxelinux.0' });
    sim.dhcp4(CLIENT, { addr: '255.255.255.255', port: 67 }, {
      xid: 0xa0, chaddr: MAC, options: [{ code: 53, value: 'DECLINE' }, { code: 50, value: ADDR }, { code: 54, value: SERVER.addr }],
    }, 1);
    const a = sim.finish({ end: 2 });
    const f = a.findings.find((x) => x.code === 'dhcp.decline')!;
    expect(f.message).toContain(`declined ${ADDR}`);
    expect(f.frames).toContain(5);
  });
});

