/** Boot-file URLs as the steps meet them: IPv6 hosts come bracketed, TFTP paths without their "/". */

/** A URL hostname without IPv6 brackets ("[2001:db8::1]" → "2001:db8::1"). */
export function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The host of a URL without IPv6 brackets, or null when it is not a URL with a host. */
export function urlHost(url: string): string | null {
  try {
    const h = bareHost(new URL(url).hostname);
    return h === '' ? null : h;
  } catch {
    return null;
  }
}

/** `tftp://host/path` → server and file (the path without its leading "/", as EDK2 and iPXE ask). */
export function tftpUrl(text: string): { server: string; file: string } | null {
  if (!/^tftp:\/\//i.test(text)) return null;
  try {
    const u = new URL(text);
    const server = bareHost(u.hostname);
    return server === '' ? null : { server, file: decodeURIComponent(u.pathname).replace(/^\//, '') };
  } catch {
    return null;
  }
}
