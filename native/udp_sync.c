/*
 * pxecheck's blocking UDP helper (N-API, plain C): one datagram socket, and a send + a receive with
 * a timeout into a caller-owned buffer in ONE call. For a worker_thread (never the main thread: it
 * blocks): a lock-step exchange (TFTP DATA/ACK) then costs two system calls — sendto, recvfrom
 * (SO_RCVTIMEO) — where curl makes nine, with no event-loop wake-up, no allocation and no copy per
 * datagram.
 * Generic UDP: it knows nothing of any protocol (the TFTP format stays in src/wire/tftp.ts).
 * Only src/scenario/transport/udp-sync.ts loads it.
 *
 * JS API (see src/scenario/transport/udp-sync.ts):
 *   open(bindAddress, bindPort, rcvbufBytes) -> handle      IPv4 or IPv6 by the address; throws Error(message)
 *   port(handle) -> bound local port
 *   peer(handle, address, port)        where send/sendRecv send to
 *   peerFromLast(handle)               send to where the last datagram came from (a TFTP server's TID)
 *   send(handle, buf, len)             sendto the peer; throws Error(message)
 *   recv(handle, buf, timeoutMs) -> n  one datagram into buf[0..n) (truncated to buf's length); -1 on timeout
 *   sendRecv(handle, buf, len, rbuf, timeoutMs) -> n          send, then recv as above
 *   lastFrom(handle, out) -> port      the last datagram's source address (4 or 16 bytes into out) and port
 *   close(handle)                      idempotent; the finalizer closes a forgotten socket
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "napi_args.h"

typedef struct {
  int fd;
  int family;
  struct sockaddr_storage peer;
  socklen_t peer_len;
  struct sockaddr_storage last; /* source of the last datagram received */
  socklen_t last_len;
  int rcvtimeo_ms; /* SO_RCVTIMEO now set on fd (0: none yet) */
} udp_t;

static napi_value throw_errno(napi_env env, const char *what) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  return throw_msg(env, msg);
}

static void finalize_udp(napi_env env, void *data, void *hint) {
  udp_t *u = data;
  if (u->fd >= 0) close(u->fd);
  free(u);
}

static udp_t *get_udp(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    throw_msg(env, "udp_sync: not a socket handle");
    return NULL;
  }
  udp_t *u = data;
  if (u->fd < 0) {
    throw_msg(env, "udp_sync: socket closed");
    return NULL;
  }
  return u;
}

static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *length) {
  if (uint8_array(env, v, data, length)) return 0;
  throw_msg(env, "udp_sync: expected a Uint8Array");
  return -1;
}

/* address text + port -> sockaddr; 0 on success. */
static int to_sockaddr(const char *text, uint32_t port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    return 0;
  }
  if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof *a6;
    return 0;
  }
  return -1;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  ARGS(3);
  if (argc < 3) return throw_msg(env, "udp_sync.open(address, port, rcvbuf)");
  char addr[64];
  size_t alen;
  uint32_t port, rcvbuf;
  CHECK(napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &alen));
  CHECK(napi_get_value_uint32(env, argv[1], &port));
  CHECK(napi_get_value_uint32(env, argv[2], &rcvbuf));
  struct sockaddr_storage ss;
  socklen_t sl;
  if (to_sockaddr(addr, port, &ss, &sl) != 0) return throw_msg(env, "udp_sync.open: not an IP address");
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket");
  if (rcvbuf > 0) {
    int v = (int)rcvbuf;
    /* SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped by rmem_max otherwise. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  }
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return throw_errno(env, "bind");
  }
  udp_t *u = calloc(1, sizeof *u);
  if (u == NULL) {
    close(fd);
    return throw_msg(env, "udp_sync.open: out of memory");
  }
  u->fd = fd;
  u->family = ss.ss_family;
  napi_value handle;
  if (napi_create_external(env, u, finalize_udp, NULL, &handle) != napi_ok) {
    close(fd);
    free(u);
    return throw_msg(env, "napi_create_external");
  }
  return handle;
}

static napi_value js_port(napi_env env, napi_callback_info info) {
  ARGS(1);
  napi_value out;
  udp_t *u = get_udp(env, argv[0]);
  if (u == NULL) return NULL;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  if (getsockname(u->fd, (struct sockaddr *)&ss, &sl) != 0) return throw_errno(env, "getsockname");
  uint16_t p = ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port;
  CHECK(napi_create_uint32(env, ntohs(p), &out));
  return out;
}

static napi_value js_peer(napi_env env, napi_callback_info info) {
  ARGS(3);
  udp_t *u = get_udp(env, argv[0]);
  if (u == NULL) return NULL;
  char addr[64];
  size_t alen;
  uint32_t port;
  CHECK(napi_get_value_string_utf8(env, argv[1], addr, sizeof addr, &alen));
  CHECK(napi_get_value_uint32(env, argv[2], &port));
  /* Parsed aside: a bad address leaves the previous peer as it was. */
  struct sockaddr_storage ss;
  socklen_t sl;
  if (to_sockaddr(addr, port, &ss, &sl) != 0 || ss.ss_family != u->family)
    return throw_msg(env, "udp_sync.peer: not an IP address of the socket's family");
  memcpy(&u->peer, &ss, sizeof u->peer);
  u->peer_len = sl;
  return NULL;
}

