/**
 * The decoded DHCP messages of chosen frames of a capture: what `analyze --scenario` observes a
 * recorded exchange from, with the same functions as a live one (dhcp-facts.ts, dhcp6-facts.ts).
 * The edge that reads the file; the checker (offline.ts) stays pure.
 */
import { readCaptures, type CaptureInput } from '../../capture/index.js';
import { DecodePipeline } from '../../decode/pipeline.js';
import { parseDhcpV4, type DhcpV4Message } from '../../wire/dhcpv4/index.js';
import { parseDhcpV6, type DhcpV6Message } from '../../wire/dhcpv6/index.js';

/** DHCPv4 and DHCPv6 messages by frame number. */
export interface CapturedDhcp {
  v4: ReadonlyMap<number, DhcpV4Message>;
  v6: ReadonlyMap<number, DhcpV6Message>;
}

export async function readCapturedDhcp(input: CaptureInput, frames: ReadonlySet<number>): Promise<CapturedDhcp> {
  const v4 = new Map<number, DhcpV4Message>();
  const v6 = new Map<number, DhcpV6Message>();
  if (frames.size === 0) return { v4, v6 };
  const pipeline = new DecodePipeline({
    message(m) {
      if (!frames.has(m.frame)) return;
      // The payload views the capture buffer, valid during this call only: keep a parsed copy.
      if (m.proto === 'dhcp4') v4.set(m.frame, parseDhcpV4(new Uint8Array(m.payload), []));
      else if (m.proto === 'dhcp6') v6.set(m.frame, parseDhcpV6(new Uint8Array(m.payload), []));
    },
  }, { protos: new Set(['dhcp4', 'dhcp6']) });
  await readCaptures(input, (rec) => pipeline.push(rec));
  pipeline.finish();
  return { v4, v6 };
}
