/*
 * N-API helpers shared by pxecheck's addons (pcap_live.c, udp_sync.c): an Error with a one-line
 * message, a failed N-API call turned into one, the call's arguments, a Uint8Array's bytes and the
 * exports table. Include after defining NAPI_VERSION.
 */
#ifndef PXECHECK_NAPI_ARGS_H
#define PXECHECK_NAPI_ARGS_H

#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>

static napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

/* A failed N-API call throws its own text and returns from the calling function. */
#define CHECK(call)                                      \
  do {                                                   \
    if ((call) != napi_ok) return throw_msg(env, #call); \
  } while (0)

/* Declares argc and argv[n] and reads up to n arguments of the call (fewer given: argc says so). */
#define ARGS(n)           \
  size_t argc = (n);      \
  napi_value argv[(n)];   \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL))

/* The bytes of a Uint8Array (a view: offset applied); false for anything else, nothing thrown. */
static bool uint8_array(napi_env env, napi_value v, uint8_t **data, size_t *length) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  return napi_get_typedarray_info(env, v, &type, length, (void **)data, &ab, &offset) == napi_ok && type == napi_uint8_array;
}

/* One exported function for napi_define_properties. */
#define EXPORT_FN(name, fn) {(name), NULL, (fn), NULL, NULL, NULL, napi_enumerable, NULL}

#endif
