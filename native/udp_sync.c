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
 *
 * The batch socket (IPv4, non-blocking, for the MAIN thread's event loop; see
 * src/scenario/transport/udp-batch.ts): a storm's datagrams cost one recvmmsg and one JS
 * call per wake-up, and one sendmmsg per turn, where dgram makes a system call, a Buffer, an rinfo
 * object and a callback per datagram.
 *   openBatch(address, port, rcvbuf, onBatch[, holdMs]) -> { handle, pool: Uint8Array, meta: Uint32Array }
 *       bound with SO_REUSEADDR; libuv watches it. onBatch(n): datagram i at pool[i * 65536 ...],
 *       meta[3i .. 3i+2] = length, source address (host order), source port; valid during the call
 *       only (the next batch overwrites them). holdMs > 0: a wake-up less than holdMs after the
 *       previous one is the last for holdMs (what arrives meanwhile is read together after it).
 *   sendBatch(handle, buf, meta, n) -> sent   meta[4i .. 4i+3] = offset in buf, length, destination
 *       address (host order), port; sendmmsg. A datagram the kernel refuses is skipped (sent < n);
 *       batchError(handle) names the last refusal (null: none).
 *   batchPort(handle) -> bound local port;   closeBatch(handle): stops watching, closes (idempotent)
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
#include <uv.h>

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

/* A UDP socket of ss's family bound to it, with the receive buffer asked for (0: the system's);
 * `type_flags` adds to SOCK_DGRAM | SOCK_CLOEXEC, `reuse` sets SO_REUSEADDR before the bind. On
 * failure -1, errno as the failed call left it and *failed naming that call. */
static int bound_udp_socket(const struct sockaddr_storage *ss, socklen_t sl, uint32_t rcvbuf, int type_flags, int reuse, const char **failed) {
  int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC | type_flags, 0);
  if (fd < 0) {
    *failed = "socket";
    return -1;
  }
  if (reuse) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (rcvbuf > 0) {
    int v = (int)rcvbuf;
    /* SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped by rmem_max otherwise. */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  }
  if (bind(fd, (const struct sockaddr *)ss, sl) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    *failed = "bind";
    return -1;
  }
  return fd;
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
  const char *failed;
  int fd = bound_udp_socket(&ss, sl, rcvbuf, 0, 0, &failed);
  if (fd < 0) return throw_errno(env, failed);
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

/* ---- the batch socket (event loop, non-blocking) ---- */

/* An Error with errno's text and, for the failures a caller explains, its name as `code` (as
 * Node's own socket errors carry it). */
static napi_value throw_errno_code(napi_env env, const char *what) {
  int e = errno;
  const char *code = e == EACCES ? "EACCES" : e == EADDRINUSE ? "EADDRINUSE" : e == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : NULL;
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_throw_error(env, code, msg);
  return NULL;
}

/* Datagrams read per recvmmsg and handed to JS in one call; a slot holds the largest UDP
 * payload, so nothing is ever truncated (the pool is virtual memory the kernel touches only
 * as far as each datagram goes). */
#define BATCH_N 64
#define BATCH_SLOT 65536
/* recvmmsg rounds per readable event at most (then libuv's other handles get their turn). */
#define BATCH_ROUNDS 8
#define RECV_META 3
#define SEND_META 4
/* Datagrams per sendmmsg call (a longer batch takes several). */
#define SEND_N 64

typedef struct {
  int fd;
  uv_poll_t *poll; /* owned by libuv until its close callback frees it */
  napi_env env;
  napi_ref on_batch;
  napi_ref self;     /* keeps the external alive while open */
  napi_ref pool_ref; /* the ArrayBuffers behind pool and meta */
  napi_ref meta_ref;
  uint8_t *pool;
  uint32_t *meta;
  napi_async_context async;
  int closed;
  int in_callback;
  char error[160]; /* the last send the kernel refused */
  /* Wake-up coalescing (hold_ms > 0): a wake-up that comes less than hold_ms after the previous
   * one stops the watch for hold_ms, so a storm's datagrams are read some at a time per wake-up
   * instead of one each (every wake-up is a context switch and a pass through JS). */
  uint32_t hold_ms;
  uint64_t last_wake_ns;
  uv_timer_t *hold; /* owned by libuv until its close callback frees it */
} batch_t;

static void free_batch_poll(uv_handle_t *h) { free(h); }

