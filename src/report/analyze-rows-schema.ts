/**
 * The zod schema of `analyze --format rows` (pxecheck.rows/1, docs/fleet.md). Strict: a new
 * column must be added here, to the writer's AnalysisRow and to the docs' table; the type checks
 * at the end keep this schema and AnalysisRow equal.
 */
import { z } from 'zod';
import { CATALOGUE, type FindingCode } from '../findings/catalogue.js';
import { BOOT_STAGES } from '../flow/progress.js';
import { ROWS_SCHEMA, type AnalysisRow } from './analyze-rows.js';

const codes = [...CATALOGUE.keys()] as [FindingCode, ...FindingCode[]];
const code = z.enum(codes);
const seconds = z.number();
const uint = z.number().int().min(0);
const isoTime = z.iso.datetime();

export const analysisRowSchema = z.strictObject({
  schema: z.literal(ROWS_SCHEMA),
  kind: z.enum(['device', 'attempt', 'step', 'finding']),
  file: z.string(),
  site: z.string().nullable(),
  mac: z.string().nullable(),
  ip: z.string().nullable(),
  role: z.enum(['boot', 'other']).nullable(),
  vendorClass: z.string().nullable(),
  vendor: z.string().nullable(),
  arch: uint.nullable(),
  archName: z.string().nullable(),
  attempt: uint.nullable(),
  entry: z.enum(['pxe4', 'pxe6', 'http4', 'http6', 'ipxe', 'phone', 'provision', 'transfer', 'os']).nullable(),
  stage: z.enum(BOOT_STAGES).nullable(),
  outcome: z.enum(['booted', 'failed', 'incomplete', 'not-a-boot']).nullable(),
  rootCause: code.nullable(),
  pxeError: z.string().nullable(),
  start: seconds.nullable(),
  startIso: isoTime.nullable(),
  end: seconds.nullable(),
  endIso: isoTime.nullable(),
  duration: seconds.min(0).nullable(),
  timeToBootProgram: seconds.min(0).nullable(),
  bootProgram: z.string().nullable(),
  servers: z.array(z.string()),
  step: uint.nullable(),
  proto: z.enum(['dhcp4', 'proxydhcp', 'dhcp6', 'ra', 'tftp', 'http']).nullable(),
  ok: z.boolean().nullable(),
  server: z.string().nullable(),
  target: z.string().nullable(),
  messages: z.string().nullable(),
  status: z.string().nullable(),
  bytes: uint.nullable(),
  throughput: z.number().min(0).nullable(),
  codes: z.array(code),
  severity: z.enum(['error', 'warning', 'info']).nullable(),
  code: code.nullable(),
  findingId: z.string().nullable(),
  causedBy: code.nullable(),
  isRootCause: z.boolean().nullable(),
  message: z.string().nullable(),
  frames: z.array(uint),
  blindSpot: z.enum(['capture.one-sided', 'capture.snaplen']).nullable(),
  seenOutcome: z.enum(['booted', 'failed', 'incomplete', 'not-a-boot']).nullable(),
});

export type AnalysisRowJson = z.infer<typeof analysisRowSchema>;

// The schema and the writer's type describe the same columns (each way).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Keys<T> = keyof T;
const sameColumns: Same<Keys<AnalysisRowJson>, Keys<AnalysisRow>> = true;
const rowFitsSchema: AnalysisRow extends { [K in Keys<AnalysisRowJson>]: unknown } ? true : false = true;
void sameColumns;
void rowFitsSchema;
