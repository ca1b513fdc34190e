/** Option 82, relay agent information (RFC 3046 and later sub-options). */
import { asciiBytes, fromHex, hex, latin1String } from '../bytes.js';
import { concatBytes, enterpriseData, obj, ip, rawHex, subOptions, text, type Codec, type SubOptionTable } from './codec.js';

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
