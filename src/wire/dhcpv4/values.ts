/**
 * Typed DHCPv4 option values: the TypeScript shape of what each option's codec decodes to (the
 * same values the JSON view prints, so typing them changes no output), as DHCPv6 has per code
 * (dhcpv6/types.ts DhcpV6ValueMap). Covers the options that analyze, findings and the scenario
 * language read; other codes stay `JsonValue`.
 */
import type { JsonValue } from './codec.js';
import { getOption, vendorClass, type DhcpV4Message } from './message.js';
import { decodeOptionValue } from './options.js';

/** A sub-option (43 PXE, 82 relay agent, 175 iPXE) in wire order; PAD/END kept with value null,
 *  bytes after END as code null, `trailing`. */
export interface SubOption {
  code: number | null;
  name: string;
  value: JsonValue;
}

export interface ClientId { type: number; id: string }
export interface ClientArch { code: number; name: string }
/** Option 94: interface type (1 = UNDI), major, minor. */
export interface ClientNdi { type: number; major: number; minor: number }
/** Option 97: type (0) and the GUID as text, in wire byte order. */
export interface ClientUuid { type: number; uuid: string }

/** Typed value per option code, when the option's bytes fit its type. */
export interface DhcpV4ValueMap {
  1: string;
  3: string[];
  6: string[];
  12: string;
  15: string;
  /** PXE sub-options when option 60 says PXEClient, raw hex otherwise. */
  43: SubOption[] | string;
  50: string;
  51: number;
  52: number;
  /** The message type name (OFFER…), the number when unassigned. */
  53: string | number;
  54: string;
  55: number[];
  60: string;
  61: ClientId;
  66: string;
  67: string;
  /** RFC 3004 instances, or one plain text (iPXE sends "iPXE" without a length byte). */
  77: string[] | string;
  82: SubOption[];
  93: ClientArch[];
  94: ClientNdi;
  97: ClientUuid;
  150: string[];
  160: string;
  175: SubOption[];
}

export type TypedOptionCode = keyof DhcpV4ValueMap;

/** An option's typed value; undefined when absent or when its bytes do not fit the type. */
export function typedOption<C extends TypedOptionCode>(msg: DhcpV4Message, code: C): DhcpV4ValueMap[C] | undefined {
  const d = getOption(msg, code);
  if (!d) return undefined;
  const r = decodeOptionValue(code, d, { issues: null, base: 0, vendorClass: vendorClass(msg) });
  return r.ok ? (r.value as DhcpV4ValueMap[C]) : undefined;
}
