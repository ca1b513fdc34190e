// Boots real firmware (OVMF UEFI PXE, SeaBIOS + iPXE ROM) under QEMU on a lab started by labUp():
// a fresh tap on the lab bridge in the client namespace, QEMU in that namespace, stopped when the
// caller's condition holds or at the deadline, tap removed. labUp gives a LabInfo (no Lab object),
// so this spawns QEMU itself with the same argument list as startQemu (qemuArgs).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BRIDGE, tail } from './lab.js';
import type { LabInfo } from './labctl.js';
import { kvmWorks, OVMF_VARS, qemuArgs, type Accel, type Firmware } from './qemu.js';
import { isAlive, run, runOk, signalGroup, sleep, waitFor } from './run.js';

export interface FirmwareBootOptions {
  readonly firmware: Firmware;
  /** 52:54:00:xx:xx:xx */
  readonly mac: string;
  /** Hard bound on the boot; QEMU is killed then whatever happened. */
  readonly timeoutMs: number;
  /** Polled every pollMs while QEMU runs; true ends the boot early (e.g. "initrd.img fetched"). */
  readonly stopWhen?: () => boolean;
  /**
   * After stopWhen holds, QEMU keeps running until this holds (e.g. "the capture holds the last
   * response"), polled every 100 ms for at most settleMs (default 30 s): the client may still have
   * to ACK the last segments, and a loaded machine may be seconds behind. Without it, QEMU runs
   * on for a fixed settleMs (default 1500 ms).
   */
  readonly settled?: () => Promise<boolean>;
  readonly settleMs?: number;
  readonly pollMs?: number;
  /**
   * NIC option ROM. Default for 'uefi': '' (no ROM: OVMF's own VirtioNetDxe + EDK2 PXE, so the
   * first DHCP is the firmware's); for 'bios': QEMU's default virtio-net ROM (iPXE).
   */
  readonly romfile?: string;
  /** Default: kvm when kvmWorks(), else tcg. */
  readonly accel?: Accel;
  /** Tap name in the client namespace (≤ 15 characters); default 'fwtap0'. */
  readonly tap?: string;
  /** Names the serial log and VARS copy in the lab's state dir; default 'fwboot'. */
  readonly label?: string;
  /** fw_cfg strings for the firmware (QemuOptions.fwCfg), e.g. OVMF's `opt/org.tianocore/IPv4Support`. */
  readonly fwCfg?: Readonly<Record<string, string>>;
  /** Boot-menu wait before the network boot (QemuOptions.bootMenuMs). */
  readonly bootMenuMs?: number;
}

export interface FirmwareBootResult {
  /** Why QEMU was stopped: the condition held, the deadline passed, or QEMU exited on its own. */
  readonly reason: 'stopWhen' | 'timeout' | 'exited';
  readonly elapsedMs: number;
  readonly accel: Accel;
  /** The firmware's console output (EDK2 / iPXE messages), read before the lab goes away. */
  readonly serial: string;
  /** The qemu-system-x86_64 arguments used. */
  readonly args: readonly string[];
}

/** Boots one firmware client on the lab and returns once QEMU is gone and the tap removed. */
export async function bootFirmware(lab: LabInfo, o: FirmwareBootOptions): Promise<FirmwareBootResult> {
  const ns = lab.clientNs;
  const tap = o.tap ?? 'fwtap0';
  const label = o.label ?? 'fwboot';
  const serialLog = join(lab.stateDir, `${label}-serial.log`);
  const varsCopy = join(lab.stateDir, `${label}-OVMF_VARS.fd`);
  const accel: Accel = o.accel ?? (kvmWorks() ? 'kvm' : 'tcg');
  const romfile = o.romfile ?? (o.firmware === 'uefi' ? '' : undefined);
  if (o.firmware === 'uefi') copyFileSync(OVMF_VARS, varsCopy);
  const args = qemuArgs(
    {
      firmware: o.firmware,
      tap,
      mac: o.mac,
      label,
      ...(romfile !== undefined ? { romfile } : {}),
      ...(o.fwCfg !== undefined ? { fwCfg: o.fwCfg } : {}),
      ...(o.bootMenuMs !== undefined ? { bootMenuMs: o.bootMenuMs } : {}),
    },
    accel,
    varsCopy,
    serialLog,
  );

  runOk('ip', ['-n', ns, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']);
  let child: ChildProcess | undefined;
  const started = Date.now();
  try {
    runOk('ip', ['-n', ns, 'link', 'set', tap, 'master', BRIDGE, 'up']);
    const out = join(lab.stateDir, `${label}-qemu.out`);
    const fd = openSync(out, 'w');
    try {
      // Own process group, so the stop below reaches QEMU whatever `ip netns exec` did.
      child = spawn('ip', ['netns', 'exec', ns, 'qemu-system-x86_64', ...args], { detached: true, stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    let exited = false;
    child.on('exit', () => (exited = true));
    child.on('error', () => (exited = true));
    const stopWhen = o.stopWhen ?? (() => false);
    let held = false;
    await waitFor(() => exited || (held = stopWhen()), o.timeoutMs, o.pollMs ?? 500);
    if (held && !exited) {
      if (o.settled) await waitForAsync(async () => exited || (await o.settled!()), o.settleMs ?? 30_000, 100);
      else await sleep(o.settleMs ?? 1_500);
    }
    const reason = held ? 'stopWhen' : exited ? 'exited' : 'timeout';
    if (reason === 'exited' && Date.now() - started < 5_000) {
      throw new Error(`qemu-system-x86_64 exited at once: ${tail(out, 800)}`);
    }
    const elapsedMs = Date.now() - started;
    await stopGroup(child, () => exited);
    return { reason, elapsedMs, accel, serial: tail(serialLog, 200_000), args };
  } finally {
    if (child) await stopGroup(child, () => child?.exitCode !== null || child?.signalCode !== null);
    run('ip', ['-n', ns, 'link', 'delete', tap]);
  }
}

/** waitFor for an asynchronous condition: polled every intervalMs, at most timeoutMs; says which. */
async function waitForAsync(pred: () => Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

async function stopGroup(child: ChildProcess, gone: () => boolean): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || gone() || !isAlive(pid)) return;
  signalGroup(pid, 'SIGTERM');
  if (await waitFor(() => gone() || !isAlive(pid), 3_000, 50)) return;
  signalGroup(pid, 'SIGKILL');
  await waitFor(() => gone() || !isAlive(pid), 2_000, 50);
}

