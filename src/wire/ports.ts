/**
 * Well-known ports of the boot protocols (IANA "Service Name and Transport Protocol Port Number
 * Registry"). The one place these numbers are written; everyone else uses the names.
 */
export const UdpPort = {
  /** bootps: DHCPv4 server and relay agent (RFC 2131 §4.1). */
  DHCP_SERVER: 67,
  /** bootpc: DHCPv4 client. */
  DHCP_CLIENT: 68,
  /** TFTP requests (RFC 1350 §4; the transfer moves to fresh ports). */
  TFTP: 69,
  /** DHCPv6 client (RFC 8415 §7.2). */
  DHCPV6_CLIENT: 546,
  /** DHCPv6 server and relay agent. */
  DHCPV6_SERVER: 547,
  /** PXE boot server / proxyDHCP requests after DHCP (PXE 2.1 §2.2). */
  PXE_BOOT_SERVER: 4011,
  /** VXLAN (RFC 7348 §5): remote mirrors (cloud traffic mirroring) send the mirrored frames here. */
  VXLAN: 4789,
} as const;

export const TcpPort = {
  HTTP: 80,
  HTTPS: 443,
} as const;

