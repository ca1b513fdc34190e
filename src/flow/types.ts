/**
 * Boot chains: what `pxecheck analyze` rebuilds per client. These types are the JSON contract of
 * `analyze --format json` (docs/analyze.schema.json) — field names are public.
 */
import type { FindingCode, Severity } from '../findings/catalogue.js';

/** Which boot stage sent a DHCP message (see flow/stage.ts for how it is decided). */
export type ClientStage = 'ipxe' | 'firmware' | 'httpboot' | 'phone' | 'os';

interface StepBase {
  /** Epoch seconds of the first packet of the step. */
  start: number;
  /** Seconds from the first to the last packet of the step. */
  duration: number;
  ok: boolean;
  /** Frame numbers (as in `decode`) of every packet of the step. Bounded: on a long step, the
   *  first and last frames only (see `frameCount`). */
  frames: number[];
  /** How many packets the step had (≥ frames.length). */
  frameCount?: number;
}

export interface DhcpOfferSummary {
  server: string;
  yiaddr: string;
  frame: number;
  /** Seconds after the first DISCOVER of the transaction. */
  delay: number;
  bootfile: string | null;
  nextServer: string | null;
  /** A proxyDHCP offer: PXEClient vendor class and no address. */
  proxy: boolean;
}

export interface Dhcp4Step extends StepBase {
  kind: 'dhcp4';
  xid: number;
  /** Message type names in the order seen (DISCOVER, OFFER, REQUEST, ACK…). */
  messages: string[];
  offers: DhcpOfferSummary[];
  /** Server chosen by the client (option 54 of its REQUEST), else the server that ACKed. */
  server: string | null;
  yiaddr: string | null;
  /** Effective boot file: option 67, else the `file` field (honouring option 52). */
  bootfile: string | null;
  /** Option 66, else siaddr. */
  nextServer: string | null;
  stage: ClientStage;
  vendorClass: string | null;
  userClass: string[];
  arch: number | null;
  leaseTime: number | null;
  relay: { giaddr: string; circuitId: string | null; remoteId: string | null } | null;
  /** Options of the final ACK (code → JSON value), for phone provisioning and scenario checks. */
  ackOptions: number[];
}

export interface ProxyDhcpStep extends StepBase {
  kind: 'proxydhcp';
  xid: number;
  server: string | null;
  messages: string[];
  bootfile: string | null;
  nextServer: string | null;
}

export interface Dhcp6Step extends StepBase {
  kind: 'dhcp6';
  xid: number;
  messages: string[];
  server: string | null;
  addresses: string[];
  bootfileUrl: string | null;
  arch: number | null;
  rapidCommit: boolean;
  vendorClass: string | null;
  userClass: string[];
}

export interface TftpStep extends StepBase {
  kind: 'tftp';
  file: string;
  server: string;
  /** Options the client asked for, and those the server acknowledged (OACK), as sent. */
  requestedOptions: Record<string, string>;
  acknowledgedOptions: Record<string, string>;
  blksize: number;
  tsize: number | null;
  bytes: number;
  blocks: number;
  retransmits: number;
  /** Transfer completed (last short block acknowledged or seen). */
  complete: boolean;
  error: { code: number; message: string } | null;
  /** A tsize probe ended by the client with ERROR 8. */
  probe: boolean;
  /** Bytes per second over the transfer. */
  throughput: number | null;
}

export interface HttpStep extends StepBase {
  kind: 'http';
  url: string;
  method: string;
  server: string;
  status: number | null;
  bytes: number;
  /** Seconds from request to response head. */
  ttfb: number | null;
  throughput: number | null;
  complete: boolean;
}

export type BootStep = Dhcp4Step | ProxyDhcpStep | Dhcp6Step | TftpStep | HttpStep;

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** MAC of the client it concerns, or null for capture-wide findings. */
  client: string | null;
  frames: number[];
  message: string;
  hint: string;
  /** Epoch seconds of the first frame it concerns (findings are sorted by it). */
  time?: number;
}

export interface BootChain {
  mac: string;
  /** Client architecture (option 93 / DHCPv6 61), first seen. */
  arch: number | null;
  archName: string | null;
  vendorClass: string | null;
  steps: BootStep[];
  /** Seconds from the client's first packet to the start of its last boot-program fetch. */
  timeToBootProgram: number | null;
  /** Did the chain reach a boot program transfer that completed without an error finding? */
  booted: boolean;
}

export interface AnalysisSummary {
  clients: number;
  booted: number;
  failed: number;
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
  clients: BootChain[];
  findings: Finding[];
  summary: AnalysisSummary;
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
}

export const DEFAULT_THRESHOLDS: AnalysisThresholds = {
  slowOffer: 1,
  noReply: 4,
  loopCount: 3,
  tftpIdle: 10,
};
