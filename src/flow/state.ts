/**
 * Internal per-chain and per-step state of the builder: the public step objects plus the small
 * facts the rules need (times of the first unanswered request, counters). Only strings and numbers:
 * nothing here may point into a capture buffer.
 */
import type { FrameSample } from './frames.js';
import type {
  BootChain, Dhcp4Step, Dhcp6Step, HttpStep, ProxyDhcpStep, TftpStep,
} from './types.js';

interface StateBase {
  frames: FrameSample;
  /** Time of the last packet of the step. */
  last: number;
}

export interface Dhcp4State extends StateBase {
  kind: 'dhcp4';
  step: Dhcp4Step;
  stageKnown: boolean;
  firstDiscover: number | null;
  discoverFrame: number;
  firstOffer: number | null;
  /** First REQUEST not yet answered by ACK/NAK (time, frame), null once answered. */
  pendingRequest: { time: number; frame: number } | null;
  requestSeen: boolean;
  /** DISCOVERs sent after an offer had arrived (the client ignored the offers). */
  discoversAfterOffer: number;
  /** Option 60 of each offer, parallel to `step.offers`. */
  offerVendorClass: (string | null)[];
  nak: { frame: number; time: number; server: string } | null;
  ack: { frame: number; time: number; bootfile: string | null } | null;
}

export interface ProxyState extends StateBase {
  kind: 'proxydhcp';
  step: ProxyDhcpStep;
  pendingRequest: { time: number; frame: number } | null;
}

export interface Dhcp6State extends StateBase {
  kind: 'dhcp6';
  step: Dhcp6Step;
  /** Transaction ids of the step (Solicit and Request use different ones). */
  xids: number[];
  pendingSolicit: { time: number; frame: number } | null;
  answered: boolean;
  /** An Advertise/Reply arrived and none carried option 59. */
  answerFrame: number;
  replied: boolean;
  bootClient: boolean;
}

export interface TftpState extends StateBase {
  kind: 'tftp';
  step: TftpStep;
  clientAddr: string;
  clientPort: number;
  requestFrame: number;
  /** Highest DATA block seen, unwrapped past 65535 (0: none yet). */
  highestBlock: number;
  lastBlockLen: number;
  /** Highest ACK seen, unwrapped (-1: none yet). */
  highestAck: number;
  oack: boolean;
  serverAnswered: boolean;
  errorFrame: number;
  errorFromClient: boolean;
  /** Time of the first DATA (for throughput). */
  firstData: number | null;
}

export interface HttpState extends StateBase {
  kind: 'http';
  step: HttpStep;
  connection: number;
  requestFrame: number;
  responded: boolean;
  responseTime: number | null;
  responseFrame: number;
}

export type StepState = Dhcp4State | ProxyState | Dhcp6State | TftpState | HttpState;

export interface ChainState {
  key: string;
  chain: BootChain;
  first: number;
  last: number;
  states: StepState[];
  dhcp4: Dhcp4State | null;
  proxy: ProxyState | null;
  dhcp6: Dhcp6State | null;
  /** Frames with decode problems attributed to this client. */
  malformed: FrameSample | null;
  malformedTime: number;
  malformedWhat: Set<string> | null;
}
