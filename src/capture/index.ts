export * from './types.js';
export { readCaptureFile, readCaptureBuffer, type ReadCaptureOptions } from './reader.js';
export { PcapWriter, PcapngWriter, CaptureFileWriter, type PcapWriterOptions, type PcapngWriterOptions, type InterfaceOptions } from './writer.js';
export { PcapParser, PcapMagic, PCAP_MAX_CAPLEN } from './pcap.js';
export { PcapngParser, BlockType, PCAPNG_MAX_BLOCK, timestampSeconds } from './pcapng.js';
