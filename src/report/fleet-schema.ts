/**
 * The zod schema of the fleet line `analyze --format json` ends with for several captures
 * (`{"tool":"pxecheck","version":2,"fleet":{…}}`, docs/fleet.md). The type check at the end keeps
 * it equal to src/analysis/fleet.ts.
 */
import { z } from 'zod';
import type { Fleet } from '../analysis/fleet.js';

const count = z.number().int().min(0);
const seconds = z.number().min(0).nullable();

const group = {
  clients: count,
  booted: count,
  failed: count,
  incomplete: count,
  bootSuccessRate: z.number().min(0).max(1).nullable(),
  medianTimeToBootProgram: seconds,
  p95TimeToBootProgram: seconds,
  topRootCauses: z.array(z.strictObject({ code: z.string(), devices: count })).max(3),
};

export const fleetJsonSchema = z.strictObject({
  tool: z.literal('pxecheck'),
  version: z.number().int(),
  fleet: z.strictObject({
    captures: count,
    unreadable: count,
    packets: count,
    otherClients: count,
    total: z.strictObject(group),
    files: z.array(z.strictObject({ file: z.string(), site: z.string().nullable(), packets: count, otherClients: count, ...group })),
    sites: z.array(z.strictObject({ site: z.string().nullable(), captures: count, ...group })),
    servers: z.array(z.strictObject({ server: z.string(), ...group })),
    platforms: z.array(z.strictObject({ archName: z.string().nullable(), vendor: z.string().nullable(), ...group })),
  }),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameAsFleet: Same<z.infer<typeof fleetJsonSchema>['fleet'], Fleet> = true;
void sameAsFleet;
