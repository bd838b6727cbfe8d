// packet-lab's own raw-socket binding for Linux, against plain node_api.h.
//
// Why it exists (issue 10): to time packets the way iputils does. The send
// time is read in C right before sendto(), the receive time is the kernel's
// (SO_TIMESTAMPNS), and the per-packet calls neither allocate nor throw:
// results go into typed arrays the JS wrapper hands over once (attach), and
// failures come back as a negative errno. Setup calls (constructor, attach,
// setDestination, getOption misuse) throw, with `code` set to the errno name.
//
// Layout of the shared arrays for a capacity of N slots (exported as
// `layout`, so the TypeScript side never hard-codes it):
//   times (Float64Array, 3N): [0,N) send time, [N,2N) kernel receive time,
//                             [2N,3N) the time of the echo pump's send after
//                             datagram i; all in milliseconds since the epoch
//                             (CLOCK_REALTIME)
//   ints  (Int32Array, 13N):  [0,N) received length, [N,2N) hop limit or TTL
//                             from ancillary data (IPv6) or the IPv4 header (-1: none), [2N,3N) msg_flags,
//                             [3N,4N) source family (4 or 6), [4N,8N) source
//                             address bytes (16 per slot), [8N,9N) IPv6 scope
//                             id, [9N,10N) lengths for sendBatch (input);
//                             with the echo pump armed, per datagram i:
//                             [10N,11N) its sequence when a plain reply (-1:
//                             not one), [11N,12N) the sequence the pump sent
//                             on it (-1: none), [12N,13N) that send's errno (0: none)
//   receive buffer (Uint8Array, N * slotSize): datagram i at i * slotSize
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "echo_pump.h"

enum {
  INT_LENGTH = 0,
  INT_HOP_LIMIT = 1,
  INT_FLAGS = 2,
  INT_FAMILY = 3,
  INT_ADDRESS = 4, // four words per slot
  INT_SCOPE = 8,
  INT_SEND_LENGTH = 9,
  INT_PUMP_REPLY = 10,
  INT_PUMP_SENT = 11,
  INT_PUMP_ERROR = 12,
  INT_FIELDS = 13,
  TIME_SEND = 0,
  TIME_RECEIVE = 1,
  TIME_PUMP_SEND = 2,
  TIME_FIELDS = 3,
};

// Room for SCM_TIMESTAMPNS (a timespec) plus IPV6_HOPLIMIT or IP_TTL (an int), with slack.
#define CONTROL_BYTES 128
#define MAX_CAPACITY 1024

typedef struct {
  int fd; // -1 once closed
  int family;
  napi_env env;
  int tearing_down; // env cleanup ran: no more calls into JS

  struct sockaddr_storage destination;
  socklen_t destination_length;

  // Attached buffers: the references keep them alive, so the pointers stay valid.
  napi_ref receive_ref, times_ref, ints_ref;
  uint8_t *receive_data;
  size_t slot_size;
  uint32_t capacity;
  double *times;
  int32_t *ints;
  struct mmsghdr *messages;
  struct iovec *iovecs;
  struct sockaddr_in6 *sources;
  uint8_t *control;

  EchoPump *pump;     // armed by armEchoPump (ping -f), else NULL
  uint8_t *pump_send; // capacity requests, for pumpSend's sendmmsg()

  uv_poll_t *poll; // allocated alone: uv_close frees it (FREE_ON_CLOSE)
  napi_ref on_readable;
  napi_async_context async_context;
} LinuxSocket;

static napi_value make_int(napi_env env, int64_t value) {
  napi_value result;
  napi_create_int64(env, value, &result);
  return result;
}

static const char *errno_name(int error) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *name = strerrorname_np(error);
  if (name) return name;
#endif
  return "EUNKNOWN";
}

static napi_value throw_errno(napi_env env, int error, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(error));
  napi_throw_error(env, errno_name(error), message);
  return NULL;
}

