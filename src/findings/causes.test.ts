import { describe, it, expect } from 'vitest';
import { buildAck, buildData, buildError, buildRrq } from '../wire/tftp.js';
import { Sim, dora, ipxeOptions, pxeOptions, tftpRead, SERVER, type Endpoint } from '../flow/sim.test-kit.js';

const MAC = '52:54:00:00:00:20';
const ADDR = '198.51.100.120';
const CLIENT: Endpoint = { addr: ADDR, port: 2000, mac: MAC };

/** A PXE boot entry whose DHCP names a boot file the TFTP server does not have (PXE-E23). */
function missingFileEntry(sim: Sim, t: number, xid: number, client = CLIENT): void {
  dora(sim, { xid, mac: MAC, yiaddr: ADDR, t, file: 'missing/bootx64.efi', client: pxeOptions(7) });
  sim.tftp(client, { addr: SERVER.addr, port: 69 }, buildRrq('missing/bootx64.efi'), t + 1);
  sim.tftp({ addr: SERVER.addr, port: 51000 + xid }, client, buildError(1, 'File not found'), t + 1.01);
}

/** One power-on of a PXE machine whose first boot entry's file is missing and whose second gets a
 *  boot program (the firmware falls through its boot order a few seconds after PXE-E23). */
function fallThroughBoot(sim: Sim, t: number, xid: number): void {
  missingFileEntry(sim, t, xid);
  dora(sim, { xid: xid + 1, mac: MAC, yiaddr: ADDR, t: t + 6, file: 'bootx64.efi', client: pxeOptions(7) });
  tftpRead(sim, CLIENT, SERVER.addr, 'bootx64.efi', 4000, { t: t + 7 });
}

describe('root causes over several boots of one device', () => {
  it('a machine that falls through its boot order on every power-on: each failed entry before a boot is a warning', () => {
    const once = new Sim();
    fallThroughBoot(once, 0, 10);
    const a1 = once.finish();
    expect(a1.findings.filter((f) => f.code === 'tftp.error').map((f) => f.severity)).toEqual(['warning']);

    // The same machine rebooted (field truth variant `twice`): the second power-on's failed entry
    // came after the first boot, but before the second: it only cost time as well.
    const twice = new Sim();
    fallThroughBoot(twice, 0, 10);
    fallThroughBoot(twice, 300, 20);
    const a2 = twice.finish();
    expect(a2.clients).toHaveLength(1);
    expect(a2.clients[0]!.attempts.map((a) => a.outcome)).toEqual(['failed', 'booted', 'failed', 'booted']);
    expect(a2.clients[0]!.outcome).toBe('booted');
    expect(a2.findings.filter((f) => f.code === 'tftp.error').map((f) => f.severity)).toEqual(['warning', 'warning']);
    expect(a2.summary.errors).toBe(0);
  });

  it('a machine that booted once and whose reboot then failed keeps that failure as an error', () => {
    const sim = new Sim();
    fallThroughBoot(sim, 0, 10);
    missingFileEntry(sim, 300, 30);
    const a = sim.finish({ end: 400 });
    expect(a.findings.filter((f) => f.code === 'tftp.error').map((f) => f.severity)).toEqual(['warning', 'error']);
    expect(a.summary.errors).toBe(1);
  });

  it('a firmware going round its boot order again within seconds (a PXE retry loop): one root cause, the rounds after it its consequences', () => {
    const sim = new Sim();
    // Each round a new DHCP exchange and a new TFTP port, seconds apart, on one power-on.
    for (let round = 0; round < 3; round++) missingFileEntry(sim, round * 8, 50 + round, { ...CLIENT, port: 2000 + round });
    const a = sim.finish({ end: 100 });
    const c = a.clients[0]!;
    expect(c.attempts.map((x) => [x.outcome, x.rootCause])).toEqual([0, 1, 2].map(() => ['failed', 'tftp.error']));
    const errors = a.findings.filter((f) => f.code === 'tftp.error');
    expect(errors.map((f) => f.severity)).toEqual(['error', 'info', 'info']);
    expect(errors.slice(1).every((f) => f.causedBy === errors[0]!.id)).toBe(true);
    expect(a.summary.errors).toBe(1);
  });

  it('a boot entry tried again within seconds that fails differently keeps its own root cause', () => {
    const sim = new Sim();
    missingFileEntry(sim, 0, 60);
    // The same entry 10 s later: its boot file now named right, its RRQ never answered.
    const client = { ...CLIENT, port: 2001 };
    dora(sim, { xid: 61, mac: MAC, yiaddr: ADDR, t: 10, file: 'bootx64.efi', client: pxeOptions(7) });
    for (let i = 0; i < 4; i++) sim.tftp(client, { addr: SERVER.addr, port: 69 }, buildRrq('bootx64.efi'), 11 + i * 4);
    const a = sim.finish({ end: 100 });
    const c = a.clients[0]!;
    expect(c.attempts.map((x) => x.rootCause)).toEqual(['tftp.error', 'tftp.timeout']);
    const timeout = a.findings.find((f) => f.code === 'tftp.timeout')!;
    expect(timeout.severity).toBe('error');
    expect(timeout.causedBy).toBeNull();
    expect(a.summary.errors).toBe(2);
  });

  it('the firmware\'s DHCP again seconds after its boot program ran (iPXE, then a reset) is a new power-on', () => {
    const sim = new Sim();
    dora(sim, { xid: 70, mac: MAC, yiaddr: ADDR, t: 0, file: 'ipxe.efi', client: pxeOptions(7) });
    tftpRead(sim, CLIENT, SERVER.addr, 'ipxe.efi', 4000, { t: 1 });
    // What iPXE chains is missing (the same name the firmware is then given); seconds later the
    // machine is reset and its firmware fails alike: the same code, the same file.
    const ipxe = { ...CLIENT, port: 2001 };
    dora(sim, { xid: 71, mac: MAC, yiaddr: ADDR, t: 3, file: 'missing/bootx64.efi', client: ipxeOptions(7) });
    sim.tftp(ipxe, { addr: SERVER.addr, port: 69 }, buildRrq('missing/bootx64.efi'), 4);
    sim.tftp({ addr: SERVER.addr, port: 51071 }, ipxe, buildError(1, 'File not found'), 4.01);
    missingFileEntry(sim, 10, 72, { ...CLIENT, port: 2002 });
    const a = sim.finish({ end: 100 });
    const c = a.clients[0]!;
    expect(c.attempts.map((x) => x.entry)).toEqual(['pxe4', 'pxe4']);
    expect(['ipxe', 'script', 'kernel']).toContain(c.attempts[0]!.stage); // iPXE ran
    const errors = a.findings.filter((f) => f.code === 'tftp.error');
    expect(errors).toHaveLength(2);
    expect(errors.map((f) => [f.severity, f.causedBy])).toEqual([['error', null], ['error', null]]);
  });

  it('a power-on that failed stays an error when a boot comes only minutes later (someone pressed reset)', () => {
    const sim = new Sim();
    fallThroughBoot(sim, 0, 10);
    missingFileEntry(sim, 300, 30);
    fallThroughBoot(sim, 700, 40);
    const a = sim.finish({ end: 800 });
    expect(a.clients[0]!.outcome).toBe('booted');
    // The first and last power-on fell through to a boot; the one between failed on its own.
    expect(a.findings.filter((f) => f.code === 'tftp.error').map((f) => f.severity)).toEqual(['warning', 'error', 'warning']);
    expect(a.summary.errors).toBe(1);
  });
});

