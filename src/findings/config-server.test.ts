/**
 * A device's config servers are what its DHCP named: option 150's addresses (Cisco phones), option
 * 66 or siaddr, else the DHCP server. Whether the capture can show the device's fetch, and so
 * whether its silence or its reboots judge it, depends on their traffic being in the capture, not on
 * other devices' transfers to other servers.
 */
import { describe, expect, it } from 'vitest';
import { macFromString } from '../wire/bytes.js';
import type { DhcpV6OptionSpec } from '../wire/dhcpv6/index.js';
import { Sim, dora, pxeOptions, tftpRead, type Endpoint } from '../flow/sim.test-kit.js';
import type { Analysis } from '../analysis/types.js';

const PHONE = '52:54:00:8e:41:31';
const OTHER = '52:54:00:8e:41:32';
const DHCP_SERVER = '198.51.100.1';
const TFTP_150 = '198.51.100.20';
const cisco = [{ code: 60, value: 'Cisco Systems, Inc. IP Phone CP-8841' }, { code: 55, value: [1, 3, 6, 66, 150] }];

const ofPhone = (a: Analysis) => a.findings.filter((f) => f.client === PHONE);

/** A Cisco phone given only option 150 (siaddr 0.0.0.0) provisioning 3 times 300 s apart and never
 *  fetching; another phone in the capture fetches its config from `otherFetchesFrom`. */
function phoneLoop(otherFetchesFrom: string): Analysis {
  const sim = new Sim();
  for (const [i, t] of [0, 300, 600].entries()) {
    dora(sim, { xid: 0x100 + i, mac: PHONE, yiaddr: '198.51.100.131', t, client: cisco, serverAddr: DHCP_SERVER, server: [{ code: 150, value: [TFTP_150] }] });
  }
  dora(sim, { xid: 0x200, mac: OTHER, yiaddr: '198.51.100.132', t: 610, client: cisco, serverAddr: DHCP_SERVER, server: [{ code: 150, value: [otherFetchesFrom] }] });
  tftpRead(sim, { addr: '198.51.100.132', port: 50000, mac: OTHER }, otherFetchesFrom, 'SEP5254008E4132.cnf.xml', 3000, { t: 611 });
  return sim.finish({ end: 700 });
}

describe('option 150: a phone\'s config servers', () => {
  it('the flow facts keep option 150\'s addresses', () => {
    const phone = phoneLoop(TFTP_150).clients.find((c) => c.mac === PHONE)!;
    const dhcp = phone.steps.filter((s) => s.kind === 'dhcp4');
    expect(dhcp.map((s) => s.tftpServers)).toEqual([[TFTP_150], [TFTP_150], [TFTP_150]]);
  });

  it('its option-150 server\'s traffic is in the capture and the phone never went to it: its provisionings are judged, stopped', () => {
    const a = phoneLoop(TFTP_150);
    // Judged: each stop an error, none the warning that the capture cannot tell.
    const stops = ofPhone(a).filter((f) => f.code === 'boot.stopped');
    expect(stops).not.toEqual([]);
    expect(new Set(stops.map((f) => f.severity))).toEqual(new Set(['error']));
  });

  it('only the DHCP server\'s traffic is in the capture, not its option-150 server\'s: unjudged, with a warning naming that server', () => {
    const a = phoneLoop(DHCP_SERVER);
    expect(ofPhone(a).filter((f) => f.severity === 'error')).toEqual([]);
    const warn = ofPhone(a).filter((f) => f.code === 'boot.stopped');
    expect(warn.map((f) => f.severity)).toEqual(['warning']);
    expect(warn[0]!.message).toContain(`config server ${TFTP_150}`);
  });
});

