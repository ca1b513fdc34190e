/** I/O-free protocol clients for `pxecheck run`. */
export * from './types.js';
export { Dhcp4Client, selectOffers, type Dhcp4ClientConfig, type Dhcp4Operation, type Dhcp4Result, type Dhcp4Timings } from './dhcp4.js';
export { ProxyDhcpClient, PROXY_DHCP_PORT, type ProxyDhcpClientConfig, type ProxyDhcpResult } from './proxy-dhcp.js';
export { TftpClient, type TftpClientConfig, type TftpRequestOptions, type TftpResult } from './tftp.js';
export { HttpClient, type HttpClientConfig, type HttpResult } from './http.js';
export { backoff, emitClientMessage, type Dhcp4MessageFields } from './dhcp4-message.js';
export {
  Dhcp6Client, type Dhcp6ClientConfig, type Dhcp6Operation, type Dhcp6RelayConfig, type Dhcp6Result, type Dhcp6Status,
  type Dhcp6Timings,
} from './dhcp6.js';
export { DHCP6_CLIENT_PORT, DHCP6_SERVER_PORT, nextRt, retransmission, type Retransmission } from './dhcp6-message.js';