#define CHECK(call)                                                        \
  do {                                                                     \
    if ((call) != napi_ok) {                                               \
      const napi_extended_error_info *info;                                \
      napi_get_last_error_info(env, &info);                                \
      bool pending;                                                        \
      napi_is_exception_pending(env, &pending);                            \
      if (!pending)                                                        \
        napi_throw_error(env, "ERR_NAPI", info && info->error_message ? info->error_message : #call); \
      return NULL;                                                         \
    }                                                                      \
  } while (0)

static inline double realtime_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

// The close callback is libc's free(), not a function of ours: a worker's env
// unloads this module before its loop runs the pending close callbacks, so a
// callback in this file would be called after it is unmapped. The poll handle
// is allocated alone, so free(handle) is all there is to do.
#define FREE_ON_CLOSE ((uv_close_cb)(void (*)(void))free)

static void stop_polling(LinuxSocket *s, int may_call_js) {
  if (s->poll) {
    uv_poll_stop(s->poll);
    uv_close((uv_handle_t *)s->poll, FREE_ON_CLOSE);
    s->poll = NULL;
  }
  if (!may_call_js) return; // at teardown the references go with the env
  if (s->on_readable) {
    napi_delete_reference(s->env, s->on_readable);
    s->on_readable = NULL;
  }
  if (s->async_context) {
    napi_async_destroy(s->env, s->async_context);
    s->async_context = NULL;
  }
}

static void disarm_pump(LinuxSocket *s) {
  if (s->pump) free(s->pump->request);
  free(s->pump);
  free(s->pump_send);
  s->pump = NULL;
  s->pump_send = NULL;
}

static void close_socket(LinuxSocket *s, int may_call_js) {
  stop_polling(s, may_call_js);
  disarm_pump(s);
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

static void env_cleanup(void *data) {
  LinuxSocket *s = data;
  s->tearing_down = 1;
  close_socket(s, 0);
}

// At env teardown the references are left to go with the env.
static void free_attached(LinuxSocket *s, int may_call_js) {
  if (may_call_js) {
    if (s->receive_ref) napi_delete_reference(s->env, s->receive_ref);
    if (s->times_ref) napi_delete_reference(s->env, s->times_ref);
    if (s->ints_ref) napi_delete_reference(s->env, s->ints_ref);
  }
  s->receive_ref = s->times_ref = s->ints_ref = NULL;
  disarm_pump(s); // its send buffer is sized by the capacity
  free(s->messages);
  free(s->iovecs);
  free(s->sources);
  free(s->control);
  s->messages = NULL;
  s->iovecs = NULL;
  s->sources = NULL;
  s->control = NULL;
  s->capacity = 0;
}

// Closes the socket when the object is collected (or the env goes away) without close().
// A polling socket is reachable through its callback reference, so GC never
// finalizes one; at env teardown Node 20 runs this before our cleanup hook.
static void finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  LinuxSocket *s = data;
  int may_call_js = !s->tearing_down;
  close_socket(s, may_call_js);
  if (!s->tearing_down) napi_remove_env_cleanup_hook(env, env_cleanup, s);
  free_attached(s, may_call_js);
  free(s);
}

static LinuxSocket *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  LinuxSocket *s = NULL;
  if (napi_unwrap(env, self, (void **)&s) != napi_ok || !s) {
    napi_throw_type_error(env, "ERR_INVALID_THIS", "not a LinuxSocket");
    return NULL;
  }
  return s;
}

static int arg_int(napi_env env, napi_value value, int32_t *out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

// For methods taking one count > 0: the socket, or NULL with a TypeError thrown.
static LinuxSocket *unwrap_with_count(napi_env env, napi_callback_info info, const char *usage, int32_t *count) {
  size_t argc = 1;
  napi_value argv[1];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  if (argc < 1 || !arg_int(env, argv[0], count) || *count <= 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", usage);
    return NULL;
  }
  return s;
}

// new Socket(family: 4 | 6, protocol: number)
static napi_value socket_new(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  int32_t family_number, protocol;
  if (argc < 2 || !arg_int(env, argv[0], &family_number) || !arg_int(env, argv[1], &protocol) ||
      (family_number != 4 && family_number != 6)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "new Socket(family: 4 | 6, protocol: number)");
    return NULL;
  }
  int family = family_number == 4 ? AF_INET : AF_INET6;
  int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return throw_errno(env, errno, "socket");
  // Kernel receive timestamps and the received hop limit are the point of this binding: on by default.
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  // IPv4 raw sockets receive the IPv4 header, TTL included (record_receive reads it there, as iputils
  // does): no IP_RECVTTL, one control message less to build per datagram.
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on);

  LinuxSocket *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  s->fd = fd;
  s->family = family;
  s->env = env;
  if (napi_wrap(env, self, s, finalize, NULL, NULL) != napi_ok) {
    close(fd);
    free(s);
    napi_throw_error(env, "ERR_NAPI", "napi_wrap failed");
    return NULL;
  }
  napi_add_env_cleanup_hook(env, env_cleanup, s);
  return self;
}

static int typed_array(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) return 0;
  napi_typedarray_type type;
  napi_value arraybuffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, data, &arraybuffer, &offset) != napi_ok) return 0;
  return want == (napi_typedarray_type)-1 ? (type == napi_uint8_array || type == napi_uint8_clamped_array) : type == want;
}

// attach(receive: Uint8Array, slotSize, capacity, times: Float64Array, ints: Int32Array)
static napi_value socket_attach(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  void *receive, *times, *ints;
  size_t receive_length, times_length, ints_length;
  int32_t slot_size, capacity;
  if (argc < 5 || !typed_array(env, argv[0], (napi_typedarray_type)-1, &receive, &receive_length) ||
      !arg_int(env, argv[1], &slot_size) || !arg_int(env, argv[2], &capacity) ||
      !typed_array(env, argv[3], napi_float64_array, &times, &times_length) ||
      !typed_array(env, argv[4], napi_int32_array, &ints, &ints_length)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "attach(receive: Uint8Array, slotSize, capacity, times: Float64Array, ints: Int32Array)");
    return NULL;
  }
  if (slot_size <= 0 || capacity <= 0 || capacity > MAX_CAPACITY ||
      receive_length < (size_t)slot_size * (size_t)capacity || times_length < (size_t)TIME_FIELDS * capacity ||
      ints_length < (size_t)INT_FIELDS * capacity) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "attach: buffers too small for slotSize x capacity");
    return NULL;
  }
  free_attached(s, 1);
  s->messages = calloc(capacity, sizeof *s->messages);
  s->iovecs = calloc(capacity, sizeof *s->iovecs);
  s->sources = calloc(capacity, sizeof *s->sources);
  s->control = calloc(capacity, CONTROL_BYTES);
  if (!s->messages || !s->iovecs || !s->sources || !s->control) {
    free_attached(s, 1);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  CHECK(napi_create_reference(env, argv[0], 1, &s->receive_ref));
  CHECK(napi_create_reference(env, argv[3], 1, &s->times_ref));
  CHECK(napi_create_reference(env, argv[4], 1, &s->ints_ref));
  s->receive_data = receive;
  s->slot_size = (size_t)slot_size;
  s->capacity = (uint32_t)capacity;
  s->times = times;
  s->ints = ints;
  return NULL;
}

