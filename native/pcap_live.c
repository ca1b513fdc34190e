/*
 * pxecheck's libpcap binding (N-API, plain C): open a live interface, set a BPF filter, read
 * without blocking from libuv's poll on the pcap fd, inject frames, report pcap_stats, close.
 * Only src/capture/live.ts loads it. Why our own: the npm `cap` binding prints a warning to stderr
 * on every interface without an IPv4 address (pcap_lookupnet), asserts (aborts the process) when a
 * captured interface disappears, and has no pcap_stats. Here a read error ends the capture through
 * the onError callback, and nothing is ever printed.
 *
 * JS API (see src/capture/live.ts):
 *   abi                                   PCAP_ABI: live.ts refuses a binding whose number differs
 *   openBatched(device, filter, snaplen, bufferSize, promisc, onFrames(count), onError(message)[, inboundOnly])
 *     -> { handle, linkType, pool, meta } throws Error(message) when libpcap refuses
 *     onFrames(count): `count` frames were copied into `pool` (a Uint8Array reused for every call:
 *       views into it are valid during the call only) and described in `meta` (a Float64Array,
 *       FRAME_META numbers per frame: offset in pool, captured length, length on the wire, seconds).
 *       One call per pcap_dispatch batch (more when the pool fills up first), not one per frame.
 *     inboundOnly: frames this host sends are not captured (the raw transport: half the wakeups)
 *   send(handle, Uint8Array) -> bytes    throws Error(message)
 *   sendBatch(handle, Uint8Array[]) -> n  frames sent with sendmmsg (Linux); throws Error(message)
 *   stats(handle) -> { received, dropped, ifDropped } | null
 *   close(handle)                         idempotent
 *   setFilter(handle, filter)             a new BPF filter on an open capture, swapped in the kernel
 *                                         in one step (frames already in the ring still come); throws
 *   openBlocking(device, filter, snaplen, bufferSize) -> handle   for a worker thread: no libuv,
 *                                         no callbacks, promiscuous, inbound only; throws
 *   next(bhandle, buf, timeoutMs, spinUs) -> n  one frame copied into buf (cut to its length), -1
 *                                         when timeoutMs passed (it BLOCKS: worker threads only);
 *                                         for the first spinUs (at most timeoutMs) it polls the ring
 *                                         without sleeping, then sleeps in poll; throws
 *   waits(bhandle) -> { spun, slept }     frames `next` found while spinning, and its sleeps in poll
 *   inject(bhandle, buf, len)             sends buf[0..len); throws
 *   filterBlocking(bhandle, filter)       as setFilter; throws
 *   closeBlocking(bhandle)                idempotent; the finalizer closes a forgotten one
 *   open(...)                             throws: the per-frame call of JavaScript built before
 *                                         the batches (it would take onFrames' count for a frame)
 */
#define _GNU_SOURCE /* sendmmsg */
#define NAPI_VERSION 8
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <node_api.h>
#include <sys/socket.h>
#include <pcap/pcap.h>
#ifdef __linux__
#include <linux/filter.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "napi_args.h"

/* The interface version src/capture/live.ts expects (its PCAP_ABI): bump it with any change of the
 * calls, their arguments or what the callbacks are handed, so that JavaScript and a binding built
 * from other sources refuse each other with "rebuild" instead of misreading each other. */
#define PCAP_ABI 4

/* Packets handed to JS per readable event: bounds the time spent in one callback. */
#define BATCH 256
/* Numbers per frame in `meta`: offset, captured length, wire length, time (seconds). */
#define FRAME_META 4
/* The pool every batch is copied into: a ring of GRO super-frames (64 KiB each on veth) fits
 * without a flush; when it does not, the frames so far go to JS first and the pool starts over. */
#define POOL_MIN (4u << 20)

