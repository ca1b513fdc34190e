/**
 * How far a boot attempt got, from its steps alone: the furthest stage, whether it reached its
 * goal (the boot program loaded; after a chainload to iPXE, the kernel or image its script boots;
 * a phone's configuration), and the time to its boot program.
 */
import { baseName, isIpxeBinary, isIpxeScript, knownName, looksLikeBootProgram, looksLikeKernel, looksLikeKernelCompanion } from './classify.js';
import type { AttemptEntry, StepFacts } from './facts.js';
import { CUT_MARK } from '../wire/tftp.js';

/** Stages in boot order: DHCP, proxyDHCP, the boot program (NBP), iPXE's own DHCP, its script,
 *  the kernel/image it boots; a phone's (or provisioned device's) configuration. */
export const BOOT_STAGES = ['dhcp', 'proxydhcp', 'boot-program', 'ipxe', 'script', 'kernel', 'config'] as const;
export type BootStage = (typeof BOOT_STAGES)[number];

export interface AttemptProgress {
  /** Furthest stage reached (attempted), null when nothing of a boot was seen. */
  stage: BootStage | null;
  /** Its goal was reached (see the file comment). */
  loaded: boolean;
  /** The first boot program it fetched (path or URL). */
  bootProgram: string | null;
  /** Seconds from the attempt's first packet to the start of its last boot-program fetch. */
  timeToBootProgram: number | null;
}

export function attemptProgress(steps: readonly StepFacts[], entry: AttemptEntry, start: number): AttemptProgress {
  const named = new Set<string>();
  const namedWhole = new Set<string>();
  for (const s of steps) {
    const f = s.kind === 'dhcp4' || s.kind === 'proxydhcp' ? s.step.bootfile : s.kind === 'dhcp6' ? s.step.bootfileUrl : null;
    if (f) { named.add(baseName(f)); namedWhole.add(f); }
  }
  // A name the cut ran into counts as the file it is the start of, when DHCP named one; else it
  // is unknown (null): neither a boot program, a kernel nor a config — never the goal reached.
  const fileOf = (s: StepFacts): string | null => s.kind === 'tftp' ? knownName(s.step.file, s.step.cut === 'file', namedWhole)
    : s.kind === 'http' ? knownName(s.step.url, s.step.url.endsWith(CUT_MARK), namedWhole) : null;
  let stage: BootStage | null = null;
  const reach = (x: BootStage): void => {
    if (stage === null || BOOT_STAGES.indexOf(x) > BOOT_STAGES.indexOf(stage)) stage = x;
  };
  // A transfer seen without its DHCP that is no boot program (a config, a firmware image) is a
  // device provisioning itself: fetching it is the goal.
  const firstFetch = steps.find((x) => (x.kind === 'tftp' && !x.step.probe && x.step.direction === 'download') || (x.kind === 'http' && x.step.method !== 'HEAD'));
  const firstFile = firstFetch ? fileOf(firstFetch) : null;
  const provisioning = entry === 'phone' || entry === 'provision'
    || (entry === 'transfer' && firstFile !== null && !named.has(baseName(firstFile)) && !looksLikeBootProgram(firstFile));
  let ipxe = entry === 'ipxe';
  let bootProgram: string | null = null;
  let nbpLoaded = false, kernel = false, config = false;
  let kernelFailed = false, companionLoaded = false;
  let lastFetch: number | null = null;
  for (const s of steps) {
    switch (s.kind) {
      case 'dhcp4':
        if (s.stageKnown && s.step.stage === 'ipxe') { ipxe = true; reach('ipxe'); } else reach('dhcp');
        continue;
      case 'dhcp6':
        if (s.step.userClass.includes('iPXE')) { ipxe = true; reach('ipxe'); } else reach('dhcp');
        continue;
      case 'proxydhcp':
        reach('proxydhcp');
        continue;
      case 'ra':
        continue;
      case 'tftp':
        if (s.step.probe || s.step.direction !== 'download') continue;
        break;
      case 'http':
        if (s.step.method === 'HEAD') continue;
        break;
    }
    const file = fileOf(s);
    if (file === null) {
      // Unknown: a fetch at the stage reached so far, that loads nothing.
      if (!provisioning) reach(!ipxe && !nbpLoaded ? 'boot-program' : ipxe ? 'script' : 'boot-program');
      continue;
    }
    // A cut 2xx is no proof the file arrived (its end is not in the capture): only a whole fetch, or
    // one the sequence space and the client's ACKs show delivered (ok), loads.
    const done = s.kind === 'tftp' ? s.step.complete && s.step.error === null : s.step.ok;
    const program = named.has(baseName(file)) || looksLikeBootProgram(file);
    if (provisioning) {
      reach('config');
      if (done) config = true;
      continue;
    }
    // Only iPXE fetches an iPXE script: it runs, where the cut (or a late start) took its DHCP stage.
    if (!ipxe && isIpxeScript(file)) ipxe = true;
    if (!ipxe && !nbpLoaded) {
      if (!program) continue;
      reach('boot-program');
      bootProgram ??= file;
      lastFetch = s.step.start;
      if (done) nbpLoaded = true;
      continue;
    }
    // After the boot program: iPXE's script and what it boots, or the files a non-iPXE loader
    // (pxelinux, GRUB, Windows boot manager) fetches for itself.
    const isKernel = looksLikeKernel(file);
    reach(isKernel ? 'kernel' : ipxe ? 'script' : 'boot-program');
    if (program) lastFetch = s.step.start;
    if (isKernel) {
      // An initrd (cpio, WIM) loaded beside a kernel that failed boots nothing; one loaded where no
      // fetch of a kernel we know by name failed ends the chain (Flatcar's kernel is "…pxe.vmlinuz").
      if (!looksLikeKernelCompanion(file)) {
        if (done) kernel = true;
        else kernelFailed = true;
      } else if (done) companionLoaded = true;
    }
  }
  if (companionLoaded && !kernelFailed) kernel = true;
  const chainloaded = ipxe || (bootProgram !== null && isIpxeBinary(bootProgram));
  return {
    stage,
    loaded: provisioning ? config : chainloaded ? kernel : nbpLoaded || kernel,
    bootProgram,
    timeToBootProgram: lastFetch === null ? null : lastFetch - start,
  };
}
