/** Link-layer header types (tcpdump.org/linktypes.html numbers, as pcap and pcapng store them). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const SUPPORTED_LINKS: ReadonlySet<number> = new Set(Object.values(LinkType));

/** Can the decode pipeline (wire/link.ts) take frames of this link type apart? */
export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED_LINKS.has(linkType);
}
