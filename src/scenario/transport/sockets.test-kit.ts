/** For tests that a transport releases its sockets. */
import { readdirSync, readlinkSync } from 'node:fs';

/** Sockets this process holds (Linux: the /proc/self/fd links named socket:[inode]). */
export function openSockets(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed since the listing
    }
  }
  return n;
}
