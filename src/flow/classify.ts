/** Names and classes the flow engine and rules recognise: stages, phones, boot programs, arches. */
import type { DhcpV4Message } from '../wire/dhcpv4/index.js';
import { isHttpClient, isIpxe, isPxeClient, vendorClass } from '../wire/dhcpv4/index.js';
import type { ClientStage, HttpStep } from './types.js';
import { CUT_MARK } from '../wire/tftp.js';

/** Known IP-phone vendor classes (option 60), matched case-insensitively anywhere in the text. */
const PHONE_VENDOR = /cisco[^]*(phone|cp-)|polycom|yealink|avaya|ccp\.avaya|mitel|snom|grandstream|aastra|panasonic|fanvil|shoretel|alcatel|htek|gigaset/i;

export type PhoneVendor = 'cisco' | 'polycom' | 'yealink' | 'avaya' | 'mitel' | 'other';

export function phoneVendor(vc: string | null): PhoneVendor | null {
  if (!vc || !PHONE_VENDOR.test(vc)) return null;
  const l = vc.toLowerCase();
  if (l.includes('cisco')) return 'cisco';
  if (l.includes('polycom')) return 'polycom';
  if (l.includes('yealink')) return 'yealink';
  if (l.includes('avaya')) return 'avaya';
  if (l.includes('mitel')) return 'mitel';
  return 'other';
}

/**
 * Which boot stage sent a client message. iPXE also sends "PXEClient…" in option 60, so the iPXE
 * test (user class "iPXE" or option 175) comes first.
 */
export function clientStage(msg: DhcpV4Message): ClientStage {
  if (isIpxe(msg)) return 'ipxe';
  if (isPxeClient(msg)) return 'firmware';
  if (isHttpClient(msg)) return 'httpboot';
  if (phoneVendor(vendorClass(msg)) !== null) return 'phone';
  return 'os';
}

/** Last path component, lower-cased, without a query string. */
export function baseName(path: string): string {
  // A scan rather than two splits: called several times per step by attempts, progress and rules.
  let end = path.length;
  for (let i = 0; i < end; i++) {
    const c = path.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) end = i;
  }
  let start = 0;
  for (let i = end - 1; i >= 0; i--) {
    const c = path.charCodeAt(i);
    if (c === 47 /* / */ || c === 92 /* \ */) {
      start = i + 1;
      break;
    }
  }
  return (start === 0 && end === path.length ? path : path.slice(start, end)).toLowerCase();
}

/** BIOS (real-mode PXE) boot programs: *.kpxe, *.kkpxe, *.pxe, *.0, *.com, pxelinux.0, undionly*. */
export function isBiosProgram(path: string): boolean {
  const b = baseName(path);
  return /\.(kpxe|kkpxe|pxe|0|com)$/.test(b) || b.startsWith('undionly');
}

export function isEfiProgram(path: string): boolean {
  return baseName(path).endsWith('.efi');
}

/** iPXE binaries (handing one to a client already running iPXE loops). */
export function isIpxeBinary(path: string): boolean {
  const b = baseName(path);
  return /^(ipxe|undionly|snponly|snp)\b.*\.(efi|kpxe|kkpxe|pxe|lkrn|usb|iso)$/.test(b)
    || /^ipxe[-_.]/.test(b) && /\.(efi|kpxe|kkpxe|pxe|lkrn)$/.test(b);
}

/** An iPXE script: only iPXE fetches and runs one, so a chain whose first fetch is one runs iPXE. */
export function isIpxeScript(path: string): boolean {
  return /\.ipxe$/i.test(baseName(path));
}

/** Answers of `looksLikeBootProgram` / `looksLikeKernel` by path: the rules and the attempt split
 *  ask them of every step of every device (a lower-cased copy and up to five regexps a call), and a
 *  capture names few distinct files. Bounded: a full table starts over. */
const REMEMBERED_PATHS = 1_024;
/** Longer paths (rare, a URL with a long query) are judged each time, not held. */
const REMEMBERED_LENGTH = 256;
const bootPrograms = new Map<string, boolean>();
const kernels = new Map<string, boolean>();

function remembered(table: Map<string, boolean>, path: string, judge: (path: string) => boolean): boolean {
  if (path.length > REMEMBERED_LENGTH) return judge(path);
  const hit = table.get(path);
  if (hit !== undefined) return hit;
  const v = judge(path);
  if (table.size >= REMEMBERED_PATHS) table.clear();
  table.set(path, v);
  return v;
}

