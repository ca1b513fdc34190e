// The built-in "full chain" boot server config of `pxecheck lab up`, for dnsmasq, Kea and ISC dhcpd:
// BIOS PXE, UEFI x64 PXE, arm64 UEFI, UEFI HTTP boot, iPXE and the Cisco/Polycom/Yealink phones.
// Pure builders: options in, file text out. The class sets are disjoint (iPXE first, then HTTP boot,
// then by architecture), so no server's "first/last match wins" rule changes the answer.
import { existsSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { POOL_END, POOL_START, SERVER_ADDR, SERVER_IFACE } from './lab.js';
import { dnsmasqConfig, IPXE_DIR, keaDhcp4Config, makeBootRoot } from './servers.js';

export interface FullChainFiles {
  readonly server: string;
  readonly bios: string;
  readonly efi64: string;
  readonly arm64: string;
  readonly httpBoot: string;
  readonly ipxeScript: string;
  readonly polycomUrl: string;
  readonly yealinkUrl: string;
  /** Avaya 96xx option 242: call server and the HTTP server of 46xxsettings.txt. */
  readonly avaya242: string;
  /** Mitel 6800/6900 SIP phones: option 66 names the configuration server (startup.cfg). */
  readonly mitelUrl: string;
  /** Mitel MiVoice phones: option 43 as `id:ipphone.mitel.com;sw_tftp=…;call_srv=…`. */
  readonly mitel43: string;
}

export function fullChainFiles(server = SERVER_ADDR): FullChainFiles {
  return {
    server,
    bios: 'undionly.kpxe',
    efi64: 'snponly.efi',
    arm64: 'ipxe-arm64.efi',
    httpBoot: `http://${server}/ipxe.efi`,
    ipxeScript: `http://${server}/boot.ipxe`,
    polycomUrl: `http://${server}/polycom/`,
    yealinkUrl: `http://${server}/yealink/`,
    avaya242: `MCIPADD=${server},MCPORT=1719,HTTPSRVR=${server}`,
    mitelUrl: `http://${server}/mitel/`,
    mitel43: `id:ipphone.mitel.com;sw_tftp=${server};call_srv=${server}`,
  };
}

/** Example phone MAC (the one in captures/lab); its Cisco config file is SEP<MAC>.cnf.xml. */
export const SAMPLE_PHONE_MAC = '52:54:00:8e:41:01';

/** Cisco phones the lab has a SEP<MAC>.cnf.xml for: the sample plus scenarios/cisco-phone.yaml's range. */
export const CISCO_PHONE_MACS: readonly string[] = [
  SAMPLE_PHONE_MAC, '00:1e:7a:00:00:01', '00:1e:7a:00:00:02', '00:1e:7a:00:00:03', '00:1e:7a:00:00:04',
];
/** Polycom phones with their own polycom/<mac>.cfg (scenarios/polycom-phone.yaml); others use the master file. */
export const POLYCOM_PHONE_MACS: readonly string[] = ['64:16:7f:00:00:01', '64:16:7f:00:00:02'];

/** A fixed address, as real deployments give printers and servers (scenarios/dhcp-conformance.yaml checks it). */
export const RESERVATION = { mac: '52:54:00:00:00:99', addr: '198.51.100.50' } as const;

const plainMac = (mac: string): string => mac.replace(/:/g, '').toLowerCase();

// ---------------------------------------------------------------- dnsmasq

/** dnsmasq with DHCP + its own TFTP server (`tftpRoot`). */
export function fullChainDnsmasqConfig(dir: string, tftpRoot: string, f: FullChainFiles = fullChainFiles()): string {
  const s = f.server;
  return dnsmasqConfig(dir, {
    tftpRoot,
    extraLines: [
      // The lab is a test bed: without this dnsmasq pings every new address and waits ~3 s before
      // offering, which makes several concurrent clients miss a DORA budget of a few seconds.
      'no-ping',
      // The only DHCP server on this network: NAK a REQUEST for an address from another network.
      'dhcp-authoritative',
      `dhcp-host=${RESERVATION.mac},${RESERVATION.addr}`,
      'dhcp-match=set:bios,option:client-arch,0',
      'dhcp-match=set:arm64,option:client-arch,11',
      'dhcp-vendorclass=set:httpclient,HTTPClient',
      'dhcp-vendorclass=set:cisco,Cisco Systems',
      'dhcp-vendorclass=set:polycom,Polycom',
      'dhcp-vendorclass=set:yealink,yealink',
      'dhcp-vendorclass=set:yealink,Yealink',
      'dhcp-vendorclass=set:avaya,ccp.avaya.com',
      'dhcp-vendorclass=set:mitel,Mitel',
      // HTTP boot clients send arch 16/19, never 0/7/9/11, so these tag sets do not overlap.
      `dhcp-boot=tag:ipxe,${f.ipxeScript},,${s}`,
      `dhcp-boot=tag:!ipxe,tag:httpclient,${f.httpBoot}`,
      `dhcp-boot=tag:!ipxe,tag:!httpclient,tag:bios,${f.bios},,${s}`,
      `dhcp-boot=tag:!ipxe,tag:!httpclient,tag:efi64,${f.efi64},,${s}`,
      `dhcp-boot=tag:!ipxe,tag:!httpclient,tag:arm64,${f.arm64},,${s}`,
      // UEFI HTTP boot only accepts an offer that echoes vendor class "HTTPClient".
      'dhcp-option-force=tag:httpclient,60,HTTPClient',
      `dhcp-option-force=tag:cisco,150,${s}`,
      `dhcp-option-force=tag:cisco,66,${s}`,
      `dhcp-option-force=tag:polycom,160,"${f.polycomUrl}"`,
      `dhcp-option-force=tag:polycom,66,"${f.polycomUrl}"`,
      `dhcp-option-force=tag:yealink,66,"${f.yealinkUrl}"`,
      `dhcp-option-force=tag:yealink,43,"${f.yealinkUrl}"`,
      `dhcp-option-force=tag:avaya,242,"${f.avaya242}"`,
      `dhcp-option-force=tag:mitel,66,"${f.mitelUrl}"`,
      `dhcp-option-force=tag:mitel,43,"${f.mitel43}"`,
    ],
  });
}

/** proxyDHCP variant: dnsmasq gives boot info only (another server, e.g. Kea on .2, gives addresses). */
export function fullChainProxyDnsmasqConfig(dir: string, tftpRoot: string, f: FullChainFiles = fullChainFiles()): string {
  return dnsmasqConfig(dir, {
    mode: 'proxy',
    tftpRoot,
    biosBootFile: f.bios,
    efiBootFile: f.efi64,
    ipxeBootFile: f.ipxeScript,
    extraLines: [`pxe-service=tag:!ipxe,ARM64_EFI,"pxecheck arm64 UEFI",${f.arm64}`],
  });
}

// ---------------------------------------------------------------- Kea

const hex = (s: string): string => '0x' + Buffer.from(s, 'utf8').toString('hex');

/** Kea needs option-def for the non-standard phone options 150, 160 and 242. */
export const PHONE_OPTION_DEFS: readonly Record<string, unknown>[] = [
  { name: 'cisco-tftp-servers', code: 150, type: 'ipv4-address', array: true, space: 'dhcp4' },
  { name: 'polycom-boot-server', code: 160, type: 'string', space: 'dhcp4' },
  { name: 'avaya-ip-phone', code: 242, type: 'string', space: 'dhcp4' },
];

export function fullChainKeaConfig(dir: string, f: FullChainFiles = fullChainFiles()): string {
  const base = JSON.parse(keaDhcp4Config(dir)) as { Dhcp4: Record<string, unknown> };
  const s = f.server;
  const notIpxe = "not member('ipxe')";
  const notHttp = "not member('httpclient')";
  const vendorStarts = (prefix: string): string => `substring(option[60].hex,0,${prefix.length}) == '${prefix}'`;
  const always = (o: Record<string, unknown>): Record<string, unknown> => ({ ...o, 'always-send': true });
  base.Dhcp4['option-def'] = PHONE_OPTION_DEFS;
  // The only DHCP server on this network: NAK a REQUEST for an unknown or foreign address.
  base.Dhcp4['authoritative'] = true;
  const subnets = base.Dhcp4['subnet4'] as Record<string, unknown>[];
  for (const sn of subnets) sn['reservations'] = [{ 'hw-address': RESERVATION.mac, 'ip-address': RESERVATION.addr }];
  base.Dhcp4['client-classes'] = [
    { name: 'ipxe', test: "option[77].hex == 'iPXE' or option[175].exists", 'boot-file-name': f.ipxeScript, 'next-server': s },
    {
      name: 'httpclient',
      test: `${notIpxe} and ${vendorStarts('HTTPClient')}`,
      'boot-file-name': f.httpBoot,
      'option-data': [always({ name: 'vendor-class-identifier', data: 'HTTPClient' })],
    },
    { name: 'efi64', test: `${notIpxe} and ${notHttp} and (option[93].hex == 0x0007 or option[93].hex == 0x0009)`, 'boot-file-name': f.efi64, 'next-server': s },
    { name: 'bios', test: `${notIpxe} and ${notHttp} and option[93].hex == 0x0000`, 'boot-file-name': f.bios, 'next-server': s },
    { name: 'arm64', test: `${notIpxe} and ${notHttp} and option[93].hex == 0x000b`, 'boot-file-name': f.arm64, 'next-server': s },
    {
      name: 'cisco',
      test: vendorStarts('Cisco Systems'),
      'option-data': [always({ name: 'cisco-tftp-servers', code: 150, data: s }), always({ name: 'tftp-server-name', data: s })],
    },
    {
      name: 'polycom',
      test: vendorStarts('Polycom'),
      'option-data': [always({ name: 'polycom-boot-server', code: 160, data: f.polycomUrl }), always({ name: 'tftp-server-name', data: f.polycomUrl })],
    },
    {
      name: 'yealink',
      test: `${vendorStarts('yealink')} or ${vendorStarts('Yealink')}`,
      // Kea only sends a raw option 43 with a class-level definition of it as binary.
      'option-def': [{ name: 'vendor-encapsulated-options', code: 43, type: 'binary' }],
      'option-data': [
        always({ name: 'tftp-server-name', data: f.yealinkUrl }),
        always({ name: 'vendor-encapsulated-options', code: 43, data: hex(f.yealinkUrl).slice(2) }),
      ],
    },
    // Kea reads commas in option data as field separators: the 242 string goes as hex.
    { name: 'avaya', test: vendorStarts('ccp.avaya.com'), 'option-data': [always({ name: 'avaya-ip-phone', code: 242, 'csv-format': false, data: hex(f.avaya242).slice(2) })] },
    {
      name: 'mitel',
      test: vendorStarts('Mitel'),
      'option-def': [{ name: 'vendor-encapsulated-options', code: 43, type: 'binary' }],
      'option-data': [
        always({ name: 'tftp-server-name', data: f.mitelUrl }),
        always({ name: 'vendor-encapsulated-options', code: 43, data: hex(f.mitel43).slice(2) }),
      ],
    },
  ];
  return JSON.stringify(base, null, 2) + '\n';
}

// ---------------------------------------------------------------- ISC dhcpd

export interface IscDhcpdOptions {
  readonly poolStart?: string;
  readonly poolEnd?: string;
}

/** dhcpd.conf for `dhcpd -4 -f -cf CONF -lf LEASES -pf PID eth0`; TFTP comes from tftpd-hpa. */
export function iscDhcpdConfig(f: FullChainFiles = fullChainFiles(), o: IscDhcpdOptions = {}): string {
  const s = f.server;
  const net = s.replace(/\.\d+$/, '.0');
  // A missing option makes an ISC expression *undefined*, and `not undefined` is undefined (no
  // match): pick-first-value turns "absent" into "" so the negations below hold for plain clients.
  const userClass = 'pick-first-value(option user-class, "")';
  const vendor = 'pick-first-value(option vendor-class-identifier, "")';
  const isIpxe = `(${userClass} = "iPXE")`;
  const isHttp = `(substring(${vendor}, 0, 10) = "HTTPClient")`;
  const plain = `not ${isIpxe} and not ${isHttp}`;
  return `# generated by pxecheck src/lab/fullchain.ts
option arch code 93 = unsigned integer 16;
option cisco-tftp-servers code 150 = array of ip-address;
option polycom-boot-server code 160 = text;
option avaya-ip-phone code 242 = text;
authoritative;
ddns-update-style none;
default-lease-time 600;
max-lease-time 600;
ping-check false;

class "ipxe" {
  match if ${isIpxe};
  filename "${f.ipxeScript}";
  next-server ${s};
}
class "httpclient" {
  match if not ${isIpxe} and ${isHttp};
  filename "${f.httpBoot}";
  option vendor-class-identifier "HTTPClient";
}
class "efi64" {
  match if ${plain} and (option arch = 00:07 or option arch = 00:09);
  filename "${f.efi64}";
  next-server ${s};
}
class "bios" {
  match if ${plain} and option arch = 00:00;
  filename "${f.bios}";
  next-server ${s};
}
class "arm64" {
  match if ${plain} and option arch = 00:0b;
  filename "${f.arm64}";
  next-server ${s};
}
class "cisco" {
  match if substring(${vendor}, 0, 13) = "Cisco Systems";
  option cisco-tftp-servers ${s};
  option tftp-server-name "${s}";
}
class "polycom" {
  match if substring(${vendor}, 0, 7) = "Polycom";
  option polycom-boot-server "${f.polycomUrl}";
  option tftp-server-name "${f.polycomUrl}";
}
class "yealink" {
  match if (substring(${vendor}, 0, 7) = "yealink") or (substring(${vendor}, 0, 7) = "Yealink");
  option tftp-server-name "${f.yealinkUrl}";
  option vendor-encapsulated-options "${f.yealinkUrl}";
}
class "avaya" {
  match if substring(${vendor}, 0, 13) = "ccp.avaya.com";
  option avaya-ip-phone "${f.avaya242}";
}
class "mitel" {
  match if substring(${vendor}, 0, 5) = "Mitel";
  option tftp-server-name "${f.mitelUrl}";
  option vendor-encapsulated-options "${f.mitel43}";
}

subnet ${net} netmask 255.255.255.0 {
  range ${o.poolStart ?? POOL_START} ${o.poolEnd ?? POOL_END};
  option routers ${s};
  next-server ${s};
}

host reserved {
  hardware ethernet ${RESERVATION.mac};
  fixed-address ${RESERVATION.addr};
}
`;
}

export function iscDhcpdArgs(conf: string, leases: string, pidFile: string, iface = SERVER_IFACE): string[] {
  return ['-4', '-f', '-cf', conf, '-lf', leases, '-pf', pidFile, iface];
}

// ---------------------------------------------------------------- boot root

export const ARM64_PLACEHOLDER_TEXT =
  'pxecheck lab placeholder: Debian\'s ipxe package ships no arm64 iPXE binary.\n' +
  'Replace this file with a real arm64 EFI boot program (e.g. ipxe snponly.efi built for arm64).\n';

/** makeBootRoot plus the full-chain extras: arm64 file (real or placeholder), phone config examples. */
export function makeFullChainRoot(dir: string, f: FullChainFiles = fullChainFiles()): string {
  makeBootRoot(dir, { httpBase: `http://${f.server}` });
  const arm = join(IPXE_DIR, 'ipxe-arm64.efi');
  if (existsSync(arm)) copyFileSync(arm, join(dir, f.arm64));
  else writeFileSync(join(dir, f.arm64), ARM64_PLACEHOLDER_TEXT);
  for (const phone of CISCO_PHONE_MACS) {
    writeFileSync(
      join(dir, `SEP${plainMac(phone).toUpperCase()}.cnf.xml`),
      `<?xml version="1.0" encoding="UTF-8"?>\n<!-- pxecheck lab example Cisco phone config for ${phone} -->\n` +
        `<device>\n  <devicePool><callManagerGroup><members><member priority="0"><callManager>\n` +
        `    <processNodeName>${f.server}</processNodeName>\n  </callManager></member></members></callManagerGroup></devicePool>\n` +
        `  <loadInformation></loadInformation>\n</device>\n`,
    );
  }
  // What a Cisco phone without its own SEP<MAC>.cnf.xml falls back to (any MAC of a phone storm).
  writeFileSync(join(dir, 'XMLDefault.cnf.xml'), `<?xml version="1.0" encoding="UTF-8"?>\n<!-- pxecheck lab example Cisco default config -->\n<Default>\n  <callManagerGroup><members><member priority="0"><callManager>\n    <processNodeName>${f.server}</processNodeName>\n  </callManager></member></members></callManagerGroup>\n</Default>\n`);
  for (const sub of ['polycom', 'yealink', 'mitel']) mkdirSync(join(dir, sub), { recursive: true });
  // Avaya 96xx: HTTPSRVR of option 242 serves 46xxsettings.txt; Mitel SIP phones: startup.cfg.
  writeFileSync(join(dir, '46xxsettings.txt'), '## pxecheck lab example Avaya 96xx settings\nSET SIP_CONTROLLER_LIST 198.51.100.1:5060;transport=udp\n');
  writeFileSync(join(dir, 'mitel', 'startup.cfg'), '# pxecheck lab example Mitel SIP phone startup config\nsip proxy ip: 198.51.100.1\n');
  writeFileSync(join(dir, 'polycom', '000000000000.cfg'), '<?xml version="1.0"?>\n<!-- pxecheck lab example Polycom master config -->\n<APPLICATION />\n');
  for (const phone of POLYCOM_PHONE_MACS) {
    writeFileSync(join(dir, 'polycom', `${plainMac(phone)}.cfg`), `<?xml version="1.0"?>\n<!-- pxecheck lab example Polycom per-phone config for ${phone} -->\n<PHONE_CONFIG />\n`);
  }
  writeFileSync(join(dir, 'yealink', 'y000000000000.cfg'), '#!version:1.0.0.1\n# pxecheck lab example Yealink config\n');
  return dir;
}