typedef struct {
  pcap_t *pcap;
  uv_poll_t *poll; /* owned by libuv until its close callback frees it */
  napi_env env;
  napi_ref on_packet;
  napi_ref on_error;
  napi_ref self; /* keeps the external alive while open: GC must not free us mid-dispatch */
  napi_ref pool_ref; /* the ArrayBuffers behind `pool` and `meta` (V8's: their memory never moves) */
  napi_ref meta_ref;
  uint8_t *pool;
  size_t pool_size, pool_used;
  double *meta;
  uint32_t count; /* frames in the pool not yet handed to JS */
  napi_async_context async;
  int closed;      /* close asked for: no more callbacks */
  int dispatching; /* inside pcap_dispatch: teardown waits until it returns */
  int in_callback; /* inside on_readable: references and async context go when it ends */
  int have_last;
  struct pcap_stat last; /* the counters at close, so stats() still answers afterwards */
} live_t;

static void free_poll(uv_handle_t *h) { free(h); }

static void drop_ref(napi_env env, napi_ref *ref) {
  if (*ref != NULL) napi_delete_reference(env, *ref);
  *ref = NULL;
}

/* Frees libpcap and the JS references; never while pcap_dispatch is running. */
static void live_teardown(live_t *l) {
  if (l->pcap != NULL) {
    l->have_last = pcap_stats(l->pcap, &l->last) == 0;
    pcap_close(l->pcap);
    l->pcap = NULL;
  }
  if (l->in_callback) return; /* on_readable finishes the job after closing its scopes */
  drop_ref(l->env, &l->on_packet);
  drop_ref(l->env, &l->on_error);
  drop_ref(l->env, &l->pool_ref);
  drop_ref(l->env, &l->meta_ref);
  l->pool = NULL, l->meta = NULL;
  if (l->async != NULL) napi_async_destroy(l->env, l->async), l->async = NULL;
  drop_ref(l->env, &l->self); /* last: the finalizer may run after this */
}

/* Stops reading; the pcap handle goes now, or when the running dispatch returns. Idempotent. */
static void live_stop(live_t *l) {
  if (l->closed) return;
  l->closed = 1;
  if (l->poll != NULL) {
    uv_poll_stop(l->poll);
    l->poll->data = NULL;
    uv_close((uv_handle_t *)l->poll, free_poll);
    l->poll = NULL;
  }
  if (l->dispatching) pcap_breakloop(l->pcap);
  else live_teardown(l);
}

/* Calls a JS callback inside the callback scope opened by on_readable; a throw becomes an
 * ordinary uncaught exception (process 'uncaughtException'), as with any event emitter. */
