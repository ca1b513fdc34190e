// The built-in IPv6 "full chain" of `pxecheck lab up --ipv6`: kea-dhcp6 (+ radvd) or dnsmasq (RA +
// DHCPv6 + TFTP) answering PXE over IPv6, UEFI HTTP boot over IPv6 and iPXE with option 59
// (OPT_BOOTFILE_URL). Pure builders: options in, file text out. Same files as the IPv4 full chain
// (snponly.efi, ipxe.efi, boot.ipxe), URLs with the server's IPv6 address in brackets.
// Classes are disjoint (iPXE first, then HTTP boot, then PXE), as in fullchain.ts.
import { join } from 'node:path';
import { LAB_PREFIX6, SERVER_ADDR6, SERVER_IFACE } from './lab.js';
import { dnsmasq6Config, kea6Base, POOL6_END, POOL6_START } from './v6.js';
import { defaultBootScript } from './servers.js';

/** IANA enterprise number EDK2 (Intel, 343) puts in option 16; HttpBootDxe only checks the text. */
export const EDK2_ENTERPRISE = 343;

export interface FullChainFiles6 {
  readonly server6: string;
  /** PXE over IPv6 (arch 7/9 or vendor class PXEClient): the iPXE build using the firmware's NIC driver. */
  readonly pxeUrl: string;
  /** UEFI HTTP boot over IPv6 (arch 16 or vendor class HTTPClient). */
  readonly httpBootUrl: string;
  /** iPXE (user class "iPXE"): the script. */
  readonly ipxeScriptUrl: string;
  /** http://[server6] — base of the URLs inside the IPv6 boot.ipxe. */
  readonly httpBase6: string;
}

export function fullChainFiles6(server6 = SERVER_ADDR6): FullChainFiles6 {
  const host = `[${server6}]`;
  return {
    server6,
    pxeUrl: `tftp://${host}/snponly.efi`,
    httpBootUrl: `http://${host}/ipxe.efi`,
    ipxeScriptUrl: `http://${host}/boot.ipxe`,
    httpBase6: `http://${host}`,
  };
}

/** boot.ipxe for IPv6 clients: the IPv4 script's content, fetching vmlinuz/initrd.img over IPv6. */
export function bootScript6(f: FullChainFiles6 = fullChainFiles6()): string {
  return defaultBootScript(f.httpBase6);
}

/** How the lab announces the prefix: M=1 O=1, M=0 O=0 (the broken case), or no RA at all. */
export type RaMode = 'managed' | 'unmanaged' | 'none';

// ---------------------------------------------------------------- kea-dhcp6

/** Option 16 payload as Kea's `vendor-class` record (uint32 enterprise, binary tuples): one tuple "HTTPClient". */
export function vendorClassTupleHex(text: string): string {
  const data = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(data.length);
  return Buffer.concat([len, data]).toString('hex');
}

export interface Kea6FullChainOptions {
  readonly iface?: string;
}

/** kea-dhcp6.conf JSON; leases, server id, control socket and log live in `dir`. */
export function fullChainKea6Config(dir: string, f: FullChainFiles6 = fullChainFiles6(), o: Kea6FullChainOptions = {}): string {
  const iface = o.iface ?? SERVER_IFACE;
  const url = (data: string): Record<string, unknown> => ({ name: 'bootfile-url', data, 'always-send': true });
  // User class (15) is a list of 2-byte-length tuples: the first tuple's text starts at byte 2.
  const isIpxe = "substring(option[15].hex,2,4) == 'iPXE'";
  const vendorStarts = (p: string): string => `substring(vendor-class[*].data,0,${p.length}) == '${p}'`;
  const arch = (...a: number[]): string => a.map((n) => `option[61].hex == 0x${n.toString(16).padStart(4, '0')}`).join(' or ');
  const cfg = {
    Dhcp6: {
      // `iface/addr` also binds the global address: relayed DHCPv6 (RELAY-FORW) arrives unicast.
      ...kea6Base(dir, `${iface}/${f.server6}`),
      'client-classes': [
        { name: 'ipxe', test: isIpxe, 'option-data': [url(f.ipxeScriptUrl)] },
        {
          name: 'httpclient',
          test: `not member('ipxe') and (${vendorStarts('HTTPClient')} or ${arch(16)})`,
          // EDK2 HttpBootDxe only takes an offer whose option 16 carries "HTTPClient".
          'option-data': [
            url(f.httpBootUrl),
            { name: 'vendor-class', data: `${EDK2_ENTERPRISE}, ${vendorClassTupleHex('HTTPClient')}`, 'always-send': true },
          ],
        },
        {
          name: 'pxe',
          test: `not member('ipxe') and not member('httpclient') and (${vendorStarts('PXEClient')} or ${arch(7, 9)})`,
          'option-data': [url(f.pxeUrl)],
        },
      ],
      subnet6: [
        {
          id: 1,
          subnet: LAB_PREFIX6,
          interface: iface,
          // Only used when the client asks for it (option 14), as iPXE and some firmware do.
          'rapid-commit': true,
          pools: [{ pool: `${POOL6_START}-${POOL6_END}` }],
        },
      ],
      loggers: [{ name: 'kea-dhcp6', severity: 'INFO', output_options: [{ output: join(dir, 'kea-dhcp6.log') }] }],
    },
  };
  return JSON.stringify(cfg, null, 2) + '\n';
}

