/**
 * The zod schema of `capture --events` lines (`pxecheck.events/1`), kept equal to events.ts by the
 * type check below; tests validate every emitted line against it.
 */
import { z } from 'zod';
import { CATALOGUE, type FindingCode } from '../findings/catalogue.js';
import { BOOT_STAGES } from '../flow/progress.js';
import { analyzeJsonSchema } from '../report/analyze-schema.js';
import { EVENTS_SCHEMA, type MonitorEvent } from './events.js';

const codes = [...CATALOGUE.keys()] as [FindingCode, ...FindingCode[]];
const attemptShape = analyzeJsonSchema.shape.clients.element.shape.attempts.element.shape;
const bootStep = attemptShape.steps.element;
const iso = z.iso.datetime();
const uint = z.number().int().min(0);

const base = {
  schema: z.literal(EVENTS_SCHEMA),
  id: z.string().min(1),
  time: iso,
  source: z.string(),
  device: z.string().nullable(),
  attempt: uint.nullable(),
};
const role = z.enum(['boot', 'other']);

export const monitorEventSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...base, kind: z.literal('step'), role,
    step: z.enum(['dhcp4', 'proxydhcp', 'dhcp6', 'ra', 'tftp', 'http']),
    result: z.enum(['ok', 'failed', 'unfinished']),
    durationSeconds: z.number().min(0),
    server: z.string().nullable(),
    detail: bootStep,
  }),
  z.strictObject({
    ...base, kind: z.literal('attempt'), role,
    entry: attemptShape.entry,
    outcome: attemptShape.outcome,
    stage: z.enum(BOOT_STAGES).nullable(),
    rootCause: z.enum(codes).nullable(),
    pxeError: z.string().nullable(),
    start: iso,
    durationSeconds: z.number().min(0),
    timeToBootProgramSeconds: z.number().nullable(),
    bootProgram: z.string().nullable(),
    steps: uint,
    archName: z.string().nullable(),
    vendorClass: z.string().nullable(),
  }),
  z.strictObject({
    ...base, kind: z.literal('finding'),
    code: z.enum(codes),
    severity: z.enum(['error', 'warning', 'info']),
    causedBy: z.enum(codes).nullable(),
    pxeError: z.string().nullable(),
    message: z.string(),
    hint: z.string(),
    frames: z.array(uint),
  }),
]);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const modelMatchesSchema: Same<MonitorEvent, z.infer<typeof monitorEventSchema>> = true;
void modelMatchesSchema;