// Room for an address as text, with an IPv6 scope ("fe80::1%eth0").
#define ADDRESS_TEXT_SIZE (INET6_ADDRSTRLEN + IF_NAMESIZE + 2)

static int parse_address(int family, const char *text, struct sockaddr_storage *out, socklen_t *length) {
  memset(out, 0, sizeof *out);
  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1) return 0;
    *length = sizeof *a;
    return 1;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
  a->sin6_family = AF_INET6;
  char host[ADDRESS_TEXT_SIZE];
  if (strlen(text) >= sizeof host) return 0;
  strcpy(host, text);
  char *scope = strchr(host, '%');
  if (scope) {
    *scope++ = '\0';
    char *end;
    unsigned long index = strtoul(scope, &end, 10);
    a->sin6_scope_id = *scope && !*end ? (uint32_t)index : if_nametoindex(scope);
    if (a->sin6_scope_id == 0) return 0;
  }
  if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return 0;
  *length = sizeof *a;
  return 1;
}

typedef enum { ADDRESS_OK, ADDRESS_NOT_A_STRING, ADDRESS_INVALID } AddressArgument;

// A method's address argument, parsed for the socket's family into `out`; `text` (ADDRESS_TEXT_SIZE
// bytes) gets what was passed, for the caller's error message.
static AddressArgument address_argument(napi_env env, LinuxSocket *s, size_t argc, napi_value *argv, char *text,
                                        struct sockaddr_storage *out, socklen_t *out_length) {
  size_t length;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], text, ADDRESS_TEXT_SIZE, &length) != napi_ok)
    return ADDRESS_NOT_A_STRING;
  if (length >= ADDRESS_TEXT_SIZE - 1 || !parse_address(s->family, text, out, out_length)) return ADDRESS_INVALID;
  return ADDRESS_OK;
}

// setDestination(address: string): parsed once, kept for every send until changed.
static napi_value socket_set_destination(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  char text[ADDRESS_TEXT_SIZE];
  struct sockaddr_storage parsed;
  socklen_t parsed_length;
  AddressArgument argument = address_argument(env, s, argc, argv, text, &parsed, &parsed_length);
  if (argument == ADDRESS_NOT_A_STRING) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setDestination(address: string)");
    return NULL;
  }
  if (argument == ADDRESS_INVALID) {
    char message[160];
    snprintf(message, sizeof message, "'%s' is not an %s address", text, s->family == AF_INET ? "IPv4" : "IPv6");
    napi_throw_type_error(env, "ERR_INVALID_IP_ADDRESS", message);
    return NULL;
  }
  s->destination = parsed;
  s->destination_length = parsed_length;
  return NULL;
}

// setOption(level, name, value) -> 0 | -errno
static napi_value socket_set_option(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  int32_t level, name, value;
  if (argc < 3 || !arg_int(env, argv[0], &level) || !arg_int(env, argv[1], &name)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setOption(level, name, value)");
    return NULL;
  }
  // A mark above 2^31 arrives as a double: take its 32 bits.
  uint32_t unsigned_value;
  if (napi_get_value_uint32(env, argv[2], &unsigned_value) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setOption: value must be a number");
    return NULL;
  }
  value = (int32_t)unsigned_value;
  if (s->fd < 0) return make_int(env, -EBADF);
  return make_int(env, setsockopt(s->fd, level, name, &value, sizeof value) == 0 ? 0 : -errno);
}

// setOptionBytes(level, name, value: Uint8Array) -> 0 | -errno: for options whose value is
// not an int, such as ICMP6_FILTER (a 256-bit mask of ICMPv6 types) or SO_BINDTODEVICE
// (an interface name).
static napi_value socket_set_option_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  int32_t level, name;
  void *data;
  size_t length;
  if (argc < 3 || !arg_int(env, argv[0], &level) || !arg_int(env, argv[1], &name) ||
      !typed_array(env, argv[2], (napi_typedarray_type)-1, &data, &length)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setOptionBytes(level, name, value: Uint8Array)");
    return NULL;
  }
  if (s->fd < 0) return make_int(env, -EBADF);
  return make_int(env, setsockopt(s->fd, level, name, data, (socklen_t)length) == 0 ? 0 : -errno);
}

// bind(address: string) -> 0 | -errno: the source address of what the socket sends
// (and the only address it receives for); iputils ping -I ADDRESS.
static napi_value socket_bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  char text[ADDRESS_TEXT_SIZE];
  struct sockaddr_storage parsed;
  socklen_t parsed_length;
  if (address_argument(env, s, argc, argv, text, &parsed, &parsed_length) != ADDRESS_OK) {
    napi_throw_type_error(env, "ERR_INVALID_IP_ADDRESS", "bind(address: an address of the socket's family)");
    return NULL;
  }
  if (s->fd < 0) return make_int(env, -EBADF);
  return make_int(env, bind(s->fd, (struct sockaddr *)&parsed, parsed_length) == 0 ? 0 : -errno);
}