describe('a later download under way at the end of the capture rescues an earlier failure; a stalled one does not', () => {
  /** The first entry's file is missing (PXE-E23); 6 s later the next entry reads its boot program:
   *  blocks 1-5 each ACKed, then block 6 every `resendEvery` s until `until` (the server resending
   *  it, no ACK), or new blocks to the end when `resendEvery` is null. */
  function fallThroughThenRead(resendEvery: number | null, until: number): Sim {
    const sim = new Sim();
    missingFileEntry(sim, 0, 70);
    dora(sim, { xid: 71, mac: MAC, yiaddr: ADDR, t: 6, file: 'bootx64.efi', client: pxeOptions(7) });
    const client = { ...CLIENT, port: 2001 };
    const tid = { addr: SERVER.addr, port: 52000 };
    sim.tftp(client, { addr: SERVER.addr, port: 69 }, buildRrq('bootx64.efi'), 7);
    let t = 7;
    let block = 1;
    for (; block <= 5; block++) {
      sim.tftp(tid, client, buildData(block, new Uint8Array(512)), (t += 0.01));
      sim.tftp(client, tid, buildAck(block), (t += 0.001));
    }
    while (t + (resendEvery ?? 2) <= until) {
      t += resendEvery ?? 2;
      sim.tftp(tid, client, buildData(block, new Uint8Array(512)), t);
      if (resendEvery === null) sim.tftp(client, tid, buildAck(block++), t + 0.001);
    }
    return sim;
  }

  it('the server resending one block for a minute until the capture ends: a stall, the missing file stays the error and the stall is a timeout', () => {
    const a = fallThroughThenRead(4, 67).finish({ end: 68 });
    const c = a.clients[0]!;
    expect(c.attempts).toHaveLength(2);
    expect(c.attempts[0]!.rootCause).toBe('tftp.error');
    expect(a.findings.filter((f) => f.code === 'tftp.error').map((f) => f.severity)).toEqual(['error']);
    // Idle since block 6 first went (~7 s), however often it was sent again.
    const timeout = a.findings.filter((f) => f.code === 'tftp.timeout');
    expect(timeout.map((f) => f.severity)).toEqual(['error']);
    expect(timeout[0]!.message).toMatch(/block 6 was sent \d+ more time/);
    expect(c.attempts[1]!.rootCause).toBe('tftp.timeout');
    expect(a.summary.errors).toBe(2);
  });

  it('new blocks up to the end of the capture: under way, the missing file only cost time', () => {
    const a = fallThroughThenRead(null, 67).finish({ end: 68 });
    expect(a.clients[0]!.attempts).toHaveLength(2);
    expect(a.findings.filter((f) => f.code === 'tftp.error').map((f) => f.severity)).toEqual(['warning']);
    expect(a.summary.errors).toBe(0);
  });
});
