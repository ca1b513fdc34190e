import { describe, expect, it } from 'vitest';
import { buildError, buildRrq } from '../wire/tftp.js';
import { LivePrinter, formatRate, timeOfDay } from './live-printer.js';
import { Sim, T0, dora, pxeOptions, tftpRead, SERVER, type Endpoint } from '../flow/sim.test-kit.js';
import type { Finding } from '../findings/types.js';

const MAC = '52:54:00:00:0e:f1';
const CLIENT: Endpoint = { addr: '198.51.100.187', port: 1025, mac: MAC };

/** A Sim whose builder reports opened steps to a LivePrinter, as `capture` wires them. */
function setup(quietSeconds = 5): { sim: Sim; printer: LivePrinter } {
  const printer = new LivePrinter({ utc: true, quietSeconds });
  const sim = new Sim({ onStep: (c, s) => printer.stepOpened(c, s) });
  return { sim, printer };
}

describe('LivePrinter', () => {
  it('prints a DORA once, when the ACK has filled in address and boot file — not when it opens', () => {
    const { sim, printer } = setup();
    dora(sim, { xid: 0x10, mac: MAC, yiaddr: CLIENT.addr, t: 5.123, client: pxeOptions(7), file: 'snponly.efi', siaddr: SERVER.addr, until: 'offer' });
    expect(printer.poll(T0 + 5.2)).toEqual([]);
    expect(printer.open).toBe(1);
    // REQUEST + ACK of the same transaction.
    dora(sim, { xid: 0x10, mac: MAC, yiaddr: CLIENT.addr, t: 5.123, client: pxeOptions(7), file: 'snponly.efi', siaddr: SERVER.addr });
    const lines = printer.poll(T0 + 5.3);
    // dora() replays DISCOVER/OFFER: the builder merges them into the same xid's step.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^22:13:25\.123 52:54:00:00:0e:f1 dhcp4 \(firmware\) DISCOVER→OFFER→DISCOVER→OFFER→REQUEST→ACK ok 198\.51\.100\.187 boot snponly\.efi \d\.\d{3}s$/);
    expect(printer.poll(T0 + 60)).toEqual([]);
    expect(printer.flush()).toEqual([]);
    expect(printer.counts.steps).toBe(1);
  });

  it('prints the exact line of a clean DORA', () => {
    const { sim, printer } = setup();
    dora(sim, { xid: 0x20, mac: MAC, yiaddr: CLIENT.addr, t: 0, client: pxeOptions(7), file: 'snponly.efi', siaddr: SERVER.addr });
    expect(printer.poll(T0 + 1)).toEqual(['22:13:20.000 52:54:00:00:0e:f1 dhcp4 (firmware) DISCOVER→OFFER→REQUEST→ACK ok 198.51.100.187 boot snponly.efi 0.030s']);
  });

  it('does not print a TFTP transfer still under way', () => {
    const { sim, printer } = setup();
    tftpRead(sim, CLIENT, SERVER.addr, 'snponly.efi', 3000, { t: 1, request: { blksize: 1468 }, oack: { blksize: 1468 }, dt: 0.01, stopAfter: 2 });
    expect(printer.poll(T0 + 1.06)).toEqual([]);
    expect(printer.open).toBe(1);
  });

  it('prints a TFTP transfer with its byte count and throughput once the last short block is in', () => {
    const { sim, printer } = setup();
    dora(sim, { xid: 0x30, mac: MAC, yiaddr: CLIENT.addr, t: 0, client: pxeOptions(7), file: 'snponly.efi', siaddr: SERVER.addr });
    printer.poll(T0 + 0.5);
    // RRQ at 1.0, OACK 1.01, ACK0 1.02, DATA1 1.03 … DATA3 (64 bytes) 1.07, ACK3 1.08: 3000 bytes in 0.04 s.
    tftpRead(sim, CLIENT, SERVER.addr, 'snponly.efi', 3000, { t: 1, request: { blksize: 1468 }, oack: { blksize: 1468 }, dt: 0.01 });
    expect(printer.poll(T0 + 1.1)).toEqual(['22:13:21.000 52:54:00:00:0e:f1 tftp RRQ snponly.efi ok 3000 bytes 75.0 kB/s blksize 1468 0.080s']);
  });

  it('prints a quiet step as open after the quiet period, and again when it completes', () => {
    const { sim, printer } = setup(5);
    dora(sim, { xid: 0x40, mac: MAC, yiaddr: CLIENT.addr, t: 0, until: 'discover' });
    expect(printer.poll(T0 + 4.99)).toEqual([]);
    expect(printer.poll(T0 + 5)).toEqual(['22:13:20.000 52:54:00:00:0e:f1 dhcp4 (os) DISCOVER open 0.000s']);
    expect(printer.poll(T0 + 6)).toEqual([]);
    dora(sim, { xid: 0x40, mac: MAC, yiaddr: CLIENT.addr, t: 8 });
    const done = printer.poll(T0 + 9);
    expect(done).toHaveLength(1);
    expect(done[0]).toContain(' ok 198.51.100.187 ');
  });

  it('marks a NAK and a TFTP error as FAIL with the error text (no lease after a NAK: the TFTP client is keyed by address; a client with no boot identity is never joined by its MAC)', () => {
    const { sim, printer } = setup();
    dora(sim, { xid: 0x50, mac: MAC, yiaddr: CLIENT.addr, t: 0, until: 'nak' });
    sim.tftp(CLIENT, { addr: SERVER.addr, port: 69 }, buildRrq('missing.efi', 'octet'), 1);
    sim.tftp({ addr: SERVER.addr, port: 40123 }, CLIENT, buildError(1, 'File not found'), 1.002);
    const lines = printer.poll(T0 + 2);
    expect(lines).toEqual([
      '22:13:20.000 52:54:00:00:0e:f1 dhcp4 (os) DISCOVER→OFFER→REQUEST→NAK FAIL 0.030s',
      '22:13:21.000 ip:198.51.100.187 tftp RRQ missing.efi FAIL 0 bytes ERROR 1 File not found 0.002s',
    ]);
  });

  it('flushes steps still open at the end, as they stand', () => {
    const { sim, printer } = setup();
    sim.tftp(CLIENT, { addr: SERVER.addr, port: 69 }, buildRrq('slow.efi', 'octet'), 0);
    expect(printer.poll(T0 + 1)).toEqual([]);
    expect(printer.flush()).toEqual(['22:13:20.000 ip:198.51.100.187 tftp RRQ slow.efi open 0 bytes 0.000s']);
    expect(printer.open).toBe(0);
  });

  it('prints each finding once, with severity, code, message and frames', () => {
    const printer = new LivePrinter({ utc: true });
    const f: Finding = {
      id: 'F1', code: 'dhcp.slow-offer', severity: 'warning', client: MAC, attempt: 0, causedBy: null, pxeError: null, frames: [1, 2],
      message: 'First OFFER came 2.5 s after the first DISCOVER (threshold 1 s).', hint: 'x', time: T0 + 0.25,
    };
    expect(printer.findings([f], T0 + 3)).toEqual([
      '22:13:20.250 52:54:00:00:0e:f1 WARNING dhcp.slow-offer: First OFFER came 2.5 s after the first DISCOVER (threshold 1 s). (frames 1, 2)',
    ]);
    // Re-evaluated later (more frames, another message): still the same finding, not printed again.
    expect(printer.findings([{ ...f, frames: [1, 2, 3], message: 'changed' }], T0 + 5)).toEqual([]);
    const wide: Finding = { id: 'F2', code: 'capture.truncated', severity: 'error', client: null, attempt: null, causedBy: null, pxeError: null, frames: [], message: 'cut', hint: 'h' };
    expect(printer.findings([wide], T0 + 7)).toEqual(['22:13:27.000 * ERROR capture.truncated: cut']);
    expect(printer.counts.findings).toBe(2);
    expect(printer.counts.bySeverity).toEqual({ error: 1, warning: 1, info: 0 });
  });

  it('prints distinct capture-wide findings that share a code and first frame (or have none), a capture.* finding once as its count grows', () => {
    const printer = new LivePrinter({ utc: true });
    const base = { severity: 'warning', client: null, attempt: null, causedBy: null, pxeError: null, hint: 'h' } as const;
    const vlan = (id: number, time: number): Finding => ({ ...base, id: `V${id}`, code: 'ra.missing-managed-flag', frames: [], time, message: `No router advertisement seen on VLAN ${id}.` });
    const pair = (other: number): Finding => ({ ...base, id: `C${other}`, code: 'ra.conflict', frames: [5, other], time: T0 + 2, message: `Routers A and ${other} advertise differently.` });
    expect(printer.findings([vlan(10, T0 + 1)], T0 + 3)).toHaveLength(1);
    expect(printer.findings([vlan(10, T0 + 1), vlan(20, T0 + 1.5)], T0 + 4)).toHaveLength(1);
    expect(printer.findings([pair(7)], T0 + 5)).toHaveLength(1);
    expect(printer.findings([pair(7), pair(9)], T0 + 6)).toHaveLength(1);
    // Snapshots again: nothing new.
    expect(printer.findings([vlan(10, T0 + 1), vlan(20, T0 + 1.5), pair(7), pair(9)], T0 + 7)).toEqual([]);
    // A capture.* finding's time is the last packet and its message a count: the same finding.
    const dup = (n: number, last: number): Finding => ({ ...base, severity: 'info', id: 'D', code: 'capture.duplicate-frames', frames: [2], time: last, message: `${n} frame(s) repeated` });
    expect(printer.findings([dup(1, T0 + 8)], T0 + 8)).toHaveLength(1);
    expect(printer.findings([dup(5, T0 + 9)], T0 + 9)).toEqual([]);
    expect(printer.counts.findings).toBe(5);
  });

  it('shows control characters from the capture escaped', () => {
    const { sim, printer } = setup();
    sim.tftp(CLIENT, { addr: SERVER.addr, port: 69 }, buildRrq('a\x1b[31mb', 'octet'), 0);
    expect(printer.flush()[0]).toContain('RRQ a\\x1b[31mb');
  });
});

describe('live-printer helpers', () => {
  it('formats rates in decimal units', () => {
    expect(formatRate(812.4)).toBe('812 B/s');
    expect(formatRate(45_300)).toBe('45.3 kB/s');
    expect(formatRate(11_940_000)).toBe('11.9 MB/s');
  });
  it('formats the time of day with milliseconds', () => {
    expect(timeOfDay(T0 + 3600 * 13 + 0.0456, true)).toBe('11:13:20.046');
    expect(timeOfDay(0.9996, true)).toBe('00:00:01.000');
  });
});
