/**
 * File names for exported objects. A name comes from the network (a TFTP file name, a URL), so
 * it is never used as a path: only its last segment is kept, characters that are unsafe on any
 * common file system become `_`, leading dots go (no `..`, no hidden files), and the length is
 * bounded. Names are unique in the export directory, case-insensitively: `x.efi`, `x-2.efi`…
 */

/** Longest name kept, in UTF-16 units (file systems allow 255 bytes; leave room for suffixes). */
const MAX_NAME = 120;
const UNSAFE = /[\u0000-\u001f\u007f/\\:*?"<>|]/g;
/** Windows device names, unusable as file names there whatever the extension. */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** The last path segment of a TFTP file name (`/` or `\` separated) or of a URL's path. */
export function lastSegment(name: string, protocol: 'tftp' | 'http'): string {
  let path = name;
  if (protocol === 'http') {
    path = path.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(/[?#].*$/s, '');
    try {
      path = decodeURIComponent(path);
    } catch {
      // bad percent-encoding: keep it as sent
    }
    if (path === '' || path.endsWith('/')) return 'index.html';
  }
  const parts = path.split(/[/\\]/);
  return parts[parts.length - 1] ?? '';
}

/** A single safe file name for `name` (never empty, never `.`/`..`, no separators). */
export function safeFileName(name: string, protocol: 'tftp' | 'http'): string {
  let s = lastSegment(name, protocol).replace(UNSAFE, '_').trim().replace(/^\.+/, '').replace(/[. ]+$/, '');
  if (s.length > MAX_NAME) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 16 ? s.slice(dot) : '';
    s = s.slice(0, MAX_NAME - ext.length) + ext;
  }
  const stem = s.split('.')[0] ?? '';
  if (RESERVED.test(stem)) s = `_${s}`;
  return s === '' ? 'object' : s;
}

/** Hands out unique names within one directory. */
export class NameRegistry {
  private readonly taken = new Set<string>();

  /** `reserved`: names already in use (the manifest's). */
  constructor(reserved: readonly string[] = []) {
    for (const r of reserved) this.taken.add(r.toLowerCase());
  }

  /** A free name for `wanted`; it and `<name><partialSuffix>` are both reserved. */
  take(wanted: string, partialSuffix: string): string {
    const dot = wanted.lastIndexOf('.');
    const stem = dot > 0 ? wanted.slice(0, dot) : wanted;
    const ext = dot > 0 ? wanted.slice(dot) : '';
    for (let n = 1; ; n++) {
      const name = n === 1 ? wanted : `${stem}-${n}${ext}`;
      const a = name.toLowerCase();
      const b = (name + partialSuffix).toLowerCase();
      if (!this.taken.has(a) && !this.taken.has(b)) {
        this.taken.add(a);
        this.taken.add(b);
        return name;
      }
    }
  }
}