// ---------------------------------------------------------------- dnsmasq

/**
 * The IPv6 class lines for dnsmasq (tags end in 6 so they never touch the IPv4 full chain's).
 * dnsmasq 2.90 refuses `option6:vendor-class` and encodes `option6:16` as a list of length-prefixed
 * strings without the enterprise number, so "XX,HTTPClient" is sent as 00 02 'X' 'X' 00 0a
 * "HTTPClient": a well-formed option 16 (enterprise 0x00025858, one tuple "HTTPClient"), which is
 * what HttpBootDxe checks (length >= 16, "HTTPClient" at byte 6). Kea sends enterprise 343.
 */
export function dnsmasq6ClassLines(f: FullChainFiles6 = fullChainFiles6()): string[] {
  return [
    'dhcp-userclass=set:ipxe6,iPXE',
    `dhcp-vendorclass=set:http6,enterprise:${EDK2_ENTERPRISE},HTTPClient`,
    'dhcp-match=set:http6,option6:61,16',
    `dhcp-vendorclass=set:pxe6,enterprise:${EDK2_ENTERPRISE},PXEClient`,
    'dhcp-match=set:pxe6,option6:61,7',
    'dhcp-match=set:pxe6,option6:61,9',
    `dhcp-option-force=tag:ipxe6,option6:bootfile-url,${f.ipxeScriptUrl}`,
    `dhcp-option-force=tag:!ipxe6,tag:http6,option6:bootfile-url,${f.httpBootUrl}`,
    'dhcp-option-force=tag:!ipxe6,tag:http6,option6:16,XX,HTTPClient',
    `dhcp-option-force=tag:!ipxe6,tag:!http6,tag:pxe6,option6:bootfile-url,${f.pxeUrl}`,
  ];
}

/** dnsmasq's own RA lines: with a stateful DHCPv6 range its RAs carry M=1 O=1; every 10 s. */
export function dnsmasqRaLines(iface = SERVER_IFACE): string[] {
  return ['enable-ra', `ra-param=${iface},10,1800`];
}

export interface Dnsmasq6FullChainOptions {
  /** dnsmasq sends the RAs itself ('managed'); otherwise radvd (M=0) or nobody does. */
  readonly ra?: RaMode;
  readonly iface?: string;
}

/** The IPv6 part of a dual-stack dnsmasq config: DHCPv6 range, classes, RA (appended to the IPv4 full chain). */
export function dnsmasq6DualLines(f: FullChainFiles6 = fullChainFiles6(), o: Dnsmasq6FullChainOptions = {}): string[] {
  return [
    `dhcp-range=${POOL6_START},${POOL6_END},64,10m`,
    ...((o.ra ?? 'managed') === 'managed' ? dnsmasqRaLines(o.iface) : []),
    ...dnsmasq6ClassLines(f),
  ];
}

/** IPv6-only dnsmasq: DHCPv6 + (RA) + its own TFTP from tftpRoot; no DHCPv4 range, DNS off. */
export function fullChainDnsmasq6Config(dir: string, tftpRoot: string, f: FullChainFiles6 = fullChainFiles6(), o: Dnsmasq6FullChainOptions = {}): string {
  return dnsmasq6Config(dir, {
    ...(o.iface ? { iface: o.iface } : {}),
    tftpRoot,
    ra: (o.ra ?? 'managed') === 'managed' ? 'managed' : 'none',
    extraLines: dnsmasq6ClassLines(f),
  });
}

// ---------------------------------------------------------------- radvd

export interface RadvdOptions {
  readonly iface?: string;
  /** M and O flags: true = 1/1 (DHCPv6 for addresses and options), false = 0/0. Default true. */
  readonly managed?: boolean;
  /** MaxRtrAdvInterval in seconds (4 or more; radvd's minimum MinRtrAdvInterval is 3); default 10, so a client sees one soon. */
  readonly maxInterval?: number;
}

/** radvd.conf announcing 2001:db8:1::/64, on-link, not autonomous (addresses come from DHCPv6 only). */
export function fullChainRadvdConfig(o: RadvdOptions = {}): string {
  const m = (o.managed ?? true) ? 'on' : 'off';
  const max = Math.max(4, o.maxInterval ?? 10);
  return `# generated by pxecheck src/lab/fullchain-v6.ts
interface ${o.iface ?? SERVER_IFACE} {
  AdvSendAdvert on;
  MinRtrAdvInterval 3;
  MaxRtrAdvInterval ${max};
  AdvManagedFlag ${m};
  AdvOtherConfigFlag ${m};
  prefix ${LAB_PREFIX6} {
    AdvOnLink on;
    AdvAutonomous off;
  };
};
`;
}

export const RA_MODES_LIST: readonly RaMode[] = ['managed', 'unmanaged', 'none'];