// errorText(errno) -> the C library's message (strerror), as iputils prints it.
static napi_value error_text(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t code;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !arg_int(env, argv[0], &code)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "errorText(errno: number)");
    return NULL;
  }
  CHECK(napi_create_string_utf8(env, strerror(code < 0 ? -code : code), NAPI_AUTO_LENGTH, &result));
  return result;
}

// getOption(level, name) -> value | -errno (for options whose values are non-negative ints)
static napi_value socket_get_option(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  int32_t level, name;
  if (argc < 2 || !arg_int(env, argv[0], &level) || !arg_int(env, argv[1], &name)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "getOption(level, name)");
    return NULL;
  }
  if (s->fd < 0) return make_int(env, -EBADF);
  int value = 0;
  socklen_t length = sizeof value;
  return make_int(env, getsockopt(s->fd, level, name, &value, &length) == 0 ? value : -errno);
}

// send(packet: Uint8Array, length) -> bytes | -errno; times[send 0] = the time just before sendto().
static napi_value socket_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  void *data;
  size_t available;
  int32_t length;
  if (argc < 2 || !typed_array(env, argv[0], (napi_typedarray_type)-1, &data, &available) ||
      !arg_int(env, argv[1], &length) || length < 0 || (size_t)length > available) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "send(packet: Uint8Array, length <= packet.length)");
    return NULL;
  }
  if (s->fd < 0) return make_int(env, -EBADF);
  if (!s->capacity) return make_int(env, -ENOBUFS);
  if (!s->destination_length) return make_int(env, -EDESTADDRREQ);
  s->times[TIME_SEND * s->capacity] = realtime_ms();
  ssize_t sent = sendto(s->fd, data, (size_t)length, 0, (struct sockaddr *)&s->destination, s->destination_length);
  return make_int(env, sent >= 0 ? sent : -errno);
}

// Message i of a sendmmsg() batch: `length` bytes at `data`, to the destination.
static void prepare_send(LinuxSocket *s, uint32_t i, uint8_t *data, size_t length) {
  s->iovecs[i].iov_base = data;
  s->iovecs[i].iov_len = length;
  struct msghdr *m = &s->messages[i].msg_hdr;
  memset(m, 0, sizeof *m);
  m->msg_name = &s->destination;
  m->msg_namelen = s->destination_length;
  m->msg_iov = &s->iovecs[i];
  m->msg_iovlen = 1;
}

// sendBatch(packets: Uint8Array, stride, count) -> packets sent | -errno. Packet i is
// at i * stride, ints[send length i] bytes long; one time, read before sendmmsg(), for all.
static napi_value socket_send_batch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  void *data;
  size_t available;
  int32_t stride, count;
  if (argc < 3 || !typed_array(env, argv[0], (napi_typedarray_type)-1, &data, &available) ||
      !arg_int(env, argv[1], &stride) || !arg_int(env, argv[2], &count) || stride <= 0 || count < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "sendBatch(packets: Uint8Array, stride, count)");
    return NULL;
  }
  if (s->fd < 0) return make_int(env, -EBADF);
  if ((uint32_t)count > s->capacity) return make_int(env, -ENOBUFS);
  if (!s->destination_length) return make_int(env, -EDESTADDRREQ);
  const uint32_t n = s->capacity;
  for (int32_t i = 0; i < count; i++) {
    int32_t length = s->ints[INT_SEND_LENGTH * n + i];
    if (length < 0 || length > stride || (size_t)i * stride + length > available) return make_int(env, -EINVAL);
    prepare_send(s, (uint32_t)i, (uint8_t *)data + (size_t)i * stride, (size_t)length);
  }
  double now = realtime_ms();
  for (int32_t i = 0; i < count; i++) s->times[TIME_SEND * n + i] = now;
  int sent = sendmmsg(s->fd, s->messages, (unsigned)count, 0);
  return make_int(env, sent >= 0 ? sent : -errno);
}

static void prepare_receive(LinuxSocket *s, uint32_t i) {
  s->iovecs[i].iov_base = s->receive_data + (size_t)i * s->slot_size;
  s->iovecs[i].iov_len = s->slot_size;
  struct msghdr *m = &s->messages[i].msg_hdr;
  m->msg_name = &s->sources[i];
  m->msg_namelen = sizeof s->sources[i];
  m->msg_iov = &s->iovecs[i];
  m->msg_iovlen = 1;
  m->msg_control = s->control + (size_t)i * CONTROL_BYTES;
  m->msg_controllen = CONTROL_BYTES;
  m->msg_flags = 0;
}

static void record_receive(LinuxSocket *s, uint32_t i, size_t length) {
  const uint32_t n = s->capacity;
  struct msghdr *m = &s->messages[i].msg_hdr;
  s->ints[INT_LENGTH * n + i] = (int32_t)length;
  s->ints[INT_FLAGS * n + i] = m->msg_flags;
  s->ints[INT_HOP_LIMIT * n + i] = -1;
  s->times[TIME_RECEIVE * n + i] = NAN;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec stamp;
      memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
      s->times[TIME_RECEIVE * n + i] = (double)stamp.tv_sec * 1e3 + (double)stamp.tv_nsec / 1e6;
    } else if ((c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) ||
               (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)) {
      int hops;
      memcpy(&hops, CMSG_DATA(c), sizeof hops);
      s->ints[INT_HOP_LIMIT * n + i] = hops;
    }
  }
  if (s->family == AF_INET && s->ints[INT_HOP_LIMIT * n + i] < 0 && length >= 20)
    s->ints[INT_HOP_LIMIT * n + i] = s->receive_data[(size_t)i * s->slot_size + 8]; // the IPv4 header's TTL
  uint8_t *address = (uint8_t *)&s->ints[INT_ADDRESS * n + 4 * i];
  memset(address, 0, 16);
  s->ints[INT_SCOPE * n + i] = 0;
  if (s->sources[i].sin6_family == AF_INET6) {
    s->ints[INT_FAMILY * n + i] = 6;
    memcpy(address, &s->sources[i].sin6_addr, 16);
    s->ints[INT_SCOPE * n + i] = (int32_t)s->sources[i].sin6_scope_id;
  } else {
    s->ints[INT_FAMILY * n + i] = 4;
    memcpy(address, &((struct sockaddr_in *)&s->sources[i])->sin_addr, 4);
  }
}

