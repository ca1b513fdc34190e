/**
 * The file-system edge of `pxecheck export`: each object is written to `<dir>/<name>.partial` as
 * its bytes arrive and renamed to `<name>` when it completed. Files are opened with `wx` (never
 * following or replacing anything), and only a bounded number stay open at once, so a capture
 * with thousands of concurrent transfers does not run out of descriptors.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NameRegistry, safeFileName } from './names.js';
import type { ObjectResult, ObjectSink, ObjectStart } from './objects.js';

export const MANIFEST_NAME = 'manifest.json';
export const PARTIAL_SUFFIX = '.partial';
const MAX_OPEN = 32;

/** A manifest entry: the object's facts and its file, relative to the export directory. */
export interface ExportedObject extends ObjectResult {
  file: string;
}

interface OpenFile {
  name: string;
  fd: number | null;
}

export class DirectorySink implements ObjectSink {
  private readonly names = new NameRegistry([MANIFEST_NAME]);
  private readonly files = new Map<number, OpenFile>();
  /** Ids with an open descriptor, least recently used first. */
  private readonly lru = new Map<number, number>();
  readonly objects: ExportedObject[] = [];

  constructor(private readonly dir: string) {}

  open(obj: ObjectStart): void {
    const name = this.names.take(safeFileName(obj.name, obj.protocol), PARTIAL_SUFFIX);
    const f: OpenFile = { name, fd: null };
    this.files.set(obj.id, f);
    this.descriptor(obj.id, f, 'wx'); // created now, so an empty or failed transfer still has its file
  }

  write(id: number, data: Uint8Array): void {
    const f = this.files.get(id);
    if (!f) return;
    const fd = this.descriptor(id, f, 'a');
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
  }

  close(result: ObjectResult): void {
    const f = this.files.get(result.id);
    if (!f) return;
    this.files.delete(result.id);
    if (f.fd !== null) {
      closeSync(f.fd);
      this.lru.delete(result.id);
    }
    let file = f.name + PARTIAL_SUFFIX;
    if (result.complete) {
      renameSync(join(this.dir, file), join(this.dir, f.name));
      file = f.name;
    }
    this.objects.push({ ...result, file });
  }

  /** Closes whatever is still open (after an error). */
  abort(): void {
    for (const f of this.files.values()) if (f.fd !== null) closeSync(f.fd);
    this.files.clear();
    this.lru.clear();
  }

  private descriptor(id: number, f: OpenFile, flags: 'wx' | 'a'): number {
    if (f.fd !== null) {
      this.lru.delete(id);
      this.lru.set(id, f.fd);
      return f.fd;
    }
    if (this.lru.size >= MAX_OPEN) {
      const [oldId, oldFd] = this.lru.entries().next().value as [number, number];
      closeSync(oldFd);
      this.lru.delete(oldId);
      const old = this.files.get(oldId);
      if (old) old.fd = null;
    }
    f.fd = openSync(join(this.dir, f.name + PARTIAL_SUFFIX), flags);
    this.lru.set(id, f.fd);
    return f.fd;
  }
}
