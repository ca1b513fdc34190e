/** Option 82, relay agent information (RFC 3046 and later sub-options). */
import { asciiBytes, fromHex, hex, latin1String } from '../bytes.js';
import { concatBytes, enterpriseData, obj, ip, rawHex, subOptions, text, type Codec, type JsonValue, type SubOptionTable } from './codec.js';

/** VSS (151, RFC 6607): type byte + VPN id as hex. */
const vss: Codec = {
  decode: (d) => (d.length >= 1 ? { type: d[0]!, data: d[0] === 0 ? latin1String(d.subarray(1)) : hex(d.subarray(1)) } : undefined),
  encode(v) {
    const o = obj(v, 'VSS');
    const type = Number(o.type ?? 0);
    const data = String(o.data ?? '');
    return concatBytes([Uint8Array.of(type), type === 0 ? asciiBytes(data) : fromHex(data)]);
  },
};

export const RELAY_AGENT_SUBOPTIONS: SubOptionTable = {
  what: 'relay agent',
  padEnd: false,
  defs: {
    1: { name: 'circuit-id', codec: rawHex },
    2: { name: 'remote-id', codec: rawHex },
    4: { name: 'docsis-device-class', codec: rawHex },
    5: { name: 'link-selection', codec: ip },
    6: { name: 'subscriber-id', codec: text },
    7: { name: 'radius-attributes', codec: rawHex },
    8: { name: 'authentication', codec: rawHex },
    9: { name: 'vendor-specific', codec: enterpriseData },
    10: { name: 'relay-agent-flags', codec: rawHex },
    11: { name: 'server-id-override', codec: ip },
    12: { name: 'relay-agent-id', codec: rawHex },
    151: { name: 'vss', codec: vss },
    152: { name: 'vss-control', codec: rawHex },
  },
};

export const relayAgentInfo = subOptions(RELAY_AGENT_SUBOPTIONS);

/** Sub-option codes a relay agent of ours fills in (RFC 3046 §3.1, §3.2). */
export const RelayAgentSubOption = { CIRCUIT_ID: 1, REMOTE_ID: 2 } as const;

/** What a relay agent puts in option 82: its circuit and remote ids as text. */
export interface RelayAgentIds {
  circuitId?: string;
  remoteId?: string;
}

/** Bytes of the Agent Information field: one length byte (RFC 3046 §2.0). */
export const RELAY_AGENT_INFO_MAX = 255;

/**
 * Option 82's data for a relay's ids, or null when it has none. RFC 3046 §2.0 defines option 82 as
 * ONE option whose one-byte length covers all its sub-options, added by the relay and echoed
 * verbatim by the server (§2.2); it makes no provision for RFC 3396 splitting, and servers that
 * match on circuit-id read one instance. So the ids are cut to fit 255 bytes: circuit-id first,
 * remote-id gets what is left (and is left out when nothing is).
 */
export function relayAgentInfoData(ids: RelayAgentIds): Uint8Array | null {
  const subs: JsonValue[] = [];
  let room = RELAY_AGENT_INFO_MAX;
  for (const [code, name, text] of [
    [RelayAgentSubOption.CIRCUIT_ID, 'circuit-id', ids.circuitId],
    [RelayAgentSubOption.REMOTE_ID, 'remote-id', ids.remoteId],
  ] as const) {
    if (text === undefined || room < 3) continue;
    const value = asciiBytes(text).subarray(0, room - 2);
    subs.push({ code, name, value: hex(value) });
    room -= 2 + value.length;
  }
  return subs.length ? relayAgentInfo.encode(subs) : null;
}