describe('silence after the last attempt judges it only when the capture can show the device\'s fetch', () => {
  const MAC = '52:54:00:00:00:41';
  const NEXT = '198.51.100.30';
  type Named = 'siaddr' | 'url' | { siaddr?: string; opt66?: string; file?: string };
  /** A PXE client told next-server NEXT (or what `named` says), then silent for 60 s (its OS's DHCP
   *  at `osAt` when given); another client's transfer is from `otherServer`. */
  function silentAfterDhcp(otherServer: string, named: Named = 'siaddr', osAt?: number): Analysis {
    const sim = new Sim();
    const boot = named === 'siaddr' ? { siaddr: NEXT, file: 'snponly.efi' } : named === 'url' ? { file: `http://${NEXT}/boot/snponly.efi` }
      : { siaddr: named.siaddr, file: named.file ?? 'snponly.efi', server: named.opt66 ? [{ code: 66, value: named.opt66 }] : [] };
    dora(sim, { xid: 0x300, mac: MAC, yiaddr: '198.51.100.141', t: 0, client: pxeOptions(7), serverAddr: DHCP_SERVER, ...boot });
    const other: Endpoint = { addr: '198.51.100.142', port: 50001, mac: '52:54:00:00:00:42' };
    dora(sim, { xid: 0x301, mac: other.mac!, yiaddr: other.addr, t: 1, client: pxeOptions(7), serverAddr: DHCP_SERVER, siaddr: otherServer, file: 'snponly.efi' });
    tftpRead(sim, other, otherServer, 'snponly.efi', 3000, { t: 2 });
    if (osAt !== undefined) dora(sim, { xid: 0x302, mac: MAC, yiaddr: '198.51.100.141', t: osAt, client: [{ code: 60, value: 'MSFT 5.0' }], serverAddr: DHCP_SERVER });
    return sim.finish({ end: 60 });
  }
  const stopped = (a: Analysis) => a.findings.filter((f) => f.client === MAC && f.code === 'boot.stopped' && f.severity === 'error');

  it('another device\'s transfer from another server says nothing of this one: not judged', () => {
    expect(stopped(silentAfterDhcp('198.51.100.40'))).toEqual([]);
  });

  it('its next-server\'s traffic is in the capture: its silence is a stop', () => {
    expect(stopped(silentAfterDhcp(NEXT))).toHaveLength(1);
  });

  it('a boot file URL names its server: the DHCP server\'s traffic says nothing of it, its own does', () => {
    expect(stopped(silentAfterDhcp(DHCP_SERVER, 'url'))).toEqual([]);
    expect(stopped(silentAfterDhcp(NEXT, 'url'))).toHaveLength(1);
  });

  it('PXE ROMs load from siaddr, not option 66: siaddr stays a config server beside it (the flow facts keep it)', () => {
    const a = silentAfterDhcp(DHCP_SERVER, { siaddr: DHCP_SERVER, opt66: NEXT });
    const dhcp = a.clients.find((c) => c.mac === MAC)!.steps.find((s) => s.kind === 'dhcp4')!;
    expect(dhcp).toMatchObject({ nextServer: NEXT, siaddr: DHCP_SERVER });
    expect(stopped(a)).toHaveLength(1);
    // The option 66 server's traffic shows it too (a loader or phone that reads option 66).
    expect(stopped(silentAfterDhcp(NEXT, { siaddr: DHCP_SERVER, opt66: NEXT }))).toHaveLength(1);
    expect(stopped(silentAfterDhcp('198.51.100.40', { siaddr: DHCP_SERVER, opt66: NEXT }))).toEqual([]);
  });

  it('a PXE client given a file with siaddr 0 loads from the DHCP server (option 54, EDK2): its traffic judges the silence', () => {
    expect(stopped(silentAfterDhcp(DHCP_SERVER, { opt66: NEXT }))).toHaveLength(1);
    expect(stopped(silentAfterDhcp('198.51.100.40', { opt66: NEXT }))).toEqual([]);
  });

  it('a host name (option 66, a boot URL) names a server the capture cannot match: another server\'s traffic says nothing', () => {
    const other = '198.51.100.40';
    for (const named of [{ opt66: 'tftp.example.net' }, { file: 'http://boot.example.net/snponly.efi' }, { opt66: `http://prov.example.net:8080/` }]) {
      expect(stopped(silentAfterDhcp(other, named)), JSON.stringify(named)).toEqual([]);
    }
  });

  it('a boot URL of any scheme, with user info or a port, names its host', () => {
    for (const file of [`tftp://${NEXT}/snponly.efi`, `http://boot@${NEXT}:8080/snponly.efi`, `HTTPS://${NEXT}/snponly.efi`]) {
      expect(stopped(silentAfterDhcp(NEXT, { file })), file).toHaveLength(1);
      expect(stopped(silentAfterDhcp(DHCP_SERVER, { file })), file).toEqual([]);
    }
  });

  it('silence is measured from the device\'s last attempt: its OS coming up 40 s later is not silence', () => {
    expect(stopped(silentAfterDhcp(NEXT, 'siaddr', 40))).toEqual([]);
  });
});

