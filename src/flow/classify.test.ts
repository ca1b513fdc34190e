/** What ends a boot chain and what only goes with it (looksLikeKernel vs looksLikeKernelCompanion). */
import { describe, expect, it } from 'vitest';
import { looksLikeBootProgram, looksLikeKernel, looksLikeKernelCompanion } from './classify.js';

describe('kernels and what goes with them', () => {
  it('an initrd, a cpio, a WIM and its .sdi go with a kernel and end no chain alone', () => {
    for (const f of ['initrd.img', 'initrd', 'initramfs-6.1.img', '/boot/x86_64/initrd.gz', 'rootfs.cpio.gz', 'sources/boot.wim', 'boot/boot.sdi']) {
      expect(looksLikeKernel(f), f).toBe(true);
      expect(looksLikeKernelCompanion(f), f).toBe(true);
    }
  });
  it('kernels, loaders and images iPXE sanboots alone are not companions', () => {
    for (const f of ['vmlinuz', 'vmlinuz-6.1.0-amd64', 'linux', 'bzImage', 'wimboot', 'memdisk', 'mboot.efi', 'grubx64.efi',
      'ubuntu-24.04-live-server-amd64.iso', 'freedos.img', 'winpe.iso']) {
      expect(looksLikeKernel(f), f).toBe(true);
      expect(looksLikeKernelCompanion(f), f).toBe(false);
    }
  });
});

describe('remembered answers', () => {
  // The two questions are asked of the same names: each keeps its own answers, asked again, and
  // after more distinct names than its table holds (it starts over).
  const names = ['undionly.kpxe', 'initrd.img', 'boot/x86_64/vmlinuz', 'ipxe.efi', 'pxelinux.cfg/default', 'grubx64.efi', 'boot.ipxe'];
  const direct = names.map((n) => [looksLikeBootProgram(n), looksLikeKernel(n)]);

  it('gives each question its own answer for a name, however often asked', () => {
    expect(direct.map(([p]) => p)).toEqual([true, false, true, true, false, true, true]);
    expect(direct.map(([, k]) => k)).toEqual([false, true, true, false, false, true, false]);
    for (let round = 0; round < 3; round++) {
      for (const [i, n] of names.entries()) {
        expect(looksLikeKernel(n), n).toBe(direct[i]![1]);
        expect(looksLikeBootProgram(n), n).toBe(direct[i]![0]);
      }
    }
  });

  it('answers the same after many other names and for a long one', () => {
    for (let i = 0; i < 3_000; i++) looksLikeKernel(`cfg/host-${i}.txt`);
    names.forEach((n, i) => expect([looksLikeBootProgram(n), looksLikeKernel(n)], n).toEqual(direct[i]));
    const long = `${'d/'.repeat(200)}vmlinuz`;
    expect(looksLikeKernel(long)).toBe(true);
    expect(looksLikeBootProgram(long)).toBe(true);
  });
});
