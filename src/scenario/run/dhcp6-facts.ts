/** From a DHCPv6 reply to what expectations see: a live exchange (dhcp6-step.ts) and a capture (offline.ts) alike. */
import { DhcpV6MsgType, innermostMessage, optionValueToJson, type DhcpV6Message } from '../../wire/dhcpv6/index.js';
import type { OptionValue } from '../expect.js';

/** Every option of a reply as expectations see it: decoded scalars/lists, else raw bytes. */
export function optionMap6(msg: DhcpV6Message): Map<number, OptionValue> {
  const out = new Map<number, OptionValue>();
  for (const opt of msg.options) {
    if (out.has(opt.code)) continue;
    const v = optionValueToJson(opt);
    if (typeof v === 'string' || typeof v === 'number') out.set(opt.code, v);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) out.set(opt.code, v as Array<string | number>);
    else out.set(opt.code, opt.data);
  }
  return out;
}

/** The reply of a recorded exchange (relayed ones unwrapped): the last Reply, else the first Advertise. */
export function replyInCapture(messages: readonly DhcpV6Message[]): DhcpV6Message | null {
  const inner = messages.map(innermostMessage);
  return inner.findLast((m) => m.msgType === DhcpV6MsgType.REPLY) ?? inner.find((m) => m.msgType === DhcpV6MsgType.ADVERTISE) ?? null;
}
