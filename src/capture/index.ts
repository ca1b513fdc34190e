export * from './types.js';
export { readCapture, readCaptureFile, readCaptureWith, readCaptureBuffer, assertUsable, parserFor, CaptureStream, type ParserChoice, type ReadCaptureOptions } from './reader.js';
export { readMerged, readCaptures, mergedSummary } from './merge.js';
export { STDIN_NAME, inputName, type CaptureInput } from './source.js';
export { PcapWriter, PcapngWriter, CaptureFileWriter, type PcapWriterOptions, type PcapngWriterOptions, type InterfaceOptions } from './writer.js';
export { PcapParser, PcapMagic, PCAP_MAX_CAPLEN } from './pcap.js';
export { PcapngParser, BlockType, PCAPNG_MAX_BLOCK, timestampSeconds } from './pcapng.js';
