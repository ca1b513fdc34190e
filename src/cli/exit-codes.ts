/** Exit codes and usage errors live in src/errors.ts with every other error; re-exported for the CLI. */
export { ExitCode, UsageError } from '../errors.js';

/** `pxecheck: MSG` with one prefix, whoever already wrote one. */
export function errorLine(msg: string): string {
  return `pxecheck: ${msg.replace(/^(pxecheck:\s*)+/, '')}`;
}

/** Errors of the file system or a device (a missing or unreadable path, a disk failing under the
 *  read, no space for the output): bad input or environment, exit 2 — not a bug. */
const FILE_ERROR_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EIO', 'ENXIO', 'ENODEV', 'ELOOP', 'ENAMETOOLONG', 'ESTALE', 'EROFS', 'ENOSPC', 'EDQUOT', 'EFBIG', 'EMFILE', 'ENFILE', 'EBUSY', 'ETXTBSY']);

/** `cannot read PATH: CODE` (or `cannot write` for a failed write) for a file-system error, else null. */
export function fileErrorMessage(err: unknown): string | null {
  const e = err as NodeJS.ErrnoException | null;
  if (typeof e?.code !== 'string' || !FILE_ERROR_CODES.has(e.code)) return null;
  const verb = e.syscall === 'write' || e.code === 'ENOSPC' || e.code === 'EDQUOT' || e.code === 'EFBIG' || e.code === 'EROFS' ? 'write' : 'read';
  return `cannot ${verb} ${e.path ?? (verb === 'write' ? 'output' : 'input')}: ${e.code}`;
}
