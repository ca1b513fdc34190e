/**
 * A capture that starts inside iPXE, then a firmware entry seconds later: is that the UEFI boot
 * manager's next Boot#### entry (iPXE exited: the same power-on, the entry's failure a consequence)
 * or a reset (a new power-on, its failure one of its own)? Only a completed download of a program
 * that replaces iPXE (iPXE itself, an NBP) shows iPXE gone; after a script (FOG's and MAAS's "boot
 * from local disk": `sanboot` fails, `exit`), a refused, unanswered or cut fetch, or a DHCP whose
 * fetch is not seen, iPXE may have exited back to the firmware.
 */
import { describe, expect, it } from 'vitest';
import { Sim, dora, ipxeOptions, pxeOptions, tftpRead, type Endpoint } from '../flow/sim.test-kit.js';

const MAC = '52:54:00:7e:1a:09';
const SERVER = '198.51.100.1';

/** What iPXE did after its DHCP (which named the file): `ok` fetched it whole, `refused` no
 *  connection (a refused SYN makes no HTTP step), `unanswered` no response, `404`, `cut` the TFTP
 *  transfer stopped after 3 blocks. */
type How = 'ok' | 'refused' | 'unanswered' | '404' | 'cut';

/** iPXE's DHCP and fetch, then the firmware's PXEv4 entry 5 s on, unanswered. The severity of that
 *  entry's failure: `info` when it follows from iPXE's (fall-through), `error` on its own (reset). */
function firmwareEntryAfter(proto: 'http' | 'tftp', file: string, how: How): string {
  const sim = new Sim();
  const boot = proto === 'http' ? `http://${SERVER}/${file}` : file;
  dora(sim, { xid: 0x100, mac: MAC, yiaddr: '198.51.100.50', t: 0, client: ipxeOptions(7), file: boot, siaddr: SERVER, serverAddr: SERVER });
  const cli: Endpoint = { addr: '198.51.100.50', port: 40001, mac: MAC };
  if (proto === 'http' && how !== 'refused') sim.http(cli, { addr: SERVER, port: 80 }, `/${file}`, how === 'unanswered' ? null : how === '404' ? 404 : 200, 300_000, { t: 1 });
  if (proto === 'tftp' && how !== 'refused') tftpRead(sim, cli, SERVER, file, 300_000, { t: 1, stopAfter: how === 'cut' ? 3 : undefined });
  for (const t of [6, 10, 18]) {
    sim.dhcp4({ addr: '0.0.0.0', port: 68, mac: MAC }, { addr: '255.255.255.255', port: 67 },
      { xid: 0x200, chaddr: MAC, options: [{ code: 53, value: 'DISCOVER' }, { code: 93, value: [7] }, { code: 60, value: 'PXEClient:Arch:00007:UNDI:003016' }] }, t);
  }
  const a = sim.finish({ end: 60 });
  const c = a.clients.find((x) => x.mac === MAC)!;
  expect(c.attempts.map((x) => [x.entry, x.outcome])).toEqual([['ipxe', 'failed'], ['pxe4', 'failed']]);
  return a.findings.find((f) => f.id === c.attempts[1]!.rootCauseId)!.severity;
}

const FALL_THROUGH = 'info';
const RESET = 'error';

describe('iPXE\'s last HTTP fetch', () => {
  it('a script fetched whole (it may end in `exit`): fall-through', () => {
    expect(firmwareEntryAfter('http', 'boot.ipxe', 'ok')).toBe(FALL_THROUGH);
  });
  it('refused (no HTTP step: the DHCP that named the file is the last step): fall-through', () => {
    expect(firmwareEntryAfter('http', 'boot.ipxe', 'refused')).toBe(FALL_THROUGH);
  });
  it('unanswered or 404: fall-through', () => {
    expect(firmwareEntryAfter('http', 'ipxe.efi', 'unanswered')).toBe(FALL_THROUGH);
    expect(firmwareEntryAfter('http', 'ipxe.efi', '404')).toBe(FALL_THROUGH);
  });
  it('the iPXE binary fetched whole (it took over): reset', () => {
    expect(firmwareEntryAfter('http', 'ipxe.efi', 'ok')).toBe(RESET);
  });
});