static void call_js(live_t *l, napi_ref ref, size_t argc, napi_value *argv) {
  napi_value fn, recv, result;
  if (ref == NULL || napi_get_reference_value(l->env, ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(l->env, &recv);
  if (napi_call_function(l->env, recv, fn, argc, argv, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(l->env, &pending);
    if (pending) {
      napi_value err;
      napi_get_and_clear_last_exception(l->env, &err);
      napi_fatal_exception(l->env, err);
    }
  }
}

/* Hands the frames gathered so far to JS in one call; the pool is free again afterwards. */
static void flush_frames(live_t *l) {
  uint32_t n = l->count;
  l->count = 0;
  l->pool_used = 0;
  if (n == 0 || l->closed) return;
  napi_value argv[1];
  napi_create_uint32(l->env, n, &argv[0]);
  call_js(l, l->on_packet, 1, argv);
}

/* One frame: copied into the pool (libpcap's ring slot is released when dispatch moves on), no
 * JS object made. A frame longer than the pool's room flushes what is there first. */
static void on_frame(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  live_t *l = (live_t *)user;
  if (l->closed || l->pool == NULL) return;
  size_t len = h->caplen < l->pool_size ? h->caplen : l->pool_size;
  if (l->pool_used + len > l->pool_size || l->count == BATCH) flush_frames(l);
  if (l->closed) return; /* close() was called from the flush */
  memcpy(l->pool + l->pool_used, bytes, len);
  double *m = l->meta + (size_t)l->count * FRAME_META;
  m[0] = (double)l->pool_used;
  m[1] = (double)len;
  m[2] = (double)h->len; /* length on the wire: > caplen when cut to snaplen */
  m[3] = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
  l->pool_used += len;
  l->count++;
}

/* A read error (the interface went down or disappeared): stop, then tell JS once. */
/* A read error (the interface went down or disappeared): stop, then tell JS once. */
static void report_error(live_t *l, napi_env env, const char *msg) {
  napi_value argv[1], fn = NULL;
  if (l->on_error != NULL) napi_get_reference_value(env, l->on_error, &fn);
  live_stop(l);
  if (fn == NULL) return;
  napi_value recv, result;
  napi_get_global(env, &recv);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &argv[0]);
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

static void on_readable(uv_poll_t *poll, int status, int events) {
  live_t *l = (live_t *)poll->data;
  (void)events;
  if (l == NULL || l->closed) return;
  napi_env env = l->env;
  l->in_callback = 1; /* `self` stays referenced until the end: `l` cannot be collected meanwhile */
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  /* One callback scope per batch: microtasks run once when it closes, not once per frame. */
  napi_value resource;
  napi_callback_scope cscope;
  napi_create_object(env, &resource);
  napi_open_callback_scope(env, resource, l->async, &cscope);
  char msg[PCAP_ERRBUF_SIZE + 64];
  msg[0] = 0;
  /* On a poll error (POLLERR: the interface went away) still read once: libpcap names the cause. */
  l->dispatching = 1;
  int n = pcap_dispatch(l->pcap, BATCH, on_frame, (u_char *)l);
  l->dispatching = 0;
  flush_frames(l); /* the batch, in one JS call (before an error is reported: those frames came first) */
  if (l->closed) live_teardown(l); /* close() was called from a packet callback */
  else if (n == PCAP_ERROR) snprintf(msg, sizeof msg, "%s", pcap_geterr(l->pcap));
  else if (status < 0) snprintf(msg, sizeof msg, "the interface stopped delivering packets (%s)", uv_strerror(status));
  if (msg[0] != 0) report_error(l, env, msg);
  napi_close_callback_scope(env, cscope);
  napi_close_handle_scope(env, scope);
  l->in_callback = 0;
  if (l->closed) live_teardown(l); /* closed during this callback: release the rest now */
}

static void finalize_live(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  live_t *l = (live_t *)data;
  live_stop(l);
  free(l);
}

static live_t *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok) return NULL;
  return (live_t *)p;
}

static napi_value fail_open(napi_env env, pcap_t *p, const char *what) {
  char msg[PCAP_ERRBUF_SIZE + 256];
  snprintf(msg, sizeof msg, "%s", what != NULL ? what : pcap_geterr(p));
  pcap_close(p);
  return throw_msg(env, msg);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  ARGS(8);
  if (argc < 7) return throw_msg(env, "openBatched(device, filter, snaplen, bufferSize, promisc, onFrames, onError)");
  char device[256], filter[4096], errbuf[PCAP_ERRBUF_SIZE];
  size_t len;
  CHECK(napi_get_value_string_utf8(env, argv[0], device, sizeof device, &len));
  CHECK(napi_get_value_string_utf8(env, argv[1], filter, sizeof filter, &len));
  int32_t snaplen, bufsize;
  bool promisc, inbound_only = false;
  CHECK(napi_get_value_int32(env, argv[2], &snaplen));
  CHECK(napi_get_value_int32(env, argv[3], &bufsize));
  CHECK(napi_get_value_bool(env, argv[4], &promisc));
  if (argc >= 8) napi_get_value_bool(env, argv[7], &inbound_only);

  errbuf[0] = 0;
  pcap_t *p = pcap_create(device, errbuf);
  if (p == NULL) return throw_msg(env, errbuf);
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc ? 1 : 0);
  pcap_set_buffer_size(p, bufsize);
  pcap_set_immediate_mode(p, 1); /* deliver each frame at once, not per ring block */
  int rc = pcap_activate(p);
  if (rc < 0) {
    /* pcap_statustostr names the class (permission, no such device); geterr has the detail. */
    char msg[PCAP_ERRBUF_SIZE + 128];
    snprintf(msg, sizeof msg, "%s: %s", pcap_statustostr(rc), pcap_geterr(p));
    return fail_open(env, p, msg);
  }
  /* Not "inbound and (…)" in the kernel filter (tried: fewer wake-ups): the first answers after
   * open were lost (a NAK, an RA: test/transport), most likely in libpcap's user-space pass over
   * the ring's first blocks, where the packet-type load cannot run. pcap_setdirection it is. */
  const char *expr = filter;
  if (expr[0] != 0) {
    struct bpf_program prog;
    /* PCAP_NETMASK_UNKNOWN: no pcap_lookupnet, which fails (and cap warned) without an IPv4 address. */
    if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
      char msg[PCAP_ERRBUF_SIZE + 64];
      snprintf(msg, sizeof msg, "bad filter: %s", pcap_geterr(p));
      return fail_open(env, p, msg);
    }
    rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) return fail_open(env, p, NULL);
  }
  /* Not every platform can filter by direction: then our own frames come back and JS drops them. */
  if (inbound_only) (void)pcap_setdirection(p, PCAP_D_IN);
  if (pcap_setnonblock(p, 1, errbuf) != 0) return fail_open(env, p, errbuf);
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) return fail_open(env, p, "no selectable file descriptor for this interface");

  live_t *l = calloc(1, sizeof *l);
  if (l == NULL) return fail_open(env, p, "out of memory");
  l->pcap = p;
  l->env = env;
  /* The pool holds a whole batch of typical frames, and always at least four at the snap length. */
  l->pool_size = (size_t)(snaplen > 0 ? snaplen : 65535) * 4;
  if (l->pool_size < POOL_MIN) l->pool_size = POOL_MIN;
  napi_value pool_ab, meta_ab, pool, meta;
  void *pool_mem, *meta_mem;
  if (napi_create_arraybuffer(env, l->pool_size, &pool_mem, &pool_ab) != napi_ok ||
      napi_create_arraybuffer(env, BATCH * FRAME_META * sizeof(double), &meta_mem, &meta_ab) != napi_ok ||
      napi_create_typedarray(env, napi_uint8_array, l->pool_size, pool_ab, 0, &pool) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, BATCH * FRAME_META, meta_ab, 0, &meta) != napi_ok) {
    free(l);
    return fail_open(env, p, "out of memory");
  }
  l->pool = pool_mem;
  l->meta = meta_mem;
  napi_create_reference(env, pool_ab, 1, &l->pool_ref);
  napi_create_reference(env, meta_ab, 1, &l->meta_ref);
  napi_create_reference(env, argv[5], 1, &l->on_packet);
  napi_create_reference(env, argv[6], 1, &l->on_error);
  napi_value name;
  napi_create_string_utf8(env, "pxecheck:pcap", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &l->async);

  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  l->poll = calloc(1, sizeof *l->poll);
  if (l->poll == NULL || uv_poll_init(loop, l->poll, fd) != 0) {
    free(l->poll);
    l->poll = NULL;
    live_stop(l);
    free(l);
    return throw_msg(env, "cannot watch the capture descriptor");
  }
  l->poll->data = l;
  uv_poll_start(l->poll, UV_READABLE, on_readable);

  napi_value handle, out, dlt;
  CHECK(napi_create_external(env, l, finalize_live, NULL, &handle));
  napi_create_reference(env, handle, 1, &l->self);
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_int32(env, pcap_datalink(p), &dlt));
  CHECK(napi_set_named_property(env, out, "handle", handle));
  CHECK(napi_set_named_property(env, out, "linkType", dlt));
  CHECK(napi_set_named_property(env, out, "pool", pool));
  CHECK(napi_set_named_property(env, out, "meta", meta));
  return out;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  ARGS(2);
  live_t *l = argc < 2 ? NULL : unwrap(env, argv[0]);
  if (l == NULL || l->closed) return throw_msg(env, "the capture handle is closed");
  uint8_t *data;
  size_t length;
  if (!uint8_array(env, argv[1], &data, &length)) return throw_msg(env, "send(handle, Uint8Array)");
  int n = pcap_inject(l->pcap, data, length);
  if (n < 0) return throw_msg(env, pcap_geterr(l->pcap));
  napi_value out;
  CHECK(napi_create_int32(env, n, &out));
  return out;
}