// armEchoPump(request: Uint8Array, identifier, timed, writeChecksum, sendLimit, replyLimit, burst):
// from now on every fresh echo reply read sends the next request (see echo_pump.h).
// The request is copied; the destination and buffers must be set (setDestination, attach).
static napi_value socket_arm_echo_pump(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  LinuxSocket *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  void *request;
  size_t length;
  int32_t identifier, timed, write_checksum, burst;
  int64_t send_limit, reply_limit;
  if (argc < 7 || !typed_array(env, argv[0], (napi_typedarray_type)-1, &request, &length) ||
      !arg_int(env, argv[1], &identifier) || !arg_int(env, argv[2], &timed) || !arg_int(env, argv[3], &write_checksum) ||
      napi_get_value_int64(env, argv[4], &send_limit) != napi_ok ||
      napi_get_value_int64(env, argv[5], &reply_limit) != napi_ok || !arg_int(env, argv[6], &burst) || length < 8 ||
      length > s->slot_size) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "armEchoPump(request: Uint8Array of 8..slotSize bytes, identifier, timed, writeChecksum, sendLimit, replyLimit, burst)");
    return NULL;
  }
  if (s->fd < 0) return throw_errno(env, EBADF, "armEchoPump");
  if (!s->capacity || !s->destination_length) return throw_errno(env, EDESTADDRREQ, "armEchoPump (attach and setDestination first)");
  disarm_pump(s);
  EchoPump *pump = calloc(1, sizeof *pump);
  uint8_t *copy = malloc(length);
  uint8_t *send = malloc(length * s->capacity);
  if (!pump || !copy || !send) {
    free(pump);
    free(copy);
    free(send);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  memcpy(copy, request, length);
  pump->family = s->family;
  pump->request = copy;
  pump->length = length;
  pump->identifier = (uint16_t)identifier;
  pump->timed = timed != 0;
  pump->write_checksum = write_checksum != 0;
  pump->send_limit = send_limit;
  pump->reply_limit = reply_limit;
  pump->burst = burst != 0;
  s->pump = pump;
  s->pump_send = send;
  return NULL;
}

static napi_value socket_disarm_echo_pump(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  LinuxSocket *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  disarm_pump(s);
  return NULL;
}

// The pump's next `count` requests (sendto() for one, sendmmsg() for more), each with the
// timeval `sent_at` (one clock read, also their send time); those that went out await their
// reply. Returns how many went out, or -errno when none did. Uses the message headers: what
// was received into them must be read out first (record_receive).
static int pump_transmit(LinuxSocket *s, uint32_t count, double sent_at) {
  EchoPump *pump = s->pump;
  int sent;
  if (count == 1) {
    echo_pump_prepare(pump, s->pump_send, (uint16_t)(pump->transmitted + 1), sent_at);
    sent = sendto(s->fd, s->pump_send, pump->length, 0, (struct sockaddr *)&s->destination, s->destination_length) >= 0 ? 1 : -errno;
  } else {
    for (uint32_t k = 0; k < count; k++) {
      uint8_t *request = s->pump_send + (size_t)k * pump->length;
      echo_pump_prepare(pump, request, (uint16_t)(pump->transmitted + 1 + k), sent_at);
      prepare_send(s, k, request, pump->length);
    }
    sent = sendmmsg(s->fd, s->messages, count, 0);
    if (sent < 0) sent = -errno;
  }
  for (int k = 0; k < sent; k++) pump->state[(uint16_t)(pump->transmitted + 1 + (uint32_t)k)] = PUMP_AWAITING_REPLY;
  if (sent > 0) pump->transmitted += (uint32_t)sent;
  return sent;
}

// pumpSend(count) -> requests sent | -errno: the pump's next `count` requests (sendto() for
// one, sendmmsg() for more), sequences transmitted + 1 on; send times in times[send 0..].
static napi_value socket_pump_send(napi_env env, napi_callback_info info) {
  int32_t count;
  LinuxSocket *s = unwrap_with_count(env, info, "pumpSend(count > 0)", &count);
  if (!s) return NULL;
  if (s->fd < 0) return make_int(env, -EBADF);
  EchoPump *pump = s->pump;
  if (!pump) return make_int(env, -EINVAL);
  const uint32_t n = s->capacity;
  if ((uint32_t)count > n) count = (int32_t)n;
  double now = realtime_ms();
  for (int32_t i = 0; i < count; i++) s->times[TIME_SEND * n + i] = now;
  int sent = pump_transmit(s, (uint32_t)count, now);
  // A single request refused for any reason but a full send buffer still uses its sequence: the
  // engine counts it transmitted, as iputils does (a batch's failure is retried one at a time).
  if (sent < 0 && count == 1 && sent != -EAGAIN && sent != -EWOULDBLOCK) pump->transmitted++;
  return make_int(env, sent);
}

