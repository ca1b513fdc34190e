import { describe, expect, it } from 'vitest';
import { qemuArgs } from './qemu.js';

const base = { firmware: 'uefi', tap: 'tap0', mac: '52:54:00:00:00:01', romfile: '' } as const;

/** The value following each occurrence of `flag`. */
function values(args: readonly string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('qemuArgs: fw_cfg and boot menu (OVMF IPv6 boots)', () => {
  it('without the options: plain -boot n and no -fw_cfg', () => {
    const a = qemuArgs(base, 'tcg', '/tmp/v.fd', '/tmp/s.log');
    expect(values(a, '-boot')).toEqual(['n']);
    expect(a).not.toContain('-fw_cfg');
  });

  it('bootMenuMs: network first, menu shown for that long', () => {
    const a = qemuArgs({ ...base, bootMenuMs: 6000 }, 'tcg', '/tmp/v.fd', '/tmp/s.log');
    expect(values(a, '-boot')).toEqual(['order=n,menu=on,splash-time=6000']);
  });

  it('fwCfg: one -fw_cfg name=…,string=… per entry, in order, commas doubled', () => {
    const a = qemuArgs(
      { ...base, fwCfg: { 'opt/org.tianocore/IPv4Support': 'no', 'opt/org.tianocore/IPv6PXESupport': 'no', 'opt/x': 'a,b' } },
      'tcg', '/tmp/v.fd', '/tmp/s.log',
    );
    expect(values(a, '-fw_cfg')).toEqual([
      'name=opt/org.tianocore/IPv4Support,string=no',
      'name=opt/org.tianocore/IPv6PXESupport,string=no',
      'name=opt/x,string=a,,b',
    ]);
    // The firmware drives are still there (fw_cfg does not replace anything).
    expect(a).toContain('if=pflash,format=raw,file=/tmp/v.fd');
  });

  it('monitorSocket and allowReboot: a unix monitor and no -no-reboot (a machine reset to boot twice)', () => {
    const plain = qemuArgs(base, 'tcg', '/tmp/v.fd', '/tmp/s.log');
    expect(values(plain, '-monitor')).toEqual(['none']);
    expect(plain).toContain('-no-reboot');
    const a = qemuArgs({ ...base, monitorSocket: '/tmp/m.sock', allowReboot: true }, 'tcg', '/tmp/v.fd', '/tmp/s.log');
    expect(values(a, '-monitor')).toEqual(['unix:/tmp/m.sock,server,nowait']);
    expect(a).not.toContain('-no-reboot');
  });
});