/* Frames per sendmmsg call: a wake-up's worth of answers (DHCP REQUESTs, ACKs) in one system call. */
#define SEND_BATCH 64

/* sendBatch(handle, frames[]) -> frames sent. One sendmmsg per SEND_BATCH frames on libpcap's
 * packet socket (what pcap_inject's send() does one frame at a time): fewer system calls, and the
 * server is woken once for the lot instead of preempting us after every frame (2 shared cores). */
static napi_value js_send_batch(napi_env env, napi_callback_info info) {
  ARGS(2);
  live_t *l = argc < 2 ? NULL : unwrap(env, argv[0]);
  if (l == NULL || l->closed) return throw_msg(env, "the capture handle is closed");
  bool is_array = false;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) return throw_msg(env, "sendBatch(handle, Uint8Array[])");
  uint32_t n;
  CHECK(napi_get_array_length(env, argv[1], &n));
  int fd = pcap_fileno(l->pcap);
  struct mmsghdr msgs[SEND_BATCH];
  struct iovec iov[SEND_BATCH];
  uint32_t done = 0;
  while (done < n) {
    uint32_t k = 0;
    for (; k < SEND_BATCH && done + k < n; k++) {
      napi_value el;
      uint8_t *data;
      size_t length;
      CHECK(napi_get_element(env, argv[1], done + k, &el));
      if (!uint8_array(env, el, &data, &length)) return throw_msg(env, "sendBatch(handle, Uint8Array[])");
      iov[k].iov_base = data;
      iov[k].iov_len = length;
      memset(&msgs[k], 0, sizeof msgs[k]);
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
#ifdef __linux__
    int sent = sendmmsg(fd, msgs, k, 0);
#else
    int sent = 0; /* elsewhere: pcap_inject one by one */
    while (sent < (int)k && pcap_inject(l->pcap, iov[sent].iov_base, iov[sent].iov_len) >= 0) sent++;
    if (sent == 0) return throw_msg(env, pcap_geterr(l->pcap));
    (void)fd;
#endif
    if (sent < 0) {
      if (errno == EINTR) continue;
      char msg[256];
      snprintf(msg, sizeof msg, "send: %s", strerror(errno));
      return throw_msg(env, msg);
    }
    done += (uint32_t)sent;
  }
  napi_value out;
  CHECK(napi_create_uint32(env, done, &out));
  return out;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  ARGS(1);
  napi_value out, v;
  live_t *l = argc < 1 ? NULL : unwrap(env, argv[0]);
  struct pcap_stat st;
  int ok = l != NULL && (l->pcap != NULL ? pcap_stats(l->pcap, &st) == 0 : l->have_last);
  if (ok && l->pcap == NULL) st = l->last;
  if (!ok) {
    CHECK(napi_get_null(env, &out));
    return out;
  }
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_double(env, st.ps_recv, &v));
  CHECK(napi_set_named_property(env, out, "received", v));
  CHECK(napi_create_double(env, st.ps_drop, &v));
  CHECK(napi_set_named_property(env, out, "dropped", v));
  CHECK(napi_create_double(env, st.ps_ifdrop, &v));
  CHECK(napi_set_named_property(env, out, "ifDropped", v));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  live_t *l = argc < 1 ? NULL : unwrap(env, argv[0]);
  if (l != NULL) live_stop(l);
  return NULL;
}