describe('a DHCPv6 boot URL names the device\'s config server', () => {
  const MAC6 = '52:54:00:00:0e:f6';
  const SRV6: Endpoint = { addr: 'fe80::1', port: 547, mac: '52:54:00:00:0e:01' };
  const ALL: Endpoint = { addr: 'ff02::1:2', port: 547, mac: '33:33:00:01:00:02' };
  const stopped = (a: Analysis) => a.findings.filter((f) => f.client === MAC6 && f.code === 'boot.stopped' && f.severity === 'error');
  /** A UEFI PXE client over DHCPv6 given the boot URL (an IPv6 literal written in capitals), then
   *  silent for 60 s; another client fetches from `otherServer`. */
  function silentAfterDhcp6(otherServer: string): Analysis {
    const sim = new Sim();
    const cli: Endpoint = { addr: 'fe80::5054:ff:fe00:ef6', port: 546, mac: MAC6 };
    const duid: DhcpV6OptionSpec = { code: 1, value: { kind: 'll', hwType: 1, linkLayer: macFromString(MAC6) } };
    const sduid: DhcpV6OptionSpec = { code: 2, value: { kind: 'll', hwType: 1, linkLayer: macFromString(SRV6.mac!) } };
    const arch: DhcpV6OptionSpec = { code: 61, value: [7] };
    const url: DhcpV6OptionSpec = { code: 59, value: 'tftp://[2001:DB8:1::5]/snponly.efi' };
    const ia: DhcpV6OptionSpec = { code: 3, value: { iaid: 1, t1: 0, t2: 0, options: [{ code: 5, value: { address: '2001:db8:1::100', preferred: 600, valid: 600, options: [] } }] } };
    sim.dhcp6(cli, ALL, { msgType: 1, xid: 1, options: [duid, { code: 3, value: { iaid: 1, t1: 0, t2: 0, options: [] } }, arch] }, 0);
    sim.dhcp6(SRV6, cli, { msgType: 2, xid: 1, options: [duid, sduid, ia, url] }, 0.01);
    sim.dhcp6(cli, ALL, { msgType: 3, xid: 2, options: [duid, sduid, ia, arch] }, 0.02);
    sim.dhcp6(SRV6, cli, { msgType: 7, xid: 2, options: [duid, sduid, ia, url] }, 0.03);
    tftpRead(sim, { addr: '2001:db8:1::101', port: 1500, mac: '52:54:00:00:0e:f7' }, otherServer, 'snponly.efi', 2000, { t: 1 });
    return sim.finish({ end: 60 });
  }

  it('its server\'s traffic is in the capture: its silence is a stop; another server\'s says nothing', () => {
    expect(stopped(silentAfterDhcp6('2001:db8:1::5'))).toHaveLength(1);
    expect(stopped(silentAfterDhcp6('2001:db8:1::9'))).toEqual([]);
  });
});
