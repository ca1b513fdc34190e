/**
 * Decoded messages → transferred files. A `DecodeSink` for the decode pipeline: TFTP and HTTP
 * bodies are handed to the injected `ObjectSink` as they arrive, so nothing of a file is held in
 * memory. No I/O here.
 */
import type { DecodeSink, DecodedMessage, HttpBodyChunk, HttpCloseReason } from '../decode/messages.js';
import { HttpObjects } from './http-objects.js';
import { TftpObjects } from './tftp-objects.js';
import type { ObjectSink } from './objects.js';

/** A TFTP transfer idle this long has stopped (the pipeline's tracker forgets it after 30 s). */
const TFTP_IDLE_SECONDS = 60;

export class ObjectAssembler implements DecodeSink {
  private readonly tftp: TftpObjects;
  private readonly http: HttpObjects;
  private ids = 0;
  private lastSweep = 0;

  constructor(sink: ObjectSink) {
    const nextId = (): number => ++this.ids;
    this.tftp = new TftpObjects(sink, nextId);
    this.http = new HttpObjects(sink, nextId);
  }

  message(m: DecodedMessage): void {
    if (m.proto === 'tftp') this.tftp.message(m);
    else if (m.proto === 'http') this.http.message(m);
    if (m.time - this.lastSweep > TFTP_IDLE_SECONDS) {
      if (this.lastSweep !== 0) this.tftp.expire(m.time - TFTP_IDLE_SECONDS, `no packet for ${TFTP_IDLE_SECONDS} s`);
      this.lastSweep = m.time;
    }
  }

  httpBody(chunk: HttpBodyChunk): void {
    this.http.body(chunk);
  }

  httpClose(connection: number, reason: HttpCloseReason, frame: number, time: number): void {
    this.http.close(connection, reason, frame, time);
  }

  /** After the pipeline's own `finish()`: whatever is still open is incomplete. */
  finish(): void {
    this.tftp.finish();
    this.http.finish();
  }
}