/* Compiles `filter` for `p` and sets it; 0, or -1 with the message in msg. */
static int apply_filter(pcap_t *p, const char *filter, char *msg, size_t cap) {
  struct bpf_program prog;
  if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    snprintf(msg, cap, "bad filter: %s", pcap_geterr(p));
    return -1;
  }
  int rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) snprintf(msg, cap, "%s", pcap_geterr(p));
  return rc != 0 ? -1 : 0;
}

/* Swaps the kernel's filter of a live capture in one setsockopt (the kernel replaces the program
 * atomically): 0, or -1 with the message in msg. Not pcap_setfilter: on Linux (1.10) that attaches a
 * reject-all program, drains the socket and only then attaches the new one, so frames arriving in
 * that window (other clients' DHCP/ARP/TCP in load mode) were lost uncounted, and the drain cost the
 * event loop up to ~2 ms per swap. Frames already in the ring under the old filter still reach JS,
 * where a flow no one owns is dropped. libpcap's own copy of the program stays the one set at open:
 * every filter set here is that one narrowed (raw transport: "and not <flow>"), so should libpcap
 * ever filter in userland it rejects nothing the kernel passed. Elsewhere, or when the kernel refuses
 * the program, pcap_setfilter. */
static int swap_filter(pcap_t *p, const char *filter, char *msg, size_t cap) {
#ifdef __linux__
  struct bpf_program prog;
  if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    snprintf(msg, cap, "bad filter: %s", pcap_geterr(p));
    return -1;
  }
  /* struct bpf_insn and struct sock_filter have one layout (code, jt, jf, k), as libpcap relies on. */
  struct sock_fprog fprog = {.len = (unsigned short)prog.bf_len, .filter = (struct sock_filter *)prog.bf_insns};
  int ok = prog.bf_len <= 0xffff && pcap_datalink(p) == DLT_EN10MB &&
           setsockopt(pcap_fileno(p), SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) == 0;
  pcap_freecode(&prog);
  if (ok) return 0;
