/** Version of the `analyze --format json` contract, apart from its zod schema so writing JSON does not load zod. */
export const ANALYZE_JSON_VERSION = 2;
