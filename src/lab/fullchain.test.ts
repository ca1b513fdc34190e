import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary } from './binaries.js';
import {
  fullChainDnsmasqConfig,
  fullChainKeaConfig,
  fullChainProxyDnsmasqConfig,
  iscDhcpdArgs,
  iscDhcpdConfig,
  makeFullChainRoot,
} from './fullchain.js';
import { run } from './run.js';

const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-fullchain-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('full-chain dnsmasq config', () => {
  const text = fullChainDnsmasqConfig('/tmp/d', '/tmp/boot');
  it('boots BIOS, UEFI x64, arm64, HTTP boot and iPXE with disjoint tags', () => {
    expect(text).toContain('dhcp-match=set:bios,option:client-arch,0\n');
    expect(text).toContain('dhcp-match=set:arm64,option:client-arch,11\n');
    expect(text).toContain('dhcp-boot=tag:ipxe,http://198.51.100.1/boot.ipxe,,198.51.100.1\n');
    expect(text).toContain('dhcp-boot=tag:!ipxe,tag:httpclient,http://198.51.100.1/ipxe.efi\n');
    expect(text).toContain('dhcp-boot=tag:!ipxe,tag:!httpclient,tag:bios,undionly.kpxe,,198.51.100.1\n');
    expect(text).toContain('dhcp-boot=tag:!ipxe,tag:!httpclient,tag:efi64,snponly.efi,,198.51.100.1\n');
    expect(text).toContain('dhcp-boot=tag:!ipxe,tag:!httpclient,tag:arm64,ipxe-arm64.efi,,198.51.100.1\n');
    expect(text).toContain('dhcp-option-force=tag:httpclient,60,HTTPClient\n');
    expect(text).toContain('enable-tftp\ntftp-root=/tmp/boot\n');
  });
  it('gives phones their options: Cisco 150+66, Polycom 160+66, Yealink 66+43, Avaya 242, Mitel 66', () => {
    expect(text).toContain('dhcp-option-force=tag:avaya,242,"MCIPADD=198.51.100.1,MCPORT=1719,HTTPSRVR=198.51.100.1"\n');
    expect(text).toContain('dhcp-option-force=tag:mitel,66,"http://198.51.100.1/mitel/"\n');
    expect(text).toContain('dhcp-vendorclass=set:cisco,Cisco Systems\n');
    expect(text).toContain('dhcp-option-force=tag:cisco,150,198.51.100.1\n');
    expect(text).toContain('dhcp-option-force=tag:cisco,66,198.51.100.1\n');
    expect(text).toContain('dhcp-option-force=tag:polycom,160,"http://198.51.100.1/polycom/"\n');
    expect(text).toContain('dhcp-option-force=tag:polycom,66,');
    expect(text).toContain('dhcp-option-force=tag:yealink,66,');
    expect(text).toContain('dhcp-option-force=tag:yealink,43,');
  });
  it('does not ping before offering, is authoritative and has the dhcp-conformance reservation', () => {
    expect(text).toContain('\nno-ping\n');
    expect(text).toContain('\ndhcp-authoritative\n');
    expect(text).toContain('\ndhcp-host=52:54:00:00:00:99,198.51.100.50\n');
  });
  it('proxy variant uses pxe-service, no address range', () => {
    const p = fullChainProxyDnsmasqConfig('/tmp/d', '/tmp/boot');
    expect(p).toContain('dhcp-range=198.51.100.0,proxy,255.255.255.0\n');
    expect(p).toContain('pxe-service=tag:!ipxe,7,"pxecheck UEFI",snponly.efi\n');
    expect(p).toContain('pxe-service=tag:!ipxe,x86PC,"pxecheck BIOS",undionly.kpxe\n');
    expect(p).not.toContain('198.51.100.100');
  });
  it.skipIf(findBinary('dnsmasq') === undefined)('dnsmasq --test accepts both (skipped without dnsmasq)', () => {
    for (const [n, t] of [['full.conf', text], ['proxy.conf', fullChainProxyDnsmasqConfig(tmp, tmp)]] as const) {
      writeFileSync(join(tmp, n), t);
      const r = run(findBinary('dnsmasq') ?? 'dnsmasq', ['--test', `--conf-file=${join(tmp, n)}`]);
      expect(r.code, r.stderr).toBe(0);
    }
  });
});

