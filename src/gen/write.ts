/** Streams generated frames into a pcap or pcapng file (buffered, never the whole capture in memory). */
import { CaptureFileWriter, PcapngWriter, PcapWriter } from '../capture/writer.js';
import { LinkType } from '../wire/link-type.js';
import type { FrameSink } from './traffic.js';

export interface WriteCaptureOptions {
  format: 'pcap' | 'pcapng';
}

/** Runs `gen` with a sink that appends each frame to `path`; returns the number of frames written
 *  and whatever `gen` returned. */
export function writeCapture<T>(path: string, opts: WriteCaptureOptions, gen: (emit: FrameSink) => T): { frames: number; result: T } {
  const file = new CaptureFileWriter(path);
  let frames = 0;
  let result: T;
  try {
    let emit: FrameSink;
    if (opts.format === 'pcapng') {
      const w = new PcapngWriter(file.write, { application: 'pxecheck gen' });
      const ifId = w.addInterface(LinkType.ETHERNET, { name: 'gen0' });
      emit = (time, frame) => { frames++; w.writePacket(ifId, time, frame); };
    } else {
      const w = new PcapWriter(file.write, LinkType.ETHERNET);
      emit = (time, frame) => { frames++; w.writePacket(time, frame); };
    }
    result = gen(emit);
  } finally {
    file.close();
  }
  return { frames, result };
}
