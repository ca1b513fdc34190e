/**
 * The zod schema of `analyze --format json`. docs/analyze.schema.json is generated from it
 * (`z.toJSONSchema`) and a test keeps the two equal; the type checks below keep it equal to
 * src/analysis/types.ts. Objects are strict: a new field must be added here (and so to the doc).
 */
import { z } from 'zod';
import type { Analysis } from '../analysis/types.js';
import { CATALOGUE, type FindingCode } from '../findings/catalogue.js';
import { BOOT_STAGES } from '../flow/progress.js';

const int = z.number().int();
const uint = int.min(0);
const seconds = z.number();
const codes = [...CATALOGUE.keys()] as [FindingCode, ...FindingCode[]];

const stepBase = {
  start: seconds.describe('Epoch seconds of the first packet of the step.'),
  duration: seconds.min(0).describe('Seconds from the first to the last packet of the step.'),
  ok: z.boolean(),
  frames: z.array(uint).describe('Frame numbers (as in decode) of the packets of the step; on a long step the first and last ones only.'),
  frameCount: uint.optional().describe('How many packets the step had (>= frames.length).'),
};

const offer = z.strictObject({
  server: z.string(),
  yiaddr: z.string(),
  frame: uint,
  delay: seconds.describe('Seconds after the first DISCOVER of the transaction.'),
  bootfile: z.string().nullable(),
  nextServer: z.string().nullable(),
  siaddr: z.string().optional().describe('siaddr when option 66 is `nextServer`. Absent when `nextServer` is siaddr.'),
  proxy: z.boolean(),
});

const dhcp4Step = z.strictObject({
  kind: z.literal('dhcp4'),
  ...stepBase,
  xid: uint,
  messages: z.array(z.string()),
  offers: z.array(offer),
  server: z.string().nullable(),
  yiaddr: z.string().nullable(),
  bootfile: z.string().nullable(),
  nextServer: z.string().nullable(),
  siaddr: z.string().optional().describe('siaddr (0.0.0.0 when zero) of the answer whose option 66 is `nextServer` (PXE ROMs load from siaddr, not option 66). Absent when `nextServer` is siaddr.'),
  stage: z.enum(['ipxe', 'firmware', 'httpboot', 'phone', 'os']),
  vendorClass: z.string().nullable(),
  userClass: z.array(z.string()),
  arch: uint.nullable(),
  leaseTime: uint.nullable(),
  relay: z.strictObject({ giaddr: z.string(), circuitId: z.string().nullable(), remoteId: z.string().nullable() }).nullable(),
  ackOptions: z.array(uint).describe('Option codes of the final ACK.'),
  tftpServers: z.array(z.string()).optional().describe('Option 150 (Cisco TFTP server addresses, in the order the phone tries them) of its last answer that had it. Absent when none did.'),
  cut: z.enum(['identity', 'options']).optional().describe('The snap length cut options off its messages: `identity` — what says which boot stage sent the client\'s requests (message type, vendor or user class, arch), so `stage` is not known; `options` — only other options. Absent when nothing was cut.'),
});

const proxyStep = z.strictObject({
  kind: z.literal('proxydhcp'),
  ...stepBase,
  xid: uint,
  server: z.string().nullable(),
  messages: z.array(z.string()),
  bootfile: z.string().nullable(),
  nextServer: z.string().nullable(),
});

const dhcp6Status = z.strictObject({
  code: uint,
  name: z.string().nullable(),
  message: z.string(),
  scope: z.enum(['message', 'ia', 'address']),
  iaid: uint.nullable(),
  address: z.string().nullable(),
});

const duid = z.strictObject({ type: uint, typeName: z.string().nullable(), text: z.string() });

const dhcp6Step = z.strictObject({
  kind: z.literal('dhcp6'),
  ...stepBase,
  xid: uint,
  messages: z.array(z.string()),
  server: z.string().nullable(),
  addresses: z.array(z.string()),
  bootfileUrl: z.string().nullable(),
  arch: uint.nullable(),
  rapidCommit: z.boolean(),
  vendorClass: z.string().nullable(),
  userClass: z.array(z.string()),
  retransmissions: uint.describe('Client messages sent again with the same xid and type.'),
  statuses: z.array(dhcp6Status).describe('Non-success status codes of the last Advertise/Reply (empty: it succeeded).'),
  leases: z.array(z.strictObject({ address: z.string(), iaid: uint, preferred: uint, valid: uint })),
  bootfileParams: z.array(z.string()).describe('Option 60.'),
  vendorEnterprise: uint.nullable().describe('Enterprise number of option 16.'),
  serverVendorClass: z.string().nullable().describe('The server\'s option 16 in its last Advertise/Reply as text (null: absent); UEFI HTTP boot needs "HTTPClient" there.'),
  clientDuid: duid.nullable(),
  serverDuid: duid.nullable(),
  iaids: z.array(uint),
  relay: z.strictObject({
    linkAddress: z.string(),
    peerAddress: z.string(),
    hops: uint,
    interfaceId: z.string().nullable().describe('Option 18, text or hex.'),
    remoteId: z.string().nullable().describe('Option 37 as enterprise:id.'),
    clientLinkLayer: z.string().nullable().describe('Option 79 (a MAC).'),
  }).nullable().describe('From the relay closest to the client.'),
});