#endif
  return apply_filter(p, filter, msg, cap);
}

/* setFilter(handle, filter): the raw transport narrows its capture while a worker owns a flow. */
static napi_value js_set_filter(napi_env env, napi_callback_info info) {
  ARGS(2);
  live_t *l = argc < 2 ? NULL : unwrap(env, argv[0]);
  if (l == NULL || l->closed || l->pcap == NULL) return throw_msg(env, "the capture handle is closed");
  char filter[4096], msg[PCAP_ERRBUF_SIZE + 64];
  size_t len;
  CHECK(napi_get_value_string_utf8(env, argv[1], filter, sizeof filter, &len));
  if (len >= sizeof filter - 1) return throw_msg(env, "filter too long");
  if (swap_filter(l->pcap, filter, msg, sizeof msg) != 0) return throw_msg(env, msg);
  return NULL;
}

/* ---- Blocking handles, for worker threads (src/scenario/transport/offload/raw-link.ts) ----
 * One flow's frames, read with pcap_next_ex on the mmap ring (none per frame already there; a
 * bounded spin, then poll, when it is empty) and sent with pcap_inject: a lock-step TFTP block
 * costs a send, a few looks at the ring and no event-loop turn, as on the blocking UDP helper. */
typedef struct {
  pcap_t *pcap;
  int fd;
  /* Frames found while spinning, and sleeps in poll: what a spin saves is read off these. */
  double spun, slept;
} blocking_t;

static void finalize_blocking(napi_env env, void *data, void *hint) {
  (void)env, (void)hint;
  blocking_t *b = data;
  if (b->pcap != NULL) pcap_close(b->pcap);
  free(b);
}

static blocking_t *get_blocking(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL || ((blocking_t *)p)->pcap == NULL) {
    throw_msg(env, "the capture handle is closed");
    return NULL;
  }
  return p;
}

