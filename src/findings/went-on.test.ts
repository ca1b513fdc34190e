/**
 * What proves a device went on after a DHCP exchange the snap length cut (which boot entry sent it
 * is not known): a TFTP/HTTP fetch or a TCP connection its server answered and the capture does not
 * show failing. A request refused by ICMP or never answered, a SYN never answered or refused prove
 * nothing, and the earlier failure stands; a SYN never answered, or a RST, after a connection that
 * was made does not undo it.
 */
import { describe, expect, it } from 'vitest';
import { buildData, buildError, buildRrq } from '../wire/tftp.js';
import { ipv4FromString, u32 } from '../wire/bytes.js';
import { TcpFlag } from '../wire/tcp.js';
import { Sim, pxeOptions, SERVER, T0, type Endpoint } from '../flow/sim.test-kit.js';
import { icmpUnreachable } from '../flow/icmp.test-kit.js';
import type { Analysis } from '../analysis/types.js';
import { OPENS_KEPT } from '../flow/opens.js';

const MAC = '52:54:00:00:00:31';
const ADDR = '198.51.100.131';
const CLI0: Endpoint = { addr: '0.0.0.0', port: 68, mac: MAC };
const DHCP_BCAST: Endpoint = { addr: '255.255.255.255', port: 67 };
const TO_CLIENT: Endpoint = { addr: '255.255.255.255', port: 68 };
const C: Endpoint = { addr: ADDR, port: 2000, mac: MAC };

type After = 'nothing' | 'rrq-icmp' | 'rrq-data' | 'rrq-unanswered' | 'syn' | 'syn-rst' | 'syn-synack' | 'syn-data'
  | 'made-then-syn' | 'made-then-rst' | 'two-opens' | 'syn-new-port' | 'answered-after-refusals';

/** A UEFI PXE DORA cut to 96 bytes (the requests' identity gone), its TFTP read refused with ERROR 1;
 *  12 s later the device's DORA again (cut the same), then `after`; the capture ends at 60 s. */
function cutRedhcp(after: After): Analysis {
  const sim = new Sim();
  const client = [...pxeOptions(7), { code: 55, data: Uint8Array.of(1, 3, 6, 66, 67) }];
  const reply = (xid: number, type: string) => ({ op: 2, xid, chaddr: MAC, yiaddr: ADDR, siaddr: SERVER.addr, options: [{ code: 53, value: type }, { code: 54, value: SERVER.addr }, { code: 51, value: 600 }, { code: 67, value: 'snponly.efi' }] });
  const request = (xid: number, type: string) => ({ xid, chaddr: MAC, options: [{ code: 53, value: type }, ...(type === 'REQUEST' ? [{ code: 54, value: SERVER.addr }, { code: 50, value: ADDR }] : []), ...client] });
  const dora = (xid: number, t: number): void => {
    sim.dhcp4Cut(CLI0, DHCP_BCAST, request(xid, 'DISCOVER'), 96, t);
    sim.dhcp4Cut(SERVER, TO_CLIENT, reply(xid, 'OFFER'), 96, t + 0.01);
    sim.dhcp4Cut(CLI0, DHCP_BCAST, request(xid, 'REQUEST'), 96, t + 0.02);
    sim.dhcp4Cut(SERVER, TO_CLIENT, reply(xid, 'ACK'), 96, t + 0.03);
  };
  dora(9, 0);
  sim.tftp(C, { addr: SERVER.addr, port: 69 }, buildRrq('snponly.efi', 'octet', []), 1);
  sim.tftp({ addr: SERVER.addr, port: 51000 }, C, buildError(1, 'File not found'), 1.01);
  dora(10, 12);
  const rrq = buildRrq('snponly.efi', 'octet', []);
  const C2: Endpoint = { ...C, port: 2001 };
  const http = { addr: SERVER.addr, port: 80 };
  const tcp = (from: Endpoint, to: Endpoint, flags: number, t: number, data = 0): void => {
    sim.now = t;
    sim.builder.tcpSegment({
      frame: ++sim.frame, time: T0 + t, src: from.addr, srcPort: from.port, dst: to.addr, dstPort: to.port,
      src4: u32(ipv4FromString(from.addr), 0), dst4: u32(ipv4FromString(to.addr), 0),
      seq: 1000, ack: 0, flags, dataLength: data, packetLength: 40 + data,
    });
  };
  const cli = { addr: ADDR, port: 49152 };
  if (after === 'rrq-icmp') {
    sim.tftp(C2, { addr: SERVER.addr, port: 69 }, rrq, 13);
    icmpUnreachable(sim, SERVER.addr, C2, { addr: SERVER.addr, port: 69 }, rrq, 3, 13.01);
  } else if (after === 'rrq-data') {
    sim.tftp(C2, { addr: SERVER.addr, port: 69 }, rrq, 13);
    sim.tftp({ addr: SERVER.addr, port: 51001 }, C2, buildData(1, new Uint8Array(100)), 13.01);
  } else if (after === 'rrq-unanswered') {
    for (const t of [13, 14, 16, 20]) sim.tftp(C2, { addr: SERVER.addr, port: 69 }, rrq, t);
  } else if (after === 'made-then-syn' || after === 'made-then-rst') {
    // A connection made (SYN, SYN-ACK, data both ways), then: another SYN nobody answers, or the
    // server's RST ending the connection it had answered.
    tcp(cli, http, TcpFlag.SYN, 13);
    tcp(http, cli, TcpFlag.SYN | TcpFlag.ACK, 13.01);
    tcp(cli, http, TcpFlag.ACK | TcpFlag.PSH, 13.02, 120);
    tcp(http, cli, TcpFlag.ACK | TcpFlag.PSH, 13.03, 1400);
    if (after === 'made-then-syn') tcp({ addr: ADDR, port: 49153 }, { addr: '198.51.100.9', port: 514 }, TcpFlag.SYN, 15);
    else tcp(http, cli, TcpFlag.RST | TcpFlag.ACK, 14);
  } else if (after === 'two-opens' || after === 'syn-new-port') {
    // Two SYNs, the earlier answered after the later was sent: iPXE opening the kernel's and the
    // initrd's connections at once; a SYN retried from a new port, the first one's SYN-ACK late.
    const second = { addr: ADDR, port: 49153 };
    tcp(cli, http, TcpFlag.SYN, 13);
    tcp(second, http, TcpFlag.SYN, after === 'two-opens' ? 13.001 : 14);
    tcp(http, cli, TcpFlag.SYN | TcpFlag.ACK, after === 'two-opens' ? 13.01 : 14.01);
  } else if (after === 'answered-after-refusals') {
    // Its HTTP SYN waits on a slow server while OPENS_KEPT connections to a TCP syslog host are
    // refused (RST) one after another; then the server's SYN-ACK comes.
    tcp(cli, http, TcpFlag.SYN, 13);
    const syslog = { addr: '198.51.100.9', port: 514 };
    for (let i = 0; i < OPENS_KEPT; i++) {
      const from = { addr: ADDR, port: 49160 + i };
      tcp(from, syslog, TcpFlag.SYN, 13.1 + i * 0.05);
      tcp(syslog, from, TcpFlag.RST | TcpFlag.ACK, 13.101 + i * 0.05);
    }
    tcp(http, cli, TcpFlag.SYN | TcpFlag.ACK, 14);
  } else if (after !== 'nothing') {
    tcp(cli, http, TcpFlag.SYN, 13);
    if (after === 'syn') { tcp(cli, http, TcpFlag.SYN, 14); tcp(cli, http, TcpFlag.SYN, 16); }
    if (after === 'syn-rst') tcp(http, cli, TcpFlag.RST | TcpFlag.ACK, 13.01);
    if (after === 'syn-synack') tcp(http, cli, TcpFlag.SYN | TcpFlag.ACK, 13.01);
    if (after === 'syn-data') tcp(cli, http, TcpFlag.ACK | TcpFlag.PSH, 13.02, 120);
  }
  return sim.finish({ end: 60 });
}