const raPrefix = z.strictObject({
  prefix: z.string(),
  length: uint,
  onLink: z.boolean(),
  autonomous: z.boolean(),
  valid: uint,
  preferred: uint,
});

const raFields = {
  managed: z.boolean().describe('M flag.'),
  other: z.boolean().describe('O flag.'),
  routerLifetime: uint.describe('Seconds; 0: not a default router.'),
  preference: z.enum(['high', 'medium', 'low', 'reserved']),
  mtu: uint.nullable(),
  prefixes: z.array(raPrefix),
  rdnss: z.array(z.string()),
  dnssl: z.array(z.string()),
};

const raStep = z.strictObject({
  kind: z.literal('ra'),
  ...stepBase,
  messages: z.array(z.string()).describe('RS and RA in the order seen.'),
  solicitations: uint,
  router: z.string().nullable(),
  routerMac: z.string().nullable(),
  advert: z.strictObject(raFields).nullable(),
});

const router = z.strictObject({
  address: z.string(),
  mac: z.string().nullable(),
  vlans: z.array(uint),
  adverts: z.array(z.strictObject({
    ...raFields,
    first: seconds,
    last: seconds,
    count: uint,
    frames: z.array(uint).describe('Frames of the first few copies.'),
  })).describe('Distinct advertisements, in order of first appearance.'),
});

const tftpStep = z.strictObject({
  kind: z.literal('tftp'),
  ...stepBase,
  opcode: z.enum(['RRQ', 'WRQ']).describe('The request that opened the transfer.'),
  direction: z.enum(['download', 'upload']).describe('download: RRQ (server to client); upload: WRQ.'),
  file: z.string(),
  server: z.string(),
  requestedOptions: z.record(z.string(), z.string()),
  acknowledgedOptions: z.record(z.string(), z.string()),
  blksize: uint,
  tsize: uint.nullable(),
  bytes: uint,
  blocks: uint,
  retransmits: uint,
  complete: z.boolean(),
  error: z.strictObject({
    code: uint, message: z.string(),
    cut: z.literal(true).optional().describe('The snap length cut the message: `message` is the part captured, ending in "…". Absent when whole.'),
  }).nullable().describe('A TFTP ERROR packet of the transfer.'),
  unreachable: z.string().nullable().describe('An ICMP unreachable that answered a datagram of the transfer; it failed the step only if the transfer did not complete.'),
  serverPort: uint.nullable().describe("The server's port for the transfer (69: it answered from the request port)."),
  probe: z.boolean(),
  throughput: z.number().min(0).nullable().describe('Bytes per second.'),
  cut: z.enum(['file', 'options']).optional().describe('The snap length cut the request or the OACK: `file` — within the file name, so `file` is the part captured, ending in "…" (never compared as a whole name: not the same file as another); `options` — only options (those past the cut were neither asked for nor refused as far as the capture shows). Absent when nothing was cut.'),
});

const httpStep = z.strictObject({
  kind: z.literal('http'),
  ...stepBase,
  url: z.string(),
  method: z.string(),
  server: z.string(),
  status: uint.nullable(),
  bytes: uint,
  ttfb: seconds.nullable(),
  throughput: z.number().min(0).nullable(),
  complete: z.boolean(),
  cut: z.literal(true).optional().describe('The snap length cut the response head, or the framing of its body: it is a response all the same (its status line began, or the server sent bytes in answer), `status` is the code the cut left (null when it took the code), `bytes` the body bytes its TCP sequence numbers show sent up to the cut, and its end is not in the capture — unless `complete`: the sequence space reached its end (where the next response starts, or the Content-Length of the head) and the client acknowledged it, with no RST from the server first (`ok` for a 2xx/3xx, `bytes` its Content-Length when the head showed it). Absent when the head and framing were whole (body bytes the snap length cut inside a framed body count as sent: such a step is complete).'),
});

const step = z.discriminatedUnion('kind', [dhcp4Step, proxyStep, dhcp6Step, raStep, tftpStep, httpStep]);