static napi_value js_peer_from_last(napi_env env, napi_callback_info info) {
  ARGS(1);
  udp_t *u = get_udp(env, argv[0]);
  if (u == NULL) return NULL;
  if (u->last_len == 0) return throw_msg(env, "udp_sync.peerFromLast: nothing received yet");
  memcpy(&u->peer, &u->last, sizeof u->peer);
  u->peer_len = u->last_len;
  return NULL;
}

static int do_send(napi_env env, udp_t *u, napi_value buf, napi_value lenv) {
  uint8_t *data;
  size_t length;
  uint32_t len;
  if (get_bytes(env, buf, &data, &length) != 0) return -1;
  if (napi_get_value_uint32(env, lenv, &len) != napi_ok || len > length) {
    throw_msg(env, "udp_sync: length beyond the buffer");
    return -1;
  }
  if (u->peer_len == 0) {
    throw_msg(env, "udp_sync: no peer set");
    return -1;
  }
  ssize_t n;
  do n = sendto(u->fd, data, len, 0, (struct sockaddr *)&u->peer, u->peer_len);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    throw_errno(env, "sendto");
    return -1;
  }
  return 0;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SO_RCVTIMEO of `ms` (> 0) on the socket, set only when it changes (a transfer waits in slices
 * of one length: one setsockopt per socket, not per datagram). */
static int set_rcvtimeo(udp_t *u, int ms) {
  if (u->rcvtimeo_ms == ms) return 0;
  struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  if (setsockopt(u->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) return -1;
  u->rcvtimeo_ms = ms;
  return 0;
}

/* One datagram into buf: bytes, -1 on timeout, -2 on error (errno set). A wait is ONE blocking
 * recvfrom bounded by SO_RCVTIMEO, not recvfrom + poll + recvfrom: a lock-step block then costs
 * two system calls (sendto, recvfrom) where curl makes nine (measured with strace), and system
 * calls are dear in this kind of VM. The kernel rounds SO_RCVTIMEO up to its tick (4 ms here), so
 * a timeout fires a few ms late: harmless for TFTP timers of 0.25 s and up. timeout 0: only what
 * is there already. */
static ssize_t do_recv(udp_t *u, uint8_t *buf, size_t cap, int timeout_ms) {
  int64_t deadline = now_ms() + timeout_ms;
  for (;;) {
    u->last_len = sizeof u->last;
    int left = (int)(deadline - now_ms());
    int flags = 0;
    if (left <= 0) flags = MSG_DONTWAIT;
    else if (set_rcvtimeo(u, left) != 0) return -2;
    ssize_t n = recvfrom(u->fd, buf, cap, flags, (struct sockaddr *)&u->last, &u->last_len);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (flags == 0 && now_ms() < deadline) continue; /* SO_RCVTIMEO in jiffies: woke a little early */
      u->last_len = 0;
      return -1;
    }
    return -2;
  }
}

static napi_value recv_result(napi_env env, udp_t *u, napi_value rbuf, napi_value tov) {
  uint8_t *data;
  size_t length;
  int32_t timeout;
  napi_value out;
  if (get_bytes(env, rbuf, &data, &length) != 0) return NULL;
  CHECK(napi_get_value_int32(env, tov, &timeout));
  ssize_t n = do_recv(u, data, length, timeout < 0 ? 0 : timeout);
  if (n == -2) return throw_errno(env, "recvfrom");
  CHECK(napi_create_int32(env, (int32_t)n, &out));
  return out;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  ARGS(3);
  udp_t *u = get_udp(env, argv[0]);
  if (u == NULL || do_send(env, u, argv[1], argv[2]) != 0) return NULL;
  return NULL;
}

static napi_value js_recv(napi_env env, napi_callback_info info) {
  ARGS(3);
  udp_t *u = get_udp(env, argv[0]);
  if (u == NULL) return NULL;
  return recv_result(env, u, argv[1], argv[2]);
}

static napi_value js_send_recv(napi_env env, napi_callback_info info) {
  ARGS(5);
  udp_t *u = get_udp(env, argv[0]);
  if (u == NULL || do_send(env, u, argv[1], argv[2]) != 0) return NULL;
  return recv_result(env, u, argv[3], argv[4]);
}

static napi_value js_last_from(napi_env env, napi_callback_info info) {
  ARGS(2);
  napi_value out;
  udp_t *u = get_udp(env, argv[0]);
  if (u == NULL) return NULL;
  uint8_t *data;
  size_t length;
  if (get_bytes(env, argv[1], &data, &length) != 0) return NULL;
  uint16_t port = 0;
  if (u->last_len != 0 && u->last.ss_family == AF_INET && length >= 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)&u->last;
    memcpy(data, &a->sin_addr, 4);
    port = ntohs(a->sin_port);
  } else if (u->last_len != 0 && u->last.ss_family == AF_INET6 && length >= 16) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&u->last;
    memcpy(data, &a->sin6_addr, 16);
    port = ntohs(a->sin6_port);
  }
  CHECK(napi_create_uint32(env, port, &out));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) return throw_msg(env, "udp_sync: not a socket handle");
  udp_t *u = data;
  if (u->fd >= 0) close(u->fd);
  u->fd = -1;
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      EXPORT_FN("open", js_open),
      EXPORT_FN("port", js_port),
      EXPORT_FN("peer", js_peer),
      EXPORT_FN("peerFromLast", js_peer_from_last),
      EXPORT_FN("send", js_send),
      EXPORT_FN("recv", js_recv),
      EXPORT_FN("sendRecv", js_send_recv),
      EXPORT_FN("lastFrom", js_last_from),
      EXPORT_FN("close", js_close),
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