static napi_value js_open_blocking(napi_env env, napi_callback_info info) {
  ARGS(4);
  if (argc < 4) return throw_msg(env, "openBlocking(device, filter, snaplen, bufferSize)");
  char device[256], filter[4096], errbuf[PCAP_ERRBUF_SIZE], msg[PCAP_ERRBUF_SIZE + 128];
  size_t len;
  int32_t snaplen, bufsize;
  CHECK(napi_get_value_string_utf8(env, argv[0], device, sizeof device, &len));
  CHECK(napi_get_value_string_utf8(env, argv[1], filter, sizeof filter, &len));
  if (len >= sizeof filter - 1) return throw_msg(env, "filter too long");
  CHECK(napi_get_value_int32(env, argv[2], &snaplen));
  CHECK(napi_get_value_int32(env, argv[3], &bufsize));
  errbuf[0] = 0;
  pcap_t *p = pcap_create(device, errbuf);
  if (p == NULL) return throw_msg(env, errbuf);
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, 1);
  pcap_set_buffer_size(p, bufsize);
  pcap_set_immediate_mode(p, 1);
  int rc = pcap_activate(p);
  if (rc < 0) {
    snprintf(msg, sizeof msg, "%s: %s", pcap_statustostr(rc), pcap_geterr(p));
    return fail_open(env, p, msg);
  }
  if (filter[0] != 0 && apply_filter(p, filter, msg, sizeof msg) != 0) return fail_open(env, p, msg);
  (void)pcap_setdirection(p, PCAP_D_IN);
  if (pcap_setnonblock(p, 1, errbuf) != 0) return fail_open(env, p, errbuf);
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) return fail_open(env, p, "no selectable file descriptor for this interface");
  blocking_t *b = calloc(1, sizeof *b);
  if (b == NULL) return fail_open(env, p, "out of memory");
  b->pcap = p;
  b->fd = fd;
  napi_value handle;
  if (napi_create_external(env, b, finalize_blocking, NULL, &handle) != napi_ok) {
    pcap_close(p);
    free(b);
    return throw_msg(env, "napi_create_external");
  }
  return handle;
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A frame read by a blocking handle into the caller's buffer: as much as fits. */
static int32_t copy_frame(uint8_t *buf, size_t cap, const struct pcap_pkthdr *h, const u_char *bytes) {
  int32_t n = (int32_t)(h->caplen < cap ? h->caplen : cap);
  memcpy(buf, bytes, (size_t)n);
  return n;
}

/* next(handle, buf, timeoutMs, spinUs). The spin: the answer to a frame just sent (a TFTP ACK)
 * comes back within the server's turn-around, tens of microseconds; asleep in poll, the thread pays a
 * wake-up on top of it (the scheduler's, and on a busy machine the wait for a core). So for spinUs
 * the ring is polled without sleeping (each empty look is libpcap's poll with no timeout: a system
 * call, never a sleep), then poll sleeps for the rest. The caller spins only while a flow is
 * active (right after a send, or between a datagram's fragments), never while idle. */
static napi_value js_next(napi_env env, napi_callback_info info) {
  ARGS(4);
  blocking_t *b = argc < 3 ? NULL : get_blocking(env, argv[0]);
  if (b == NULL) return NULL;
  uint8_t *buf;
  size_t cap;
  int32_t timeout, spin = 0;
  if (!uint8_array(env, argv[1], &buf, &cap)) return throw_msg(env, "next(handle, Uint8Array, timeoutMs, spinUs)");
  CHECK(napi_get_value_int32(env, argv[2], &timeout));
  if (argc >= 4) CHECK(napi_get_value_int32(env, argv[3], &spin));
  if (timeout < 0) timeout = 0;
  if (spin > timeout * 1000) spin = timeout * 1000; /* the timeout bounds the spin too */
  int64_t deadline = mono_ms() + timeout;
  int64_t spin_until = spin > 0 ? mono_us() + spin : 0;
  int32_t n = -1;
  int spun = 0; /* the ring was empty at least once while spinning */
  for (;;) {
    struct pcap_pkthdr *h;
    const u_char *bytes;
    int r = pcap_next_ex(b->pcap, &h, &bytes);
    if (r == 1) {
      n = copy_frame(buf, cap, h, bytes);
      break;
    }
    if (r < 0) return throw_msg(env, pcap_geterr(b->pcap));
    if (spin_until != 0) {
      spun = 1;
      /* A server woken onto this core (or anything else queued on it) runs first: the spin must
       * not delay the answer it waits for, nor other work on a busy machine. */
      sched_yield();
      if (mono_us() < spin_until) continue;
      spin_until = 0;
    }
    int64_t left = deadline - mono_ms();
    if (left <= 0) break;
    struct pollfd pfd = {.fd = b->fd, .events = POLLIN};
    b->slept++;
    if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) return throw_msg(env, strerror(errno));
    if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) {
      /* The interface went away: libpcap names the cause on the next read. */
      r = pcap_next_ex(b->pcap, &h, &bytes);
      if (r < 0) return throw_msg(env, pcap_geterr(b->pcap));
      if (r == 1) {
        n = copy_frame(buf, cap, h, bytes);
        break;
      }
      return throw_msg(env, "the interface stopped delivering packets");
    }
  }
  if (n >= 0 && spun && spin_until != 0) b->spun++;
  napi_value out;
  CHECK(napi_create_int32(env, n, &out));
  return out;
}

