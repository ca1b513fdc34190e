// A QEMU client booting from the network, its NIC on a tap in the lab's client namespace.
import { accessSync, constants, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tail, type Lab, type LabProcess } from './lab.js';
import { run } from './run.js';

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export type Firmware = 'uefi' | 'bios';
export type Accel = 'kvm' | 'tcg';

export interface QemuOptions {
  readonly firmware: Firmware;
  /** Tap in the client namespace (Lab.addTap()). */
  readonly tap: string;
  /** 52:54:00:xx:xx:xx */
  readonly mac: string;
  /**
   * NIC option ROM. undefined: QEMU's default for virtio-net-pci (iPXE, efi-virtio.rom);
   * '': no ROM (OVMF then drives the NIC with its own VirtioNetDxe).
   */
  readonly romfile?: string;
  /** Default: kvm when /dev/kvm is usable, else tcg. */
  readonly accel?: Accel;
  readonly label?: string;
  readonly memoryMb?: number;
  /**
   * fw_cfg strings (`-fw_cfg name=K,string=V`), e.g. OVMF's network knobs
   * `{ 'opt/org.tianocore/IPv4Support': 'no' }` (EDK2 OvmfPkg/RUNTIME_CONFIG.md).
   */
  readonly fwCfg?: Readonly<Record<string, string>>;
  /**
   * Show the firmware's boot menu for this long before the network boot (`-boot
   * order=n,menu=on,splash-time=MS`). OVMF 2022.11 needs it when HTTPv6 is the first boot option:
   * its HttpBootDxe starts DHCPv6 before DAD ends and fails at once (captures/lab-v6/README.md).
   */
  readonly bootMenuMs?: number;
  /**
   * A human-monitor unix socket (`-monitor unix:PATH,server,nowait`) so a recipe can send
   * `system_reset` (a machine that boots twice); default `-monitor none`.
   */
  readonly monitorSocket?: string;
  /** Let a reset reboot the guest instead of ending QEMU (`-no-reboot` is left out); default false. */
  readonly allowReboot?: boolean;
}

export function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The qemu-system-x86_64 argument list (pure, for tests and for the capture README). */
export function qemuArgs(o: QemuOptions, accel: Accel, varsCopy: string, serialLog: string): string[] {
  const rom = o.romfile === undefined ? '' : `,romfile=${o.romfile}`;
  const args = [
    '-name', o.label ?? 'pxecheck-client',
    '-machine', 'q35',
    '-accel', accel,
    '-m', String(o.memoryMb ?? 256),
    '-display', 'none',
    '-vga', 'none',
    '-nodefaults',
    '-serial', `file:${serialLog}`,
    '-monitor', o.monitorSocket === undefined ? 'none' : `unix:${o.monitorSocket},server,nowait`,
    '-netdev', `tap,id=n0,ifname=${o.tap},script=no,downscript=no`,
    '-device', `virtio-net-pci,netdev=n0,mac=${o.mac}${rom}`,
    '-boot', o.bootMenuMs === undefined ? 'n' : `order=n,menu=on,splash-time=${Math.round(o.bootMenuMs)}`,
    ...(o.allowReboot ? [] : ['-no-reboot']),
  ];
  // QEMU option values escape a comma by doubling it.
  const esc = (t: string): string => t.replaceAll(',', ',,');
  for (const [name, value] of Object.entries(o.fwCfg ?? {})) args.push('-fw_cfg', `name=${esc(name)},string=${esc(value)}`);
  if (o.firmware === 'uefi') {
    args.push(
      '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`,
      '-drive', `if=pflash,format=raw,file=${varsCopy}`,
    );
  }
  return args;
}

// KVM can be present yet unusable (nested virtualisation: "KVM internal error", MSR asserts, or
// a guest that silently hangs). One bounded probe per process decides: OVMF under KVM must print
// its boot manager lines on the serial port within a few seconds.
let kvmVerdict: boolean | undefined;
const KVM_PROBE_MS = 6_000;

export function kvmWorks(): boolean {
  if (kvmVerdict !== undefined) return kvmVerdict;
  kvmVerdict = false;
  if (!kvmUsable()) return false;
  const dir = mkdtempSync(join(tmpdir(), 'pxecheck-kvm-'));
  try {
    const vars = join(dir, 'vars.fd');
    copyFileSync(OVMF_VARS, vars);
    const serial = join(dir, 'serial.log');
    run('qemu-system-x86_64', [
      '-machine', 'q35', '-accel', 'kvm', '-m', '128', '-display', 'none', '-vga', 'none', '-nodefaults',
      '-monitor', 'none', '-serial', `file:${serial}`, '-net', 'none',
      '-drive', `if=pflash,format=raw,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,file=${vars}`,
    ], { timeoutMs: KVM_PROBE_MS });
    kvmVerdict = /BdsDxe|UEFI Interactive Shell/.test(tail(serial, 100_000));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return kvmVerdict;
}

/** Starts QEMU in the client namespace (KVM when kvmWorks(), else TCG). The caller bounds the run. */
export async function startQemu(lab: Lab, o: QemuOptions): Promise<LabProcess> {
  const label = o.label ?? 'qemu';
  const varsCopy = join(lab.workDir, `${label}-OVMF_VARS.fd`);
  const serialLog = join(lab.workDir, `${label}-serial.log`);
  if (o.firmware === 'uefi') copyFileSync(OVMF_VARS, varsCopy);
  const accel: Accel = o.accel ?? (kvmWorks() ? 'kvm' : 'tcg');
  return lab.startServer({
    label,
    ns: lab.ns.cli,
    cmd: 'qemu-system-x86_64',
    args: qemuArgs(o, accel, varsCopy, serialLog),
    readyTimeoutMs: 1_000,
  });
}

export function serialLogOf(lab: Lab, label = 'qemu'): string {
  return join(lab.workDir, `${label}-serial.log`);
}

/** Sends one human-monitor command (e.g. `system_reset`) to a QEMU started with monitorSocket. */
export function qemuMonitor(socketPath: string, command: string, timeoutMs = 3_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`qemu monitor ${socketPath}: no answer to ${command} in ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // The monitor greets first; send once it has, then give it a moment to act before closing.
    sock.once('data', () => {
      sock.write(`${command}\n`);
      setTimeout(() => {
        clearTimeout(timer);
        sock.end();
        resolve();
      }, 300);
    });
  });
}
