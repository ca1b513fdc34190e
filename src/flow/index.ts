export * from './types.js';
export { BootChainBuilder, type BootChainBuilderOptions, type FinishInfo } from './builder.js';
export { analyzeCapture, type AnalyzeOptions } from './analyze.js';
