/**
 * The analysis as `pxecheck analyze` reports it: one verdict per device with its boot attempts,
 * the findings, the summary. These types are the JSON contract of `analyze --format json`
 * (docs/analyze.schema.json) — field names are public.
 */
import type { FindingCode } from '../findings/catalogue.js';
import type { Finding } from '../findings/types.js';
import type { AttemptEntry, DeviceRole } from '../flow/facts.js';
import type { BootStage } from '../flow/progress.js';
import type { BootStep, NdpCounts, RouterInfo } from '../flow/types.js';

/** `booted`: reached its goal; `failed`: stopped, with a root cause; `incomplete`: the capture
 *  ended mid-chain with no error seen; `not-a-boot`: the traffic of a device that is not booting. */
export type Outcome = 'booted' | 'failed' | 'incomplete' | 'not-a-boot';

export interface AttemptReport {
  /** 0-based, in time order (findings name it in `attempt`). */
  index: number;
  /** The boot entry it began with (pxe4, pxe6, http4, http6, ipxe, phone, provision, transfer, os). */
  entry: AttemptEntry;
  outcome: Outcome;
  /** Furthest stage reached. */
  stage: BootStage | null;
  /** Code of the finding that explains a failed attempt, else null. */
  rootCause: FindingCode | null;
  /** Its id among `findings`. */
  rootCauseId: string | null;
  /** The error the firmware printed for it (`PXE-E53`), where one applies. */
  pxeError: string | null;
  /** Epoch seconds of its first and last packet. */
  start: number;
  end: number;
  /** Seconds from its first packet to the start of its last boot-program fetch. */
  timeToBootProgram: number | null;
  /** The first boot program it fetched (path or URL). */
  bootProgram: string | null;
  steps: BootStep[];
  /** An incomplete attempt the capture cannot judge: the capture finding that says why
   *  (`capture.one-sided`, `capture.snaplen`); absent otherwise. */
  blindSpot?: FindingCode;
}

export interface ClientReport {
  mac: string;
  /** `boot`: a network-boot or provisioning client; `other`: any other DHCP client. */
  role: DeviceRole;
  /** Why it has that role. */
  roleReason: string;
  /** `booted` when one of its attempts booted, otherwise the outcome of its last attempt. */
  outcome: Outcome;
  /** Null when booted; otherwise the root cause of its first failed attempt (passing over boot
   *  entries no server answered at all when a later one got further). */
  rootCause: FindingCode | null;
  /** Client architecture (option 93 / DHCPv6 61), first seen. */
  arch: number | null;
  archName: string | null;
  vendorClass: string | null;
  /** Every step of the device in time order (the attempts' steps, flat). */
  steps: BootStep[];
  attempts: AttemptReport[];
  /** Of its booted attempt, else of the last attempt that fetched a boot program. */
  timeToBootProgram: number | null;
  /** outcome === 'booted'. */
  booted: boolean;
  /** An incomplete device the capture cannot judge: the capture finding that says why
   *  (`capture.one-sided`: one side of its exchange only; `capture.snaplen`: its frames cut
   *  short); absent otherwise. */
  blindSpot?: FindingCode;
}

export interface AnalysisSummary {
  /** Boot clients (role `boot`). */
  clients: number;
  /** Other DHCP clients, counted apart. */
  otherClients: number;
  booted: number;
  failed: number;
  incomplete: number;
  errors: number;
  warnings: number;
  infos: number;
  medianTimeToBootProgram: number | null;
  p95TimeToBootProgram: number | null;
  firstPacket: number | null;
  lastPacket: number | null;
}

export interface Analysis {
  file: string;
  packets: number;
  clients: ClientReport[];
  findings: Finding[];
  summary: AnalysisSummary;
  /** Routers that sent advertisements during the capture (always present in reports written by
   *  this version; optional so that older reports still validate). */
  routers?: RouterInfo[];
  ndp?: NdpCounts;
}