static void batch_teardown(batch_t *b) {
  if (b->in_callback) return; /* on_batch_readable finishes the job */
  if (b->on_batch != NULL) napi_delete_reference(b->env, b->on_batch), b->on_batch = NULL;
  if (b->pool_ref != NULL) napi_delete_reference(b->env, b->pool_ref), b->pool_ref = NULL;
  if (b->meta_ref != NULL) napi_delete_reference(b->env, b->meta_ref), b->meta_ref = NULL;
  b->pool = NULL, b->meta = NULL;
  if (b->async != NULL) napi_async_destroy(b->env, b->async), b->async = NULL;
  if (b->self != NULL) napi_delete_reference(b->env, b->self), b->self = NULL; /* last */
}

/* Stops watching and closes the socket; references go now or when the running callback ends. */
static void batch_stop(batch_t *b) {
  if (b->closed) return;
  b->closed = 1;
  if (b->poll != NULL) {
    uv_poll_stop(b->poll);
    b->poll->data = NULL;
    uv_close((uv_handle_t *)b->poll, free_batch_poll);
    b->poll = NULL;
  }
  if (b->hold != NULL) {
    uv_timer_stop(b->hold);
    b->hold->data = NULL;
    uv_close((uv_handle_t *)b->hold, free_batch_poll);
    b->hold = NULL;
  }
  if (b->fd >= 0) close(b->fd);
  b->fd = -1;
  batch_teardown(b);
}

static void on_batch_readable(uv_poll_t *poll, int status, int events);

/* The hold is over: watch again (what arrived meanwhile wakes the loop at once). */
static void on_hold_end(uv_timer_t *t) {
  batch_t *b = (batch_t *)t->data;
  if (b == NULL || b->closed || b->poll == NULL) return;
  uv_poll_start(b->poll, UV_READABLE, on_batch_readable);
}

static void on_batch_readable(uv_poll_t *poll, int status, int events) {
  batch_t *b = (batch_t *)poll->data;
  (void)events, (void)status;
  if (b == NULL || b->closed) return;
  if (b->hold != NULL) {
    uint64_t now = uv_hrtime();
    if (now - b->last_wake_ns < (uint64_t)b->hold_ms * 1000000u) {
      uv_poll_stop(b->poll);
      uv_timer_start(b->hold, on_hold_end, b->hold_ms, 0);
    }
    b->last_wake_ns = now;
  }
  napi_env env = b->env;
  b->in_callback = 1;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  /* One callback scope for all rounds: microtasks and nextTicks (the sends the replies caused,
   * SendQueue's flush) run once when it closes. */
  napi_value resource;
  napi_callback_scope cscope;
  napi_create_object(env, &resource);
  napi_open_callback_scope(env, resource, b->async, &cscope);
  struct mmsghdr msgs[BATCH_N];
  struct iovec iov[BATCH_N];
  struct sockaddr_in from[BATCH_N];
  for (int round = 0; round < BATCH_ROUNDS && !b->closed; round++) {
    for (int i = 0; i < BATCH_N; i++) {
      iov[i].iov_base = b->pool + (size_t)i * BATCH_SLOT;
      iov[i].iov_len = BATCH_SLOT;
      memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    }
    int n = recvmmsg(b->fd, msgs, BATCH_N, MSG_DONTWAIT, NULL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* EAGAIN: drained; an error (ICMP-reported) is retried at the next wake-up */
    for (int i = 0; i < n; i++) {
      uint32_t *m = b->meta + (size_t)i * RECV_META;
      m[0] = msgs[i].msg_len;
      m[1] = from[i].sin_family == AF_INET ? ntohl(from[i].sin_addr.s_addr) : 0;
      m[2] = from[i].sin_family == AF_INET ? ntohs(from[i].sin_port) : 0;
    }
    napi_value fn, recv, argv[1], result;
    if (b->on_batch != NULL && napi_get_reference_value(env, b->on_batch, &fn) == napi_ok && fn != NULL) {
      napi_get_global(env, &recv);
      napi_create_uint32(env, (uint32_t)n, &argv[0]);
      if (napi_call_function(env, recv, fn, 1, argv, &result) != napi_ok) {
        bool pending = false;
        napi_is_exception_pending(env, &pending);
        if (pending) {
          napi_value err;
          napi_get_and_clear_last_exception(env, &err);
          napi_fatal_exception(env, err);
        }
      }
    }
    if (n < BATCH_N) break; /* the queue is empty now */
  }
  napi_close_callback_scope(env, cscope);
  napi_close_handle_scope(env, scope);
  b->in_callback = 0;
  if (b->closed) batch_teardown(b); /* closed during this callback: release the rest now */
}

static void finalize_batch(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  batch_t *b = data;
  batch_stop(b);
  free(b);
}

static batch_t *get_batch(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    throw_msg(env, "udp_sync: not a batch socket handle");
    return NULL;
  }
  return p;
}