// After datagram i was read with the pump armed: marks it; returns whether it is a fresh reply
// that earns the next request, `pending` requests being due already.
static int pump_answer(LinuxSocket *s, uint32_t i, size_t length, uint32_t pending) {
  EchoPump *pump = s->pump;
  const uint32_t n = s->capacity;
  s->ints[INT_PUMP_REPLY * n + i] = -1;
  s->ints[INT_PUMP_SENT * n + i] = -1;
  s->ints[INT_PUMP_ERROR * n + i] = 0;
  int plain;
  int sequence = echo_pump_classify(pump, s->receive_data + (size_t)i * s->slot_size, length,
                                    (const struct sockaddr_storage *)&s->sources[i], &s->destination, &plain);
  if (sequence < 0) return 0;
  if (plain) s->ints[INT_PUMP_REPLY * n + i] = sequence;
  if (pump->state[sequence] != PUMP_AWAITING_REPLY) return 0; // a duplicate, or not a request of this run
  pump->state[sequence] = PUMP_ANSWERED;
  pump->replies++;
  return echo_pump_may_send(pump, pending);
}

// Beside datagram i: the pump sent request `sequence` on it at `sent_at`.
static void pump_record_send(LinuxSocket *s, uint32_t i, uint16_t sequence, double sent_at) {
  s->ints[INT_PUMP_SENT * s->capacity + i] = sequence;
  s->times[TIME_PUMP_SEND * s->capacity + i] = sent_at;
}

// -f: one recvmsg() at a time, and the next request sent as soon as a fresh reply is read (the
// reply to it is often queued by the time sendto() returns, on loopback and veth).
static int32_t pump_receive_each(LinuxSocket *s, int32_t max) {
  int32_t got = 0;
  for (; got < max; got++) {
    prepare_receive(s, (uint32_t)got);
    ssize_t length = recvmsg(s->fd, &s->messages[got].msg_hdr, MSG_DONTWAIT);
    if (length < 0) return got == 0 ? -errno : got;
    record_receive(s, (uint32_t)got, (size_t)length);
    if (!pump_answer(s, (uint32_t)got, (size_t)length, 0)) continue;
    uint16_t sequence = (uint16_t)(s->pump->transmitted + 1);
    double sent_at = realtime_ms();
    int sent = pump_transmit(s, 1, sent_at);
    if (sent < 0)
      s->ints[INT_PUMP_ERROR * s->capacity + got] = -sent; // the engine's own send path retries and reports it
    else
      pump_record_send(s, (uint32_t)got, sequence, sent_at);
  }
  return got;
}

// -f -l: what is queued read with one recvmmsg(), and the requests it earns sent with one
// sendmmsg(), as iputils reads every queued reply before it sends again.
static int32_t pump_receive_burst(LinuxSocket *s, int32_t max) {
  for (int32_t i = 0; i < max; i++) prepare_receive(s, (uint32_t)i);
  int got = recvmmsg(s->fd, s->messages, (unsigned)max, MSG_DONTWAIT, NULL);
  if (got < 0) return -errno;
  uint32_t due[MAX_CAPACITY];
  uint32_t pending = 0;
  for (int i = 0; i < got; i++) {
    record_receive(s, (uint32_t)i, s->messages[i].msg_len);
    if (pump_answer(s, (uint32_t)i, s->messages[i].msg_len, pending)) due[pending++] = (uint32_t)i;
  }
  if (pending == 0) return got;
  // The receive messages are read out (record_receive): their headers carry the sends now.
  uint32_t first = s->pump->transmitted + 1;
  double sent_at = realtime_ms();
  int sent = pump_transmit(s, pending, sent_at);
  int error = sent < 0 ? -sent : EAGAIN;
  if (sent < 0) sent = 0;
  for (int k = 0; k < sent; k++) pump_record_send(s, due[k], (uint16_t)(first + (uint32_t)k), sent_at);
  // sendmmsg() stops at the first refusal: that request goes back to the engine, which retries it.
  if ((uint32_t)sent < pending) s->ints[INT_PUMP_ERROR * s->capacity + due[sent]] = error;
  return got;
}

// receive() -> bytes | -errno (-EAGAIN: nothing queued); results in slot 0.
static napi_value socket_receive(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  LinuxSocket *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  if (s->fd < 0) return make_int(env, -EBADF);
  if (!s->capacity) return make_int(env, -ENOBUFS);
  prepare_receive(s, 0);
  ssize_t got = recvmsg(s->fd, &s->messages[0].msg_hdr, MSG_DONTWAIT);
  if (got < 0) return make_int(env, -errno);
  record_receive(s, 0, (size_t)got);
  return make_int(env, got);
}

