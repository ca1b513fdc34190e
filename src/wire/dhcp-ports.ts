/** The UDP ports each DHCP version is seen on: the decode dispatch's per-packet test, spelt out
 *  as compares (a Set lookup per packet cost more). */
import { UdpPort } from './ports.js';

/** DHCPv4, with proxyDHCP on the PXE boot server port. */
export function isDhcpV4Port(port: number): boolean {
  return port === UdpPort.DHCP_SERVER || port === UdpPort.DHCP_CLIENT || port === UdpPort.PXE_BOOT_SERVER;
}

export function isDhcpV6Port(port: number): boolean {
  return port === UdpPort.DHCPV6_CLIENT || port === UdpPort.DHCPV6_SERVER;
}