/** A file that looks like a boot program (loader, kernel, iPXE script) rather than config/data. */
export function looksLikeBootProgram(path: string): boolean {
  return remembered(bootPrograms, path, bootProgramName);
}

function bootProgramName(path: string): boolean {
  const b = baseName(path);
  return /\.(efi|kpxe|kkpxe|pxe|0|com|lkrn|ipxe|c32)$/.test(b) || /^(vmlinuz|linux|bzimage|kernel)/.test(b);
}

/**
 * What ends a network boot chain once iPXE (or another chainloaded loader) runs: an OS kernel, a
 * loader for one (wimboot, memdisk, an EFI program other than iPXE), or an image to boot
 * (initrd, WIM, ISO). An iPXE script or a config file is a step on the way, not the end.
 */
export function looksLikeKernel(path: string): boolean {
  return remembered(kernels, path, kernelName);
}

function kernelName(path: string): boolean {
  const b = baseName(path);
  if (/^(vmlinu[xz]|linux|bzimage|kernel|wimboot|memdisk|mboot|xen|initrd|initramfs|bootmgr)/.test(b)) return true;
  if (/\.(krn|wim|sdi|iso|img|cpio|squashfs)(\.(gz|xz|zst|lz4))?$/.test(b)) return true;
  return isEfiProgram(b) && !isIpxeBinary(b);
}

/** What a kernel or wimboot is handed beside it (initrd, initramfs, .cpio; a WIM and its .sdi),
 *  never booted alone: looksLikeKernel matches these too, but one loaded neither ends the chain nor
 *  makes good a kernel's failure. An .iso or .img stays a kernel: iPXE `sanboot` boots one alone. */
export function looksLikeKernelCompanion(path: string): boolean {
  const b = baseName(path);
  if (/^(vmlinu[xz]|linux|bzimage|kernel|wimboot|memdisk|mboot|xen|bootmgr)/.test(b)) return false;
  return /^(initrd|initramfs)/.test(b) || /\.(wim|sdi|cpio)(\.(gz|xz|zst|lz4))?$/.test(b);
}

const UEFI_ARCHES = new Set([6, 7, 8, 9, 10, 11, 15, 16, 17, 18, 19, 25, 26, 27, 28, 29, 30, 33, 34, 35, 36, 37, 38, 39, 40]);

export function isUefiArch(arch: number): boolean {
  return UEFI_ARCHES.has(arch);
}

/** x86 BIOS (0) and x86 BIOS HTTP (20). */
export function isBiosArch(arch: number): boolean {
  return arch === 0 || arch === 20;
}

// ---- names the capture cut ----

/** The captured part of a TFTP file name: without the cut mark when the snap length cut it. */
export function capturedName(file: string, cut: boolean): string {
  return cut && file.endsWith(CUT_MARK) ? file.slice(0, -CUT_MARK.length) : file;
}

/** Two requested names are the same file as far as the capture shows: both whole and equal, or,
 *  where one is cut, the other starts with what was captured of it (both cut: one is the start of
 *  the other). Only for one client's requests: two devices' cut names may be two files. */
export function sameFileAsSeen(a: string, aCut: boolean, b: string, bCut: boolean): boolean {
  if (!aCut && !bCut) return a === b;
  const x = capturedName(a, aCut), y = capturedName(b, bCut);
  if (aCut && bCut) return x.startsWith(y) || y.startsWith(x);
  return aCut ? y.startsWith(x) : x.startsWith(y);
}

/** What a requested name is for classifying it: the name when whole; when cut, the one file a DHCP
 *  answer named (`named`: boot file names as given) that starts with what was captured; else null —
 *  unknown: no classifier may call it a boot program, a kernel or a config. */
export function knownName(file: string, cut: boolean, named: Iterable<string>): string | null {
  if (!cut) return file;
  const seen = trimSlash(capturedName(file, true));
  if (seen === '') return null;
  let hit: string | null = null;
  for (const n of named) {
    if (!trimSlash(n).startsWith(seen)) continue;
    if (hit !== null && trimSlash(hit) !== trimSlash(n)) return null;
    hit = n;
  }
  return hit;
}

function trimSlash(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}

/** A fetch that got its file as far as the capture shows: ok, or answered 2xx where the snap
 *  length cut the head or the body (the sender's sequence numbers, not the capture, hold the
 *  rest) and the connection did not close inside the response (`endedShort`: a stalled download). */
export function httpFetched(s: { readonly step: HttpStep; readonly endedShort: boolean }): boolean {
  const st = s.step;
  return st.ok || (st.cut === true && !s.endedShort && st.status !== null && st.status >= 200 && st.status < 300);
}
