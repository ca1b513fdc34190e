/**
 * `capture --events`: one JSON line per finished step, boot attempt and finding, for log pipelines
 * (Loki, Elastic, Vector). The shape is a public contract, versioned by `schema`
 * (docs/monitoring.md; its zod schema is events-schema.ts). Field names never change within a
 * version; a new optional field may be added.
 */
import type { FindingCode, Severity } from '../findings/catalogue.js';
import type { AttemptEntry, DeviceRole } from '../flow/facts.js';
import type { BootStage } from '../flow/progress.js';
import type { BootStep } from '../flow/types.js';
import type { Outcome } from '../analysis/types.js';

export const EVENTS_SCHEMA = 'pxecheck.events/1';

interface EventBase {
  schema: typeof EVENTS_SCHEMA;
  /** Unique within one capture, never emitted twice: `DEVICE/STEP-KIND/FRAME` for a step,
   *  `DEVICE/attempt/FRAME` for an attempt (its first frame), `DEVICE/CODE/FRAME` for a finding
   *  (`*` as DEVICE for a capture-wide one). */
  id: string;
  /** ISO 8601 time (UTC) of what the event reports: a step's or attempt's last packet, a finding's first frame. */
  time: string;
  /** Where it was seen: `live:IFACE[,IFACE]` or the capture file. */
  source: string;
  /** MAC of the device (or `ip:ADDR`), null for a capture-wide finding. */
  device: string | null;
  /** Index of the device's boot attempt (0-based, as in `analyze --format json`), null when none. */
  attempt: number | null;
}

export interface StepEvent extends EventBase {
  kind: 'step';
  role: DeviceRole;
  /** The step kind as `analyze` names it (dhcp4, proxydhcp, dhcp6, ra, tftp, http). */
  step: BootStep['kind'];
  /** `ok`; `failed` (it ended without success, or fell silent for the quiet time); `unfinished`
   *  (the capture ended while it was still open). */
  result: 'ok' | 'failed' | 'unfinished';
  durationSeconds: number;
  /** The server it talked to (address), when known. */
  server: string | null;
  /** The whole step, in the shape of `analyze --format json` (docs/analyze.schema.json). */
  detail: BootStep;
}

export interface AttemptEvent extends EventBase {
  kind: 'attempt';
  role: DeviceRole;
  entry: AttemptEntry;
  outcome: Outcome;
  stage: BootStage | null;
  rootCause: FindingCode | null;
  pxeError: string | null;
  /** ISO 8601 time of its first packet (`time` is its last). */
  start: string;
  durationSeconds: number;
  timeToBootProgramSeconds: number | null;
  bootProgram: string | null;
  steps: number;
  archName: string | null;
  vendorClass: string | null;
}

export interface FindingEvent extends EventBase {
  kind: 'finding';
  code: FindingCode;
  severity: Severity;
  /** Code of the root cause it is a consequence of, null when it is not one. */
  causedBy: FindingCode | null;
  pxeError: string | null;
  message: string;
  hint: string;
  frames: number[];
}

export type MonitorEvent = StepEvent | AttemptEvent | FindingEvent;

export function isoTime(epochSeconds: number): string {
  return new Date(Math.round(epochSeconds * 1000)).toISOString();
}