/** The TFTP ERROR before the cut DHCP is still an error (not lowered to a warning as a failure
 *  the device may have got past unseen). */
function errorStands(a: Analysis): boolean {
  const f = a.findings.find((x) => x.code === 'tftp.error');
  expect(f).toBeDefined();
  return f!.severity === 'error';
}

describe('went on after a cut DHCP (snap 96)', () => {
  it('the device went on to a fetch or connection not seen failing: the earlier failure may have been overcome, unjudged', () => {
    const stands = (['rrq-data', 'syn-synack', 'syn-data', 'made-then-syn', 'made-then-rst'] as const).filter((after) => errorStands(cutRedhcp(after)));
    expect(stands).toEqual([]);
  });

  it('a SYN-ACK to an earlier SYN after a newer one (two connections at once, a SYN retried from a new port) is an answer', () => {
    for (const after of ['two-opens', 'syn-new-port'] as const) expect(errorStands(cutRedhcp(after)), after).toBe(false);
  });

  it('a SYN answered after as many newer SYNs were refused is an answer (settled opens make room first)', () => {
    expect(errorStands(cutRedhcp('answered-after-refusals'))).toBe(false);
  });

  it('an RRQ refused by ICMP port unreachable is no proof the device went on: the failure stands', () => {
    const a = cutRedhcp('rrq-icmp');
    expect(a.clients[0]!.steps.filter((s) => s.kind === 'tftp' && s.unreachable !== null)).toHaveLength(1);
    expect(errorStands(a)).toBe(true);
  });

  it('an RRQ sent again and again that no server answered is no proof the device went on: the failure stands', () => {
    const a = cutRedhcp('rrq-unanswered');
    expect(a.clients[0]!.steps.filter((s) => s.kind === 'tftp' && s.start - a.clients[0]!.steps[0]!.start > 12)).not.toEqual([]);
    expect(errorStands(a)).toBe(true);
  });

  it('a SYN the server never answered, or refused with RST, is no proof the device went on: the failure stands', () => {
    for (const after of ['nothing', 'syn', 'syn-rst'] as const) {
      expect(errorStands(cutRedhcp(after)), after).toBe(true);
    }
  });
});