const finding = z.strictObject({
  id: z.string().describe('Stable within the report: F1, F2… in time order of creation.'),
  code: z.enum(codes).describe('A code of the finding catalogue (docs/analyze.md).'),
  severity: z.enum(['error', 'warning', 'info']),
  client: z.string().nullable().describe('MAC of the client (or ip:ADDR), or null for capture-wide findings.'),
  attempt: uint.nullable().describe("Index of the client's boot attempt it belongs to, null when capture-wide."),
  causedBy: z.string().nullable().describe('The id of the root cause this finding is a consequence of, or null.'),
  pxeError: z.string().nullable().describe('The PXE error the firmware printed for it (PXE-E53), where one applies.'),
  frames: z.array(uint),
  message: z.string(),
  hint: z.string(),
  time: seconds.optional().describe('Epoch seconds of the first frame it concerns (findings are sorted by it).'),
  count: uint.min(2).optional().describe('How many alike findings (same client, attempt, code, severity and cause) this one stands for; absent when just itself.'),
});

const outcome = z.enum(['booted', 'failed', 'incomplete', 'not-a-boot']);
const entry = z.enum(['pxe4', 'pxe6', 'http4', 'http6', 'ipxe', 'phone', 'provision', 'transfer', 'os']);

const attempt = z.strictObject({
  index: uint,
  entry: entry.describe('The boot entry it began with; os: the OS traffic of the device, not a boot.'),
  outcome,
  stage: z.enum(BOOT_STAGES).nullable().describe('Furthest stage reached.'),
  rootCause: z.enum(codes).nullable().describe('Code of the finding that explains a failed attempt.'),
  rootCauseId: z.string().nullable(),
  pxeError: z.string().nullable(),
  start: seconds,
  end: seconds,
  timeToBootProgram: seconds.nullable(),
  bootProgram: z.string().nullable(),
  steps: z.array(step),
  blindSpot: z.enum(codes).optional().describe('An incomplete attempt the capture cannot judge: the capture finding that says why (capture.one-sided, capture.snaplen).'),
});

const chain = z.strictObject({
  mac: z.string(),
  role: z.enum(['boot', 'other']),
  roleReason: z.string(),
  outcome,
  rootCause: z.enum(codes).nullable().describe('Null when booted; else the root cause of its first failed attempt.'),
  arch: uint.nullable(),
  archName: z.string().nullable(),
  vendorClass: z.string().nullable(),
  steps: z.array(step),
  attempts: z.array(attempt),
  timeToBootProgram: seconds.nullable(),
  booted: z.boolean(),
  blindSpot: z.enum(codes).optional().describe('An incomplete client the capture cannot judge: the capture finding that says why (capture.one-sided: one side of its exchange only; capture.snaplen: its frames cut short).'),
});

const summary = z.strictObject({
  clients: uint.describe('Boot clients.'),
  otherClients: uint.describe('Other DHCP clients (not booting), counted apart.'),
  booted: uint,
  failed: uint,
  incomplete: uint,
  errors: uint,
  warnings: uint,
  infos: uint,
  medianTimeToBootProgram: seconds.nullable(),
  p95TimeToBootProgram: seconds.nullable(),
  firstPacket: seconds.nullable(),
  lastPacket: seconds.nullable(),
});

export { ANALYZE_JSON_VERSION } from './analyze-version.js';
import { ANALYZE_JSON_VERSION } from './analyze-version.js';

export const analyzeJsonSchema = z
  .strictObject({
    tool: z.literal('pxecheck'),
    version: z.literal(ANALYZE_JSON_VERSION).describe('Bumped on an incompatible change of this shape.'),
    file: z.string(),
    packets: uint,
    clients: z.array(chain),
    findings: z.array(finding),
    summary,
    routers: z.array(router).optional().describe('Routers that sent advertisements, per link (absent in reports of older versions).'),
    ndp: z.strictObject({ rs: uint, ra: uint, ns: uint, na: uint, redirect: uint }).optional().describe('Neighbour discovery messages counted (absent in reports of older versions).'),
  })
  .meta({ title: 'pxecheck analyze --format json', description: 'One boot chain per client, findings and a summary.' });

export type AnalyzeJson = z.infer<typeof analyzeJsonSchema>;

// Compile-time drift check against the model in src/flow/types.ts, in both directions.
type Flat<T> = { [K in keyof T]: T[K] };
type ModelJson = Flat<{ tool: 'pxecheck'; version: typeof ANALYZE_JSON_VERSION } & Analysis>;
// Mutual assignability: misses an optional field present on one side only — the strict objects
// catch those at run time (tests validate real outputs).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const modelMatchesSchema: Same<ModelJson, AnalyzeJson> = true;
void modelMatchesSchema;

/** The JSON Schema committed as docs/analyze.schema.json. */
export function analyzeJsonSchemaDocument(): Record<string, unknown> {
  return z.toJSONSchema(analyzeJsonSchema) as Record<string, unknown>;
}
