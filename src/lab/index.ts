// Network lab harness: namespaces, servers, captures and QEMU clients for integration tests,
// fixture captures (scripts/make-lab-captures.mjs) and a later `pxecheck lab up|down|status`.
export * from './run.js';
export * from './lab.js';
export * from './servers.js';
export * from './capture.js';
export * from './qemu.js';
export * from './binaries.js';
export * from './fullchain.js';
export * from './isc-dhcpd.js';
export * from './labctl.js';
export * from './impair.js';
export * from './mtu.js';
export * from './v6.js';
export * from './fullchain-v6.js';
export * from './labctl-v6.js';
