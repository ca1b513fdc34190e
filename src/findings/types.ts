/**
 * What the findings layer produces (part of the `analyze --format json` contract) and the
 * thresholds its rules take.
 */
import type { FindingCode, Severity } from './catalogue.js';

export interface Finding {
  /** Stable within one report: `F1`, `F2`… in time order. */
  id: string;
  code: FindingCode;
  severity: Severity;
  /** MAC (or `ip:ADDR`) of the device it concerns, or null for capture-wide findings. */
  client: string | null;
  /** Index of the device's boot attempt it belongs to (0-based), null when capture-wide. */
  attempt: number | null;
  /** The root cause this finding is a consequence of (its `id`), or null. A consequence keeps
   *  its code but its severity is lowered to what it is: a consequence. */
  causedBy: string | null;
  /** The PXE error the device's firmware printed for it (`PXE-E53`), where one applies. */
  pxeError: string | null;
  /** Frames that prove it. */
  frames: number[];
  message: string;
  hint: string;
  /** Epoch seconds of the first frame it concerns (findings are sorted by it). */
  time?: number;
  /** How many alike findings this one stands for (findings/collapse.ts); absent: just itself. */
  count?: number;
}

/** Thresholds, with documented defaults (README, `analyze --help`). */
export interface AnalysisThresholds {
  /** Seconds from first DISCOVER to first OFFER above which `dhcp.slow-offer` is raised. */
  slowOffer: number;
  /** Seconds without an answer after which a DHCP/proxy/TFTP exchange counts as unanswered. */
  noReply: number;
  /** How many fetches of the same boot program make a loop. */
  loopCount: number;
  /** Seconds of idle after which a TFTP transfer that did not finish is a timeout. */
  tftpIdle: number;
  /** Seconds from the first Solicit to the first Advertise (or Rapid-Commit Reply) above which
   *  `dhcp6.slow-advertise` is raised. */
  slowAdvertise: number;
  /** Seconds on IPv6 (from the first RS/Solicit) without a boot program, before falling back to
   *  IPv4 or ending, above which `ipv6.boot-stall` is raised. */
  ipv6Stall: number;
  /** Seconds of silence after an unfinished boot attempt's last packet after which it counts as
   *  stopped (failed) rather than cut off by the end of the capture (incomplete). */
  stall: number;
}

export const DEFAULT_THRESHOLDS: AnalysisThresholds = {
  slowOffer: 1,
  noReply: 4,
  loopCount: 3,
  tftpIdle: 10,
  // RFC 8415 §15/§18.2.1: SOL_TIMEOUT is 1 s and a client collects Advertises for at least that
  // long anyway; an answer later than that delays the boot.
  slowAdvertise: 1,
  ipv6Stall: 10,
  stall: 30,
};
