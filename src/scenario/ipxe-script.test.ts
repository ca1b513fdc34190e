import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expandSettings, interpretIpxeScript, isIpxeScript, resolveUrl, splitCommands, type IpxeAction } from './ipxe-script.js';

/** Settings as iPXE has them after its DHCP in the uefi-pxe-dnsmasq lab. */
const settings = new Map([
  ['mac', '52:54:00:00:0e:f1'], ['ip', '198.51.100.150'], ['next-server', '198.51.100.1'],
  ['filename', 'http://198.51.100.1/boot.ipxe'], ['buildarch', 'x86_64'], ['platform', 'efi'],
]);
const base = 'http://198.51.100.1/boot.ipxe';

const brief = (actions: IpxeAction[]) => actions.map((a) => {
  switch (a.kind) {
    case 'fetch': return `${a.line} fetch ${a.command} ${a.url}${a.args?.length ? ` [${a.args.join(' ')}]` : ''}`;
    case 'chain': return `${a.line} chain ${a.url}`;
    case 'boot': return `${a.line} boot ${a.name}`;
    case 'exit': return `${a.line} exit ${a.code}`;
    default: return `${a.line} ${a.kind} ${a.text}`;
  }
});

describe('the lab boot.ipxe', () => {
  const text = readFileSync(new URL('../../captures/lab/configs/uefi-pxe-dnsmasq/boot.ipxe', import.meta.url), 'utf8');

  it('fetches the kernel and initrd, then boots', () => {
    const r = interpretIpxeScript(text, { vars: settings, baseUrl: base });
    expect(brief(r.actions)).toEqual([
      '2 echo pxecheck lab: boot.ipxe from 198.51.100.1 via http://198.51.100.1/boot.ipxe',
      '3 fetch kernel http://198.51.100.1/vmlinuz [console=ttyS0]',
      '4 fetch initrd http://198.51.100.1/initrd.img',
      '5 boot vmlinuz',
    ]);
    expect(r.errors).toEqual([]);
  });

  it('follows the || branches when the fetches and the boot fail, as in the lab', () => {
    const r = interpretIpxeScript(text, {
      vars: settings, baseUrl: base, bootFails: true,
      failedUrls: new Set(['http://198.51.100.1/initrd.img']),
    });
    expect(brief(r.actions).slice(2)).toEqual([
      '4 fetch initrd http://198.51.100.1/initrd.img',
      '4 echo initrd fetch failed',
      '5 boot vmlinuz',
      '5 echo boot failed (dummy kernel, expected)',
      '6 echo pxecheck lab: done',
    ]);
  });
});

describe('a menu script with goto, isset, iseq and choose', () => {
  const menu = [
    '#!ipxe',
    'isset ${ip} || dhcp',
    'iseq ${platform} efi && set loader ipxe.efi || set loader undionly.kpxe',
    'cpuid --ext 29 && set arch amd64 || set arch i386',
    'set menu-default install',
    ':start',
    'menu Boot menu for ${net0/mac}',
    'item --gap -- Operating systems',
    'item install Install Debian ${arch}',
    'item shell iPXE shell',
    'choose --default ${menu-default} --timeout 5000 target && goto ${target} || goto failed',
    ':install',
    'echo loader is ${loader}',
    'kernel debian/${arch}/linux priority=critical',
    'initrd --name initrd debian/${arch}/initrd.gz',
    'imgargs linux initrd=initrd auto=true url=http://${next-server}/preseed/${mac:hexhyp}.cfg',
    'boot',
    ':failed',
    'echo Booting failed',
    'exit 1',
  ].join('\n');

  it('takes the default item, expands settings, resolves relative URLs', () => {
    const r = interpretIpxeScript(menu, { vars: settings, baseUrl: base });
    expect(brief(r.actions)).toEqual([
      '13 echo loader is ipxe.efi',
      '14 fetch kernel http://198.51.100.1/debian/amd64/linux [initrd=initrd auto=true url=http://198.51.100.1/preseed/52-54-00-00-0e-f1.cfg]',
      '15 fetch initrd http://198.51.100.1/debian/amd64/initrd.gz',
      '17 boot linux',
    ]);
    expect(r.vars.get('target')).toBe('install');
    expect(r.errors).toEqual([]);
  });

  it('takes the other branches on a 32-bit BIOS client and follows failures to :failed', () => {
    const bios = new Map(settings);
    bios.set('platform', 'pcbios');
    bios.set('buildarch', 'i386');
    const r = interpretIpxeScript(menu, { vars: bios, baseUrl: base, failedUrls: new Set(['http://198.51.100.1/debian/i386/linux']) });
    // The kernel fetch fails with no "||": iPXE stops the script there.
    expect(brief(r.actions)).toEqual([
      '13 echo loader is undionly.kpxe',
      '14 fetch kernel http://198.51.100.1/debian/i386/linux [priority=critical]',
      '14 error "kernel debian/i386/linux priority=critical" failed, so iPXE stops the script (append "|| …" to carry on)',
    ]);
    expect(r.errors).toHaveLength(1);
  });

  it('a choose with a bad default falls to :failed', () => {
    const r = interpretIpxeScript(menu.replace('set menu-default install', 'set menu-default nowhere'), { vars: settings, baseUrl: base });
    expect(brief(r.actions)).toEqual([
      '11 error goto nowhere: no such label',
      '19 echo Booting failed',
      '20 exit 1',
    ]);
  });
});

