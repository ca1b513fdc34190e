/** The scenario language's face: the schema and the names the runner, loader and tests use. */
export * from './scenario.js';
export * from './steps.js';
export * from './expect.js';
export * from './matchers.js';
export * from './options.js';
export * from './save.js';
export * from './persona-names.js';
export { durationField } from './fields.js';
export { describeValue, humanIssueMessage, isMissingKey } from './messages.js';
export { editDistance, suggest } from './suggest.js';
export { macAt, macToNumber, numberToMac, parseMac, MAX_CLIENTS_PER_RANGE, type MacRange } from '../mac-range.js';
