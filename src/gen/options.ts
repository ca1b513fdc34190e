/** Options of the boot-traffic generator, with their defaults. */

export const FAULT_NAMES = [
  'noBootfile', 'tftpMissingFile', 'tftpLoss', 'ipxeLoop', 'nak', 'twoServers', 'proxyOnly',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/** Per fault: `true` = every client, a number in [0, 1] = that share of clients (seeded draw). */
export type FaultRates = Partial<Record<FaultName, boolean | number>>;

export interface TrafficMix {
  /** Share of clients that are x64 UEFI (arch 7, ipxe.efi); the rest are BIOS (arch 0, undionly.kpxe). */
  uefi?: number;
  /** Share of clients whose iPXE fetches boot.ipxe over HTTP (the rest over TFTP). */
  http?: number;
  /** Boot loader size range in bytes, inclusive. */
  fileSize?: [min: number, max: number];
  /** blksize the client asks for (and the server grants). */
  blksize?: number;
  /** Share of DATA packets dropped for a client with the tftpLoss fault. */
  lossRate?: number;
}

export interface BootTrafficOptions {
  clients: number;
  seed: number;
  /** Epoch seconds of the first frame's client (default 1700000000). */
  startTime?: number;
  mix?: TrafficMix;
  faults?: FaultRates;
  /** Stop after this many frames. */
  maxFrames?: number;
}

export interface ResolvedMix {
  uefi: number;
  http: number;
  fileMin: number;
  fileMax: number;
  blksize: number;
  lossRate: number;
}

export const DEFAULT_START_TIME = 1_700_000_000;

export function resolveMix(m: TrafficMix = {}): ResolvedMix {
  const [fileMin, fileMax] = m.fileSize ?? [100_000, 1_000_000];
  if (!(fileMin >= 0 && fileMax >= fileMin)) throw new RangeError(`bad fileSize range ${fileMin}-${fileMax}`);
  const blksize = m.blksize ?? 1468;
  if (!(blksize >= 8 && blksize <= 65464)) throw new RangeError(`blksize ${blksize} outside 8-65464 (RFC 2348)`);
  return { uefi: m.uefi ?? 0.5, http: m.http ?? 0.5, fileMin, fileMax, blksize, lossRate: m.lossRate ?? 0.05 };
}

export function faultRate(faults: FaultRates | undefined, name: FaultName): number {
  const v = faults?.[name];
  return v === true ? 1 : typeof v === 'number' ? v : 0;
}