describe('chain', () => {
  it('stops at a chain; the runner fetches and recurses into the next script', () => {
    const first = '#!ipxe\nchain --autofree menus/${platform}.ipxe || echo chain failed\necho not reached\n';
    const r1 = interpretIpxeScript(first, { vars: settings, baseUrl: base });
    expect(brief(r1.actions)).toEqual(['2 chain http://198.51.100.1/menus/efi.ipxe']);

    const second = '#!ipxe\n# served as menus/efi.ipxe\nkernel ../images/vmlinuz\nboot\n';
    expect(isIpxeScript(second)).toBe(true);
    const r2 = interpretIpxeScript(second, { vars: r1.vars, baseUrl: r1.actions[0]!.url! });
    expect(brief(r2.actions)).toEqual(['3 fetch kernel http://198.51.100.1/images/vmlinuz', '4 boot vmlinuz']);

    const failed = interpretIpxeScript(first, { vars: settings, baseUrl: base, failedUrls: new Set(['http://198.51.100.1/menus/efi.ipxe']) });
    expect(brief(failed.actions)).toEqual(['2 chain http://198.51.100.1/menus/efi.ipxe', '2 echo chain failed', '3 echo not reached']);
  });

  it('keeps absolute and tftp URLs', () => {
    const r = interpretIpxeScript('#!ipxe\nchain tftp://${next-server}/ipxe.efi\n', { vars: settings, baseUrl: base });
    expect(r.actions[0]).toMatchObject({ kind: 'chain', url: 'tftp://198.51.100.1/ipxe.efi' });
    expect(resolveUrl('b.ipxe', 'tftp://198.51.100.1/dir/a.ipxe')).toBe('tftp://198.51.100.1/dir/b.ipxe');
    expect(resolveUrl('b.ipxe', undefined)).toBe('b.ipxe');
  });
});

describe('robustness', () => {
  it('rejects a file without the #!ipxe header', () => {
    const r = interpretIpxeScript('<html>404</html>\n', { vars: settings });
    expect(r.actions).toEqual([{ kind: 'error', line: 1, text: 'not an iPXE script: the first line must be "#!ipxe", found "<html>404</html>"' }]);
  });

  it('stops a goto loop after maxSteps lines', () => {
    const r = interpretIpxeScript('#!ipxe\n:again\necho spin\ngoto again\n', { vars: settings, maxSteps: 50 });
    expect(r.actions.filter((a) => a.kind === 'echo')).toHaveLength(25);
    expect(r.errors).toEqual(['line 3: stopped after 50 lines: the script loops (check its goto targets)']);
  });

  it('warns on unknown commands and carries on', () => {
    const r = interpretIpxeScript('#!ipxe\nfrobnicate now\necho after\n', { vars: settings });
    expect(brief(r.actions)).toEqual(['2 warning unknown command "frobnicate": not modelled, assumed to succeed', '3 echo after']);
  });

  it('an unset setting expands to an empty argument, as in iPXE', () => {
    const r = interpretIpxeScript('#!ipxe\niseq ${nothing} x || echo differ\niseq ${nothing} ${nada} && echo same\n', { vars: settings });
    expect(brief(r.actions)).toEqual(['2 echo differ', '3 echo same']);
  });

  it('; runs the next command regardless; # comments out the rest', () => {
    const r = interpretIpxeScript('#!ipxe\nisset ${nope} || echo a ; echo b # && echo c\n', { vars: settings });
    expect(brief(r.actions)).toEqual(['2 echo a', '2 echo b']);
  });

  it('a trailing || makes a failed test harmless; without it the script stops', () => {
    expect(interpretIpxeScript('#!ipxe\nisset ${nope} && echo yes ||\necho next\n', { vars: settings }).actions.map((a) => a.kind)).toEqual(['echo']);
    expect(interpretIpxeScript('#!ipxe\nisset ${nope} && echo yes\necho next\n', { vars: settings }).actions.map((a) => a.kind)).toEqual(['error']);
  });

  it('boot with nothing loaded is an error', () => {
    expect(interpretIpxeScript('#!ipxe\nboot\n', { vars: settings }).errors).toEqual(['line 2: boot: no image loaded (use kernel or chain first)']);
  });

  it('expands scoped settings and format types', () => {
    expect(expandSettings('${net0/mac:hexraw} ${net0/ip} ${mac:hexhyp} ${unset}|', settings)).toBe('5254000000ef1 198.51.100.150 52-54-00-00-0e-f1 |'.replace('5254000000ef1', '525400000ef1'));
    expect(splitCommands('kernel  x\targ || echo "a b" && goto ${t} #c d')).toEqual([
      { tokens: ['kernel', 'x', 'arg'], then: '||' }, { tokens: ['echo', '"a', 'b"'], then: '&&' }, { tokens: ['goto', '${t}'], then: null },
    ]);
  });
});
