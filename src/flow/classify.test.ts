/** What ends a boot chain and what only goes with it (looksLikeKernel vs looksLikeKernelCompanion). */
import { describe, expect, it } from 'vitest';
import { looksLikeKernel, looksLikeKernelCompanion } from './classify.js';

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
