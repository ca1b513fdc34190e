/**
 * The `decode --format jsonl` line of a DHCPv4 message written member by member: the same bytes as
 * JSON.stringify(decodedToJson(m)) (wire/dhcpv4/json.ts says what the members are; the tests compare
 * both over every capture), without the message object and its string (~15 µs a line on Node 20,
 * the most of any record: a DHCP-heavy capture writes ~1 KB per message).
 */
import { cString, hex, ipv4ToString } from '../wire/bytes.js';
import { clientMac, dhcpV4OptionsJson, hasDhcpCookie, msgTypeName, overloadValue, type DhcpV4Message } from '../wire/dhcpv4/index.js';
import { ascii, type JsonlWriter } from './jsonl-writer.js';

const OP = ascii(',"op":');
const HTYPE = ascii(',"htype":');
const HLEN = ascii(',"hlen":');
const HOPS = ascii(',"hops":');
const XID = ascii(',"xid":');
const SECS = ascii(',"secs":');
const FLAGS = ascii(',"flags":');
const MSG_TYPE = ascii(',"msgType":');
const CIADDR = ascii(',"ciaddr":');
const YIADDR = ascii(',"yiaddr":');
const SIADDR = ascii(',"siaddr":');
const GIADDR = ascii(',"giaddr":');
const CHADDR = ascii(',"chaddr":');
const SNAME = ascii(',"sname":');
const FILE = ascii(',"file":');
const OVERLOAD = ascii(',"overload":');
const COOKIE = ascii(',"cookie":');
const OPTIONS = ascii(',"options":[');
const CODE = ascii('{"code":');
const NAME = ascii(',"name":');
const VALUE = ascii(',"value":');
const AREA = ascii(',"area":');
const INSTANCES = ascii(',"instances":');
const AREAS = ascii(',"areas":');
const TRAILER_LENGTH = ascii(',"trailerLength":');
const EMPTY_STRING = ascii('""');
const NULL = ascii('null');

/** Writes the members of dhcpV4ToJson(msg), each after a comma. */
export function writeDhcpV4Members(w: JsonlWriter, msg: DhcpV4Message): void {
  const ov = overloadValue(msg);
  w.room(8 * 24 + 64);
  w.putBytes(OP);
  w.number(msg.op);
  w.putBytes(HTYPE);
  w.number(msg.htype);
  w.putBytes(HLEN);
  w.number(msg.hlen);
  w.putBytes(HOPS);
  w.number(msg.hops);
  w.putBytes(XID);
  w.number(msg.xid);
  w.putBytes(SECS);
  w.number(msg.secs);
  w.putBytes(FLAGS);
  w.number(msg.flags);
  w.put(MSG_TYPE);
  const type = msgTypeName(msg);
  if (type === null) w.put(NULL);
  else w.string(type);
  w.put(CIADDR);
  w.string(ipv4ToString(msg.ciaddr));
  w.put(YIADDR);
  w.string(ipv4ToString(msg.yiaddr));
  w.put(SIADDR);
  w.string(ipv4ToString(msg.siaddr));
  w.put(GIADDR);
  w.string(ipv4ToString(msg.giaddr));
  w.put(CHADDR);
  w.string(clientMac(msg));
  w.put(SNAME);
  fieldString(w, ov & 2 ? null : msg.sname);
  w.put(FILE);
  fieldString(w, ov & 1 ? null : msg.file);
  if (ov >= 1 && ov <= 3) {
    w.put(OVERLOAD);
    w.value(ov);
  }
  const dhcp = hasDhcpCookie(msg);
  if (!dhcp && msg.cookie.length) {
    w.put(COOKIE);
    w.string(hex(msg.cookie));
  }
  w.put(OPTIONS);
  const options = dhcpV4OptionsJson(msg);
  for (let i = 0; i < options.length; i++) {
    const o = options[i]!;
    if (i > 0) w.byte(0x2c);
    w.put(CODE);
    w.value(o.code);
    w.put(NAME);
    w.string(o.name);
    w.put(VALUE);
    w.value(o.value);
    if (o.area !== undefined) {
      w.put(AREA);
      w.string(o.area);
    }
    if (o.instances !== undefined) {
      w.put(INSTANCES);
      w.value(o.instances);
    }
    if (o.areas !== undefined) {
      w.put(AREAS);
      w.value(o.areas);
    }
    w.byte(0x7d);
  }
  w.byte(0x5d);
  if (msg.trailer.length && dhcp) {
    w.put(TRAILER_LENGTH);
    w.value(msg.trailer.length);
  }
}

/** JSON.stringify(cString(b)), '' for a field left out (overloaded); an all-zero field costs no decoder call. */
function fieldString(w: JsonlWriter, b: Uint8Array | null): void {
  if (b === null || b.length === 0 || b[0] === 0) w.put(EMPTY_STRING);
  else w.string(cString(b));
}