// receiveBatch(max) -> datagrams read | -errno; one recvmmsg() into slots 0..max-1.
static napi_value socket_receive_batch(napi_env env, napi_callback_info info) {
  int32_t max;
  LinuxSocket *s = unwrap_with_count(env, info, "receiveBatch(max > 0)", &max);
  if (!s) return NULL;
  if (s->fd < 0) return make_int(env, -EBADF);
  if ((uint32_t)max > s->capacity) max = (int32_t)s->capacity;
  if (max == 0) return make_int(env, -ENOBUFS);
  if (s->pump) return make_int(env, s->pump->burst ? pump_receive_burst(s, max) : pump_receive_each(s, max));
  for (int32_t i = 0; i < max; i++) prepare_receive(s, (uint32_t)i);
  int got = recvmmsg(s->fd, s->messages, (unsigned)max, MSG_DONTWAIT, NULL);
  if (got < 0) return make_int(env, -errno);
  for (int i = 0; i < got; i++) record_receive(s, (uint32_t)i, s->messages[i].msg_len);
  return make_int(env, got);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)events;
  LinuxSocket *s = handle->data;
  if (!s || s->tearing_down || !s->on_readable) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, argument, result;
  if (napi_get_reference_value(env, s->on_readable, &callback) == napi_ok && callback) {
    napi_get_global(env, &receiver); // napi_make_callback needs an object receiver
    napi_create_int32(env, status, &argument);
    // make_callback runs the microtasks afterwards, like any I/O callback.
    napi_make_callback(env, s->async_context, receiver, callback, 1, &argument, &result);
    // A throw stays pending in the env (and would surface at some later, unrelated
    // call into the binding): report it now, as an uncaught exception.
    bool pending = false;
    napi_value error;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &error) == napi_ok)
      napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

// startPolling(onReadable: (status: number) => void): called on Node's loop while readable.
static napi_value socket_start_polling(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  LinuxSocket *s = NULL;
  CHECK(napi_unwrap(env, self, (void **)&s));
  napi_valuetype type;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "startPolling(onReadable: function)");
    return NULL;
  }
  if (s->fd < 0) return throw_errno(env, EBADF, "startPolling");
  stop_polling(s, 1);
  CHECK(napi_create_reference(env, argv[0], 1, &s->on_readable));
  napi_value name;
  CHECK(napi_create_string_utf8(env, "PacketLabLinuxSocket", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, self, name, &s->async_context));
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  s->poll = malloc(sizeof *s->poll);
  if (!s->poll) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  int error = uv_poll_init(loop, s->poll, s->fd);
  if (error == 0) {
    s->poll->data = s;
    error = uv_poll_start(s->poll, UV_READABLE, on_poll);
    if (error != 0) {
      uv_close((uv_handle_t *)s->poll, FREE_ON_CLOSE);
      s->poll = NULL;
    }
  } else {
    free(s->poll);
    s->poll = NULL;
  }
  if (error != 0) {
    stop_polling(s, 1);
    return throw_errno(env, -error, "uv_poll");
  }
  return NULL;
}

// pausePolling() / resumePolling(): take the fd out of Node's epoll set and put it back,
// keeping the handle. Out of the set, the kernel does not wake epoll for each datagram
// queued and each send buffer freed: a pumped flood drains with its fd paused.
static napi_value socket_pause_polling(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  LinuxSocket *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  if (s->poll) uv_poll_stop(s->poll);
  return NULL;
}

static napi_value socket_resume_polling(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  LinuxSocket *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  if (s->poll && s->fd >= 0) {
    int error = uv_poll_start(s->poll, UV_READABLE, on_poll);
    if (error != 0) return throw_errno(env, -error, "uv_poll");
  }
  return NULL;
}

static napi_value socket_stop_polling(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  LinuxSocket *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  stop_polling(s, 1);
  return NULL;
}

// close(): idempotent; per-packet calls on a closed socket return -EBADF.
static napi_value socket_close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  LinuxSocket *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  close_socket(s, 1);
  return NULL;
}

static napi_value socket_closed(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  LinuxSocket *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  napi_value result;
  napi_get_boolean(env, s->fd < 0, &result);
  return result;
}

