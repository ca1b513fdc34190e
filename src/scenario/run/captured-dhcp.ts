/**
 * The decoded DHCPv4 messages of chosen frames of a capture: what `analyze --scenario` observes a
 * recorded exchange from, with the same functions as a live one (dhcp-facts.ts). The edge that
 * reads the file; the checker (offline.ts) stays pure.
 */
import { readCaptures, type CaptureInput } from '../../capture/index.js';
import { DecodePipeline } from '../../decode/pipeline.js';
import { parseDhcpV4, type DhcpV4Message } from '../../wire/dhcpv4/index.js';

/** DHCPv4 messages by frame number. */
export type CapturedDhcp = ReadonlyMap<number, DhcpV4Message>;

export async function readCapturedDhcp(input: CaptureInput, frames: ReadonlySet<number>): Promise<CapturedDhcp> {
  const out = new Map<number, DhcpV4Message>();
  if (frames.size === 0) return out;
  const pipeline = new DecodePipeline({
    message(m) {
      if (m.proto !== 'dhcp4' || !frames.has(m.frame)) return;
      // The payload views the capture buffer, valid during this call only: keep a parsed copy.
      out.set(m.frame, parseDhcpV4(new Uint8Array(m.payload), []));
    },
  }, { protos: new Set(['dhcp4']) });
  await readCaptures(input, (rec) => pipeline.push(rec));
  pipeline.finish();
  return out;
}