describe('iPXE\'s last TFTP download', () => {
  it('a script downloaded whole: fall-through', () => {
    expect(firmwareEntryAfter('tftp', 'boot.ipxe', 'ok')).toBe(FALL_THROUGH);
  });
  it('cut short: fall-through', () => {
    expect(firmwareEntryAfter('tftp', 'ipxe.efi', 'cut')).toBe(FALL_THROUGH);
  });
  it('the iPXE binary or an NBP downloaded whole: reset', () => {
    expect(firmwareEntryAfter('tftp', 'ipxe.efi', 'ok')).toBe(RESET);
    expect(firmwareEntryAfter('tftp', 'pxelinux.0', 'ok')).toBe(RESET);
  });
  it('abortpxe.com or WDS pxeboot.com (they return when no key is pressed): fall-through', () => {
    expect(firmwareEntryAfter('tftp', 'abortpxe.com', 'ok')).toBe(FALL_THROUGH);
    expect(firmwareEntryAfter('tftp', 'boot/x64/pxeboot.com', 'ok')).toBe(FALL_THROUGH);
  });
});

describe('iPXE handed itself round after round, exiting to the HTTP boot entry each round', () => {
  it('each round\'s fall-through failure follows from that round\'s loop, which follows from the first round\'s', () => {
    const sim = new Sim();
    let xid = 0x100;
    // Each round: PXEv4 → snponly.efi → iPXE's DHCP hands it snponly.efi again (the loop) → iPXE
    // exits (its fetch not seen) → the boot manager's HTTPv4 entry, unanswered. 25 s apart.
    for (const t0 of [0, 25]) {
      dora(sim, { xid: xid++, mac: MAC, yiaddr: '198.51.100.50', t: t0, client: pxeOptions(7), file: 'snponly.efi', siaddr: SERVER });
      tftpRead(sim, { addr: '198.51.100.50', port: 2000 + t0, mac: MAC }, SERVER, 'snponly.efi', 200_000, { t: t0 + 1 });
      dora(sim, { xid: xid++, mac: MAC, yiaddr: '198.51.100.50', t: t0 + 3, client: ipxeOptions(7), file: 'snponly.efi', siaddr: SERVER });
      for (const t of [t0 + 6, t0 + 8, t0 + 12]) {
        sim.dhcp4({ addr: '0.0.0.0', port: 68, mac: MAC }, { addr: '255.255.255.255', port: 67 },
          { xid, chaddr: MAC, options: [{ code: 53, value: 'DISCOVER' }, { code: 93, value: [16] }, { code: 60, value: 'HTTPClient:Arch:00016:UNDI:003016' }] }, t);
      }
      xid++;
    }
    const a = sim.finish({ end: 50 });
    const c = a.clients.find((x) => x.mac === MAC)!;
    expect(c.attempts.map((x) => [x.entry, x.rootCause])).toEqual([
      ['pxe4', 'ipxe.chainload-loop'], ['http4', 'dhcp.no-offer'], ['pxe4', 'ipxe.chainload-loop'], ['http4', 'dhcp.no-offer'],
    ]);
    const [loop1, http1, loop2, http2] = c.attempts.map((x) => a.findings.find((f) => f.id === x.rootCauseId)!);
    expect([loop1!.severity, loop1!.causedBy]).toEqual(['error', null]);
    expect(http1!.causedBy).toBe(loop1!.id);
    expect([loop2!.severity, loop2!.causedBy]).toEqual(['info', loop1!.id]);
    expect(http2!.causedBy).toBe(loop2!.id);
  });
});
