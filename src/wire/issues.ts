/**
 * Problems a decoder met. Decoders never throw on bad input: they return what they could read and
 * push issues here. `truncated` (the bytes ran out) is kept apart from `malformed` (the bytes are
 * there but break the protocol's rules), as gopacket does.
 */
export type WireIssueKind = 'truncated' | 'malformed' | 'unsupported';

export interface WireIssue {
  kind: WireIssueKind;
  /** Layer or protocol that raised it: 'pcap', 'ethernet', 'ipv4', 'udp', 'dhcp4', 'tftp', ... */
  layer: string;
  /** Byte offset of the problem. Parsers take a `base` and report `base + local offset`, so the
   *  pipeline can make it relative to the start of the frame. */
  offset: number;
  message: string;
}

export function pushIssue(
  issues: WireIssue[],
  kind: WireIssueKind,
  layer: string,
  offset: number,
  message: string,
): void {
  issues.push({ kind, layer, offset, message });
}