static napi_value js_waits(napi_env env, napi_callback_info info) {
  ARGS(1);
  blocking_t *b = argc < 1 ? NULL : get_blocking(env, argv[0]);
  if (b == NULL) return NULL;
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_double(env, b->spun, &v));
  CHECK(napi_set_named_property(env, out, "spun", v));
  CHECK(napi_create_double(env, b->slept, &v));
  CHECK(napi_set_named_property(env, out, "slept", v));
  return out;
}

static napi_value js_inject(napi_env env, napi_callback_info info) {
  ARGS(3);
  blocking_t *b = argc < 3 ? NULL : get_blocking(env, argv[0]);
  if (b == NULL) return NULL;
  uint8_t *buf;
  size_t cap;
  uint32_t len;
  if (!uint8_array(env, argv[1], &buf, &cap)) return throw_msg(env, "inject(handle, Uint8Array, length)");
  CHECK(napi_get_value_uint32(env, argv[2], &len));
  if (len > cap) return throw_msg(env, "inject: length beyond the buffer");
  if (pcap_inject(b->pcap, buf, len) < 0) return throw_msg(env, pcap_geterr(b->pcap));
  return NULL;
}

static napi_value js_filter_blocking(napi_env env, napi_callback_info info) {
  ARGS(2);
  blocking_t *b = argc < 2 ? NULL : get_blocking(env, argv[0]);
  if (b == NULL) return NULL;
  char filter[4096], msg[PCAP_ERRBUF_SIZE + 64];
  size_t len;
  CHECK(napi_get_value_string_utf8(env, argv[1], filter, sizeof filter, &len));
  if (len >= sizeof filter - 1) return throw_msg(env, "filter too long");
  if (apply_filter(b->pcap, filter, msg, sizeof msg) != 0) return throw_msg(env, msg);
  return NULL;
}

static napi_value js_close_blocking(napi_env env, napi_callback_info info) {
  ARGS(1);
  void *p = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) return NULL;
  blocking_t *b = p;
  if (b->pcap != NULL) pcap_close(b->pcap);
  b->pcap = NULL;
  return NULL;
}

/* `open` is what JavaScript built before PCAP_ABI called, with a per-frame onPacket(frame): its
 * caller reports this message as one line (EPCAP) instead of taking batch counts for frames. */
static napi_value js_open_old(napi_env env, napi_callback_info info) {
  (void)info;
  return throw_msg(env, "pxecheck's JavaScript (dist/) is out of date for this libpcap binding (build/Release/pcap_live.node): rebuild: `npm run build`");
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value abi;
  if (napi_create_uint32(env, PCAP_ABI, &abi) != napi_ok) return NULL;
  napi_property_descriptor props[] = {
      {"abi", NULL, NULL, NULL, NULL, abi, napi_enumerable, NULL},
      EXPORT_FN("openBatched", js_open),
      EXPORT_FN("open", js_open_old),
      EXPORT_FN("send", js_send),
      EXPORT_FN("sendBatch", js_send_batch),
      EXPORT_FN("stats", js_stats),
      EXPORT_FN("close", js_close),
      EXPORT_FN("setFilter", js_set_filter),
      EXPORT_FN("openBlocking", js_open_blocking),
      EXPORT_FN("next", js_next),
      EXPORT_FN("waits", js_waits),
      EXPORT_FN("inject", js_inject),
      EXPORT_FN("filterBlocking", js_filter_blocking),
      EXPORT_FN("closeBlocking", js_close_blocking),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