static napi_value js_open_batch(napi_env env, napi_callback_info info) {
  ARGS(5);
  if (argc < 4) return throw_msg(env, "udp_sync.openBatch(address, port, rcvbuf, onBatch[, holdMs])");
  uint32_t hold_ms = 0;
  if (argc >= 5) napi_get_value_uint32(env, argv[4], &hold_ms);
  char addr[64];
  size_t alen;
  uint32_t port, rcvbuf;
  CHECK(napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &alen));
  CHECK(napi_get_value_uint32(env, argv[1], &port));
  CHECK(napi_get_value_uint32(env, argv[2], &rcvbuf));
  struct sockaddr_storage ss;
  socklen_t sl;
  if (to_sockaddr(addr, port, &ss, &sl) != 0 || ss.ss_family != AF_INET) return throw_msg(env, "udp_sync.openBatch: not an IPv4 address");
  const char *failed;
  int fd = bound_udp_socket(&ss, sl, rcvbuf, SOCK_NONBLOCK, 1, &failed);
  if (fd < 0) return throw_errno_code(env, failed);
  /* A turn's burst leaves in one sendmmsg on a non-blocking socket: room for it, no EAGAIN. */
  int sndbuf = 4 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf) != 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  batch_t *b = calloc(1, sizeof *b);
  if (b == NULL) {
    close(fd);
    return throw_msg(env, "udp_sync.openBatch: out of memory");
  }
  b->fd = fd;
  b->env = env;
  napi_value pool_ab, meta_ab, pool, meta;
  void *pool_mem, *meta_mem;
  if (napi_create_arraybuffer(env, (size_t)BATCH_N * BATCH_SLOT, &pool_mem, &pool_ab) != napi_ok ||
      napi_create_arraybuffer(env, BATCH_N * RECV_META * sizeof(uint32_t), &meta_mem, &meta_ab) != napi_ok ||
      napi_create_typedarray(env, napi_uint8_array, (size_t)BATCH_N * BATCH_SLOT, pool_ab, 0, &pool) != napi_ok ||
      napi_create_typedarray(env, napi_uint32_array, BATCH_N * RECV_META, meta_ab, 0, &meta) != napi_ok) {
    close(fd);
    free(b);
    return throw_msg(env, "udp_sync.openBatch: out of memory");
  }
  b->pool = pool_mem;
  b->meta = meta_mem;
  napi_create_reference(env, pool_ab, 1, &b->pool_ref);
  napi_create_reference(env, meta_ab, 1, &b->meta_ref);
  napi_create_reference(env, argv[3], 1, &b->on_batch);
  napi_value name;
  napi_create_string_utf8(env, "pxecheck:udp-batch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &b->async);
  uv_loop_t *loop;
  napi_value handle, out;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || (b->poll = calloc(1, sizeof *b->poll)) == NULL ||
      uv_poll_init(loop, b->poll, fd) != 0) {
    free(b->poll);
    b->poll = NULL;
    batch_stop(b);
    free(b);
    return throw_msg(env, "udp_sync.openBatch: cannot watch the socket");
  }
  b->poll->data = b;
  if (hold_ms > 0) {
    b->hold_ms = hold_ms;
    b->hold = calloc(1, sizeof *b->hold);
    if (b->hold == NULL || uv_timer_init(loop, b->hold) != 0) {
      free(b->hold);
      b->hold = NULL;
      batch_stop(b);
      free(b);
      return throw_msg(env, "udp_sync.openBatch: cannot make the hold timer");
    }
    b->hold->data = b;
  }
  uv_poll_start(b->poll, UV_READABLE, on_batch_readable);
  if (napi_create_external(env, b, finalize_batch, NULL, &handle) != napi_ok) {
    batch_stop(b);
    free(b);
    return throw_msg(env, "napi_create_external");
  }
  napi_create_reference(env, handle, 1, &b->self);
  CHECK(napi_create_object(env, &out));
  CHECK(napi_set_named_property(env, out, "handle", handle));
  CHECK(napi_set_named_property(env, out, "pool", pool));
  CHECK(napi_set_named_property(env, out, "meta", meta));
  return out;
}