describe('full-chain Kea config', () => {
  const cfg = JSON.parse(fullChainKeaConfig('/tmp/k')).Dhcp4;
  it('classes in order, HTTPClient echoed, phone options always sent', () => {
    const names = cfg['client-classes'].map((c: { name: string }) => c.name);
    expect(names).toEqual(['ipxe', 'httpclient', 'efi64', 'bios', 'arm64', 'cisco', 'polycom', 'yealink', 'avaya', 'mitel']);
    const by = (n: string) => cfg['client-classes'].find((c: { name: string }) => c.name === n);
    expect(by('ipxe').test).toContain("option[77].hex == 'iPXE'");
    expect(by('ipxe')['boot-file-name']).toBe('http://198.51.100.1/boot.ipxe');
    expect(by('httpclient')['boot-file-name']).toBe('http://198.51.100.1/ipxe.efi');
    expect(by('httpclient')['option-data'][0]).toMatchObject({ name: 'vendor-class-identifier', data: 'HTTPClient', 'always-send': true });
    expect(by('efi64').test).toContain('option[93].hex == 0x0007');
    expect(by('bios')['boot-file-name']).toBe('undionly.kpxe');
    expect(by('arm64').test).toContain('0x000b');
    expect(by('cisco')['option-data'][0]).toMatchObject({ code: 150, data: '198.51.100.1' });
    expect(cfg['option-def'].map((d: { code: number }) => d.code)).toEqual([150, 160, 242]);
    expect(by('avaya')['option-data'][0]).toMatchObject({ code: 242, 'csv-format': false, data: Buffer.from('MCIPADD=198.51.100.1,MCPORT=1719,HTTPSRVR=198.51.100.1').toString('hex') });
    expect(by('mitel')['option-data'][0]).toMatchObject({ name: 'tftp-server-name', data: 'http://198.51.100.1/mitel/' });
  });
  it('is authoritative and reserves 198.51.100.50 for 52:54:00:00:00:99', () => {
    expect(cfg.authoritative).toBe(true);
    expect(cfg.subnet4).toHaveLength(1);
    expect(cfg.subnet4[0].reservations).toEqual([{ 'hw-address': '52:54:00:00:00:99', 'ip-address': '198.51.100.50' }]);
  });
  it.skipIf(findBinary('kea') === undefined)('kea-dhcp4 -t accepts it (skipped without kea)', () => {
    const f = join(tmp, 'kea.conf');
    writeFileSync(f, fullChainKeaConfig(tmp));
    const r = run(findBinary('kea') ?? 'kea-dhcp4', ['-t', f], { env: { ...process.env, KEA_PIDFILE_DIR: tmp, KEA_LOCKFILE_DIR: tmp } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('ISC dhcpd config', () => {
  const text = iscDhcpdConfig();
  it('defines option 93 and classes for iPXE, HTTPClient, arch 7/9/0/11 and phones', () => {
    expect(text).toContain('option arch code 93 = unsigned integer 16;\n');
    expect(text).toContain('match if (pick-first-value(option user-class, "") = "iPXE");\n  filename "http://198.51.100.1/boot.ipxe";');
    expect(text).toMatch(/class "httpclient" \{\n  match if not .* and \(substring\(pick-first-value\(option vendor-class-identifier, ""\), 0, 10\) = "HTTPClient"\);\n  filename "http:\/\/198.51.100.1\/ipxe.efi";\n  option vendor-class-identifier "HTTPClient";/);
    expect(text).toMatch(/\(option arch = 00:07 or option arch = 00:09\);\n  filename "snponly.efi";\n  next-server 198.51.100.1;/);
    expect(text).toMatch(/option arch = 00:00;\n  filename "undionly.kpxe";/);
    expect(text).toContain('option cisco-tftp-servers 198.51.100.1;');
    expect(text).toContain('option polycom-boot-server "http://198.51.100.1/polycom/";');
    expect(text).toContain('option avaya-ip-phone code 242 = text;');
    expect(text).toContain('option avaya-ip-phone "MCIPADD=198.51.100.1,MCPORT=1719,HTTPSRVR=198.51.100.1";');
    expect(text).toContain('range 198.51.100.100 198.51.100.200;');
    expect(text).toContain('\nauthoritative;\n');
    expect(text).toContain('host reserved {\n  hardware ethernet 52:54:00:00:00:99;\n  fixed-address 198.51.100.50;\n}\n');
    expect(iscDhcpdArgs('/c', '/l', '/p')).toEqual(['-4', '-f', '-cf', '/c', '-lf', '/l', '-pf', '/p', 'eth0']);
  });
  it.skipIf(findBinary('dhcpd') === undefined)('dhcpd -t accepts it (skipped without dhcpd)', () => {
    const f = join(tmp, 'dhcpd.conf');
    writeFileSync(f, text);
    const r = run(findBinary('dhcpd') ?? 'dhcpd', ['-4', '-t', '-cf', f]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe.skipIf(!existsSync('/usr/lib/ipxe/snponly.efi'))('full-chain boot root (needs Debian ipxe)', () => {
  it('holds the iPXE binaries, boot script, arm64 file and phone examples', () => {
    const d = makeFullChainRoot(join(tmp, 'boot'));
    for (const f of ['undionly.kpxe', 'snponly.efi', 'ipxe.efi', 'boot.ipxe', 'vmlinuz', 'initrd.img', 'ipxe-arm64.efi', 'SEP5254008E4101.cnf.xml', 'polycom/000000000000.cfg',
      'SEP001E7A000001.cnf.xml', 'SEP001E7A000004.cnf.xml', 'polycom/64167f000001.cfg', 'XMLDefault.cnf.xml', '46xxsettings.txt', 'mitel/startup.cfg']) {
      expect(existsSync(join(d, f)), f).toBe(true);
    }
    expect(readFileSync(join(d, 'boot.ipxe'), 'utf8')).toMatch(/^#!ipxe\n/);
  });
});
