/** Synthetic network-boot traffic built with the real wire encoders (tests, fixtures, benchmarks). */
export { generateBootTraffic, type FrameSink, type GenerateSummary } from './traffic.js';
export { writeCapture, type WriteCaptureOptions } from './write.js';
export {
  FAULT_NAMES, type BootTrafficOptions, type FaultName, type FaultRates, type TrafficMix,
} from './options.js';
export {
  BOOT_SERVER, DHCP_SERVER, PROXY_SERVER, RELAY, ROGUE_SERVER, LEASE_SLOTS,
} from './plan.js';
export * as hostile from './hostile.js';
export { dhcpFlood, type FloodOptions } from './dhcp-flood.js';