static napi_value js_send_batch(napi_env env, napi_callback_info info) {
  ARGS(4);
  napi_value out;
  batch_t *b = get_batch(env, argv[0]);
  if (b == NULL) return NULL;
  if (b->closed) return throw_msg(env, "udp_sync: socket closed");
  uint8_t *buf;
  size_t blen;
  if (get_bytes(env, argv[1], &buf, &blen) != 0) return NULL;
  napi_typedarray_type type;
  napi_value ab;
  size_t mlen, moff;
  uint32_t *meta;
  if (napi_get_typedarray_info(env, argv[2], &type, &mlen, (void **)&meta, &ab, &moff) != napi_ok || type != napi_uint32_array)
    return throw_msg(env, "udp_sync.sendBatch: meta must be a Uint32Array");
  uint32_t n;
  CHECK(napi_get_value_uint32(env, argv[3], &n));
  if ((size_t)n * SEND_META > mlen) return throw_msg(env, "udp_sync.sendBatch: more datagrams than meta describes");
  for (uint32_t i = 0; i < n; i++) {
    const uint32_t *m = meta + (size_t)i * SEND_META;
    if ((size_t)m[0] + m[1] > blen) return throw_msg(env, "udp_sync.sendBatch: a datagram beyond the buffer");
  }
  struct mmsghdr msgs[SEND_N];
  struct iovec iov[SEND_N];
  struct sockaddr_in to[SEND_N];
  uint32_t sent = 0, i = 0;
  while (i < n) {
    uint32_t k = n - i < SEND_N ? n - i : SEND_N;
    for (uint32_t j = 0; j < k; j++) {
      const uint32_t *m = meta + (size_t)(i + j) * SEND_META;
      iov[j].iov_base = buf + m[0];
      iov[j].iov_len = m[1];
      memset(&to[j], 0, sizeof to[j]);
      to[j].sin_family = AF_INET;
      to[j].sin_addr.s_addr = htonl(m[2]);
      to[j].sin_port = htons((uint16_t)m[3]);
      memset(&msgs[j].msg_hdr, 0, sizeof msgs[j].msg_hdr);
      msgs[j].msg_hdr.msg_iov = &iov[j];
      msgs[j].msg_hdr.msg_iovlen = 1;
      msgs[j].msg_hdr.msg_name = &to[j];
      msgs[j].msg_hdr.msg_namelen = sizeof to[j];
    }
    int r = sendmmsg(b->fd, msgs, k, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      /* The first of the rest was refused (ENOBUFS, EACCES, ENETUNREACH…): skip it, go on. */
      snprintf(b->error, sizeof b->error, "sendmmsg: %s", strerror(r < 0 ? errno : EIO));
      i++;
      continue;
    }
    sent += (uint32_t)r;
    i += (uint32_t)r;
  }
  CHECK(napi_create_uint32(env, sent, &out));
  return out;
}

static napi_value js_batch_error(napi_env env, napi_callback_info info) {
  ARGS(1);
  napi_value out;
  batch_t *b = get_batch(env, argv[0]);
  if (b == NULL) return NULL;
  if (b->error[0] == 0) CHECK(napi_get_null(env, &out));
  else CHECK(napi_create_string_utf8(env, b->error, NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value js_batch_port(napi_env env, napi_callback_info info) {
  ARGS(1);
  napi_value out;
  batch_t *b = get_batch(env, argv[0]);
  if (b == NULL) return NULL;
  if (b->closed) return throw_msg(env, "udp_sync: socket closed");
  struct sockaddr_in sa;
  socklen_t sl = sizeof sa;
  if (getsockname(b->fd, (struct sockaddr *)&sa, &sl) != 0) return throw_errno(env, "getsockname");
  CHECK(napi_create_uint32(env, ntohs(sa.sin_port), &out));
  return out;
}

static napi_value js_close_batch(napi_env env, napi_callback_info info) {
  ARGS(1);
  batch_t *b = get_batch(env, argv[0]);
  if (b == NULL) return NULL;
  batch_stop(b);
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
      EXPORT_FN("openBatch", js_open_batch),
      EXPORT_FN("sendBatch", js_send_batch),
      EXPORT_FN("batchError", js_batch_error),
      EXPORT_FN("batchPort", js_batch_port),
      EXPORT_FN("closeBatch", js_close_batch),
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