static void set_int(napi_env env, napi_value object, const char *name, int64_t value) {
  napi_set_named_property(env, object, name, make_int(env, value));
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"attach", NULL, socket_attach, NULL, NULL, NULL, napi_default_method, NULL},
      {"setDestination", NULL, socket_set_destination, NULL, NULL, NULL, napi_default_method, NULL},
      {"setOption", NULL, socket_set_option, NULL, NULL, NULL, napi_default_method, NULL},
      {"getOption", NULL, socket_get_option, NULL, NULL, NULL, napi_default_method, NULL},
      {"setOptionBytes", NULL, socket_set_option_bytes, NULL, NULL, NULL, napi_default_method, NULL},
      {"bind", NULL, socket_bind, NULL, NULL, NULL, napi_default_method, NULL},
      {"send", NULL, socket_send, NULL, NULL, NULL, napi_default_method, NULL},
      {"sendBatch", NULL, socket_send_batch, NULL, NULL, NULL, napi_default_method, NULL},
      {"receive", NULL, socket_receive, NULL, NULL, NULL, napi_default_method, NULL},
      {"receiveBatch", NULL, socket_receive_batch, NULL, NULL, NULL, napi_default_method, NULL},
      {"armEchoPump", NULL, socket_arm_echo_pump, NULL, NULL, NULL, napi_default_method, NULL},
      {"disarmEchoPump", NULL, socket_disarm_echo_pump, NULL, NULL, NULL, napi_default_method, NULL},
      {"pumpSend", NULL, socket_pump_send, NULL, NULL, NULL, napi_default_method, NULL},
      {"startPolling", NULL, socket_start_polling, NULL, NULL, NULL, napi_default_method, NULL},
      {"pausePolling", NULL, socket_pause_polling, NULL, NULL, NULL, napi_default_method, NULL},
      {"resumePolling", NULL, socket_resume_polling, NULL, NULL, NULL, napi_default_method, NULL},
      {"stopPolling", NULL, socket_stop_polling, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, socket_close, NULL, NULL, NULL, napi_default_method, NULL},
      {"closed", NULL, NULL, socket_closed, NULL, NULL, napi_default, NULL},
  };
  napi_value socket_class;
  CHECK(napi_define_class(env, "Socket", NAPI_AUTO_LENGTH, socket_new, NULL, sizeof methods / sizeof methods[0],
                          methods, &socket_class));
  CHECK(napi_set_named_property(env, exports, "Socket", socket_class));
  napi_value error_text_function;
  CHECK(napi_create_function(env, "errorText", NAPI_AUTO_LENGTH, error_text, NULL, &error_text_function));
  CHECK(napi_set_named_property(env, exports, "errorText", error_text_function));

  napi_value layout, constants;
  CHECK(napi_create_object(env, &layout));
  set_int(env, layout, "intLength", INT_LENGTH);
  set_int(env, layout, "intHopLimit", INT_HOP_LIMIT);
  set_int(env, layout, "intFlags", INT_FLAGS);
  set_int(env, layout, "intFamily", INT_FAMILY);
  set_int(env, layout, "intAddress", INT_ADDRESS);
  set_int(env, layout, "intScope", INT_SCOPE);
  set_int(env, layout, "intSendLength", INT_SEND_LENGTH);
  set_int(env, layout, "intPumpReply", INT_PUMP_REPLY);
  set_int(env, layout, "intPumpSent", INT_PUMP_SENT);
  set_int(env, layout, "intPumpError", INT_PUMP_ERROR);
  set_int(env, layout, "intFields", INT_FIELDS);
  set_int(env, layout, "timeSend", TIME_SEND);
  set_int(env, layout, "timeReceive", TIME_RECEIVE);
  set_int(env, layout, "timePumpSend", TIME_PUMP_SEND);
  set_int(env, layout, "timeFields", TIME_FIELDS);
  set_int(env, layout, "maxCapacity", MAX_CAPACITY);
  CHECK(napi_set_named_property(env, exports, "layout", layout));

  // The socket options the wrapper sets, from the C headers rather than copied numbers.
  CHECK(napi_create_object(env, &constants));
  set_int(env, constants, "SOL_SOCKET", SOL_SOCKET);
  set_int(env, constants, "IPPROTO_IP", IPPROTO_IP);
  set_int(env, constants, "IPPROTO_IPV6", IPPROTO_IPV6);
  set_int(env, constants, "IP_TTL", IP_TTL);
  set_int(env, constants, "IP_HDRINCL", IP_HDRINCL);
  set_int(env, constants, "IP_RECVTTL", IP_RECVTTL);
  set_int(env, constants, "IPV6_UNICAST_HOPS", IPV6_UNICAST_HOPS);
  set_int(env, constants, "IPV6_RECVHOPLIMIT", IPV6_RECVHOPLIMIT);
  set_int(env, constants, "IPV6_CHECKSUM", IPV6_CHECKSUM);
  set_int(env, constants, "IPPROTO_ICMPV6", IPPROTO_ICMPV6);
  set_int(env, constants, "ICMP6_FILTER", ICMP6_FILTER);
  set_int(env, constants, "SOL_RAW", SOL_RAW);
  set_int(env, constants, "IPPROTO_RAW", IPPROTO_RAW);
  set_int(env, constants, "SO_RCVBUF", SO_RCVBUF);
  set_int(env, constants, "SO_RCVBUFFORCE", SO_RCVBUFFORCE);
  set_int(env, constants, "SO_SNDBUF", SO_SNDBUF);
  set_int(env, constants, "SO_MARK", SO_MARK);
  set_int(env, constants, "SO_BINDTODEVICE", SO_BINDTODEVICE);
  set_int(env, constants, "SO_BROADCAST", SO_BROADCAST);
  set_int(env, constants, "IP_TOS", IP_TOS);
  set_int(env, constants, "IP_MTU_DISCOVER", IP_MTU_DISCOVER);
  set_int(env, constants, "IP_PMTUDISC_DONT", IP_PMTUDISC_DONT);
  set_int(env, constants, "IP_PMTUDISC_WANT", IP_PMTUDISC_WANT);
  set_int(env, constants, "IP_PMTUDISC_DO", IP_PMTUDISC_DO);
  set_int(env, constants, "IP_PMTUDISC_PROBE", IP_PMTUDISC_PROBE);
  set_int(env, constants, "IPV6_TCLASS", IPV6_TCLASS);
  set_int(env, constants, "IPV6_MTU_DISCOVER", IPV6_MTU_DISCOVER);
  set_int(env, constants, "IPV6_PMTUDISC_DONT", IPV6_PMTUDISC_DONT);
  set_int(env, constants, "IPV6_PMTUDISC_WANT", IPV6_PMTUDISC_WANT);
  set_int(env, constants, "IPV6_PMTUDISC_DO", IPV6_PMTUDISC_DO);
  set_int(env, constants, "IPV6_PMTUDISC_PROBE", IPV6_PMTUDISC_PROBE);
  set_int(env, constants, "SO_TIMESTAMPNS", SO_TIMESTAMPNS);
  set_int(env, constants, "MSG_TRUNC", MSG_TRUNC);
  set_int(env, constants, "EAGAIN", EAGAIN);
  set_int(env, constants, "EBADF", EBADF);
  CHECK(napi_set_named_property(env, exports, "constants", constants));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
