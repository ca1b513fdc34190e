/**
 * What `pxecheck export` produces: one object per file transferred over TFTP or HTTP, and the
 * sink the assembler writes its bytes to (injected: files on disk in the CLI, memory in tests).
 */

export type ObjectProtocol = 'tftp' | 'http';

/** Known when the first byte of an object is about to be written. */
export interface ObjectStart {
  /** 1-based, in order of the transfer's start. */
  id: number;
  protocol: ObjectProtocol;
  /** TFTP file name or HTTP request target, as sent (may be hostile: never a path as is). */
  name: string;
  /** `download`: server → client (RRQ, HTTP response); `upload`: client → server (WRQ). */
  direction: 'download' | 'upload';
  clientMac: string | null;
  clientAddr: string;
  clientPort: number;
  serverAddr: string;
  serverPort: number;
}

/** A finished (or abandoned) object: the manifest entry, minus where the sink put it. */
export interface ObjectResult extends ObjectStart {
  /** Bytes written, each byte of the transfer once. */
  size: number;
  /** Size the transfer announced (TFTP tsize, HTTP Content-Length), null when none. */
  expectedSize: number | null;
  /** sha256 of the bytes written, hex. */
  sha256: string;
  complete: boolean;
  /** Why it is incomplete ("capture ends at block 12", "ERROR 1 File not found"…); null when complete. */
  problem: string | null;
  /** HTTP status code; null for TFTP. */
  status: number | null;
  firstFrame: number;
  lastFrame: number;
  /** Frames that carried the request and the object's bytes. */
  frames: number;
  /** Epoch seconds of the first and last frame. */
  start: number;
  end: number;
}

/** Where object bytes go. `write` gets views valid only during the call. */
export interface ObjectSink {
  open(obj: ObjectStart): void;
  write(id: number, data: Uint8Array): void;
  /** Called once per opened object, with its final facts. */
  close(result: ObjectResult): void;
}
