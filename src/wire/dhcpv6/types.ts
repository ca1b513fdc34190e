import type { WireIssue, WireIssueKind } from '../issues.js';

/** DUID (RFC 8415 §11, RFC 6355). `other` keeps an unknown or malformed DUID's bytes. */
export type Duid =
  | { kind: 'llt'; hwType: number; time: number; linkLayer: Uint8Array }
  | { kind: 'en'; enterprise: number; identifier: Uint8Array }
  | { kind: 'll'; hwType: number; linkLayer: Uint8Array }
  | { kind: 'uuid'; uuid: string }
  | { kind: 'other'; type: number; data: Uint8Array };

export interface IaNa<O> { iaid: number; t1: number; t2: number; options: O[] }
export interface IaTa<O> { iaid: number; options: O[] }
export interface IaAddress<O> { address: string; preferred: number; valid: number; options: O[] }
export interface IaPrefix<O> {
  preferred: number;
  valid: number;
  prefixLength: number;
  prefix: string;
  options: O[];
}
export interface Auth {
  protocol: number;
  algorithm: number;
  rdm: number;
  /** 8 bytes. */
  replayDetection: Uint8Array;
  info: Uint8Array;
}
export interface StatusCode { status: number; message: string }
export interface VendorClass { enterprise: number; data: Uint8Array[] }
/** A vendor sub-option or other inner TLV kept as bytes. */
export interface RawTlv { code: number; data: Uint8Array }
export interface VendorOpts { enterprise: number; options: RawTlv[] }
export interface RemoteId { enterprise: number; remoteId: Uint8Array }
/** RFC 4704: `partial` when the name lacks its terminating root label. */
export interface ClientFqdn { flags: number; name: string; partial: boolean }
/** RFC 5908 sub-option: 1 server address, 2 multicast address (address text), 3 FQDN (name).
 *  The parser always sets `data`; a builder may give `value` alone. */
export interface NtpSubOption { code: number; value?: string; data?: Uint8Array }
export interface Nii { type: number; major: number; minor: number }
export interface LinkLayerAddress { hwType: number; address: Uint8Array }

/** Typed value per option code. `O` is the inner option type, `M` the relayed message type: parsed
 *  values hold parsed options/messages, builder specs hold specs. */
export interface DhcpV6ValueMap<O, M> {
  1: Duid;
  2: Duid;
  3: IaNa<O>;
  4: IaTa<O>;
  5: IaAddress<O>;
  6: number[];
  7: number;
  /** Hundredths of a second. */
  8: number;
  9: M;
  11: Auth;
  12: string;
  13: StatusCode;
  14: true;
  15: Uint8Array[];
  16: VendorClass;
  17: VendorOpts;
  18: Uint8Array;
  19: number;
  20: true;
  21: string[];
  22: string[];
  23: string[];
  24: string[];
  25: IaNa<O>;
  26: IaPrefix<O>;
  31: string[];
  32: number;
  37: RemoteId;
  38: Uint8Array;
  39: ClientFqdn;
  56: NtpSubOption[];
  59: string;
  60: string[];
  61: number[];
  62: Nii;
  79: LinkLayerAddress;
  82: number;
  83: number;
  112: string;
  136: string[];
  143: string[];
}

export type KnownOptionCode = keyof DhcpV6ValueMap<unknown, unknown>;
export type ParsedValueMap = DhcpV6ValueMap<DhcpV6Option, DhcpV6Message>;
export type SpecValueMap = DhcpV6ValueMap<DhcpV6OptionSpec, DhcpV6MessageSpec>;
export type DhcpV6Value = ParsedValueMap[KnownOptionCode];

/** One option as on the wire. `data` is the payload view; emit writes it back, so round trips are
 *  exact whatever `value` says. `value` is the typed decoding, absent for unknown or broken ones. */
export interface DhcpV6Option {
  code: number;
  data: Uint8Array;
  value?: DhcpV6Value;
  /** Only when the length field promised more bytes than the buffer had (truncated option). */
  declaredLength?: number;
}

/** How a builder names an option: a typed value (encoded by the codec table) or raw bytes. */
export type DhcpV6OptionSpec =
  | { [K in KnownOptionCode]: { code: K; value: SpecValueMap[K]; data?: undefined; declaredLength?: number } }[KnownOptionCode]
  | { code: number; data: Uint8Array; declaredLength?: number };

export interface DhcpV6ClientServerMessage {
  relay: false;
  msgType: number;
  /** 24-bit transaction id. */
  xid: number;
  options: DhcpV6Option[];
  /** 1-3 bytes after the last option, too short for an option header (kept for exact emit). */
  trailing?: Uint8Array;
}

export interface DhcpV6RelayMessage {
  relay: true;
  msgType: number;
  hopCount: number;
  /** 16 bytes each. */
  linkAddress: Uint8Array;
  peerAddress: Uint8Array;
  options: DhcpV6Option[];
  trailing?: Uint8Array;
}

export type DhcpV6Message = DhcpV6ClientServerMessage | DhcpV6RelayMessage;

/** Input of the builder and of emit (a parsed message is one too). Relay addresses may be text. */
export type DhcpV6MessageSpec =
  | { relay?: false; msgType: number; xid: number; options: DhcpV6OptionSpec[]; trailing?: Uint8Array }
  | {
      relay: true;
      msgType: number;
      hopCount: number;
      linkAddress: Uint8Array | string;
      peerAddress: Uint8Array | string;
      options: DhcpV6OptionSpec[];
      trailing?: Uint8Array;
    };

/** Passed down through nested decoders. `shortKind` is `truncated` inside an option the buffer cut
 *  short (the bytes ran out) and `malformed` otherwise (the length fields disagree). */
export interface DecodeContext {
  issues: WireIssue[];
  depth: number;
  shortKind: WireIssueKind;
}

export const LAYER = 'dhcp6';
/** Nested Relay Message options parsed at most this deep (RFC 8415 HOP_COUNT_LIMIT is 8; 32 is
 *  generous and still bounds recursion on hostile input). */
export const MAX_RELAY_DEPTH = 32;
