// The echo pump's per-packet work: see echo_pump.h for why it is in C.
#include "echo_pump.h"

#include <math.h>
#include <string.h>

enum {
  ICMP_ECHO_REPLY = 0,
  ICMPV6_ECHO_REPLY = 129,
  IPV4_HEADER_LENGTH = 20, // without options: a reply with options is left to the TS parser
  ICMP_HEADER_LENGTH = 8,
  TIMEVAL_LENGTH = 16,
};

static inline uint16_t read16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static inline void write16(uint8_t *p, uint16_t value) {
  p[0] = (uint8_t)(value >> 8);
  p[1] = (uint8_t)value;
}

// RFC 1071 one's-complement sum, not yet folded.
static uint32_t ones_sum(const uint8_t *data, size_t length) {
  uint32_t sum = 0;
  size_t i = 0;
  for (; i + 1 < length; i += 2) sum += read16(data + i);
  if (i < length) sum += (uint32_t)data[i] << 8;
  return sum;
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

static void write_le64(uint8_t *p, uint64_t value) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(value >> (8 * i));
}

void echo_pump_prepare(const EchoPump *pump, uint8_t *out, uint16_t sequence, double now_ms) {
  memcpy(out, pump->request, pump->length);
  write16(out + 6, sequence);
  if (pump->timed && pump->length >= ICMP_HEADER_LENGTH + TIMEVAL_LENGTH) {
    // iputils' struct timeval on x86-64/aarch64 Linux: two little-endian 64-bit words.
    uint64_t micros = (uint64_t)floor(now_ms * 1000.0);
    write_le64(out + ICMP_HEADER_LENGTH, micros / 1000000u);
    write_le64(out + ICMP_HEADER_LENGTH + 8, micros % 1000000u);
  }
  if (pump->write_checksum) {
    write16(out + 2, 0);
    write16(out + 2, (uint16_t)~fold(ones_sum(out, pump->length)));
  }
}

int echo_pump_may_send(const EchoPump *pump, uint32_t pending) {
  return (pump->send_limit < 0 || (int64_t)pump->transmitted + pending < pump->send_limit) &&
         (pump->reply_limit < 0 || (int64_t)pump->replies < pump->reply_limit);
}

int echo_pump_classify(const EchoPump *pump, const uint8_t *datagram, size_t length,
                       const struct sockaddr_storage *source, const struct sockaddr_storage *destination,
                       int *plain) {
  *plain = 0;
  const uint8_t *icmp = datagram;
  size_t icmp_length = length;
  int header_plain = 1;
  if (pump->family == AF_INET) {
    if (source->ss_family != AF_INET ||
        ((const struct sockaddr_in *)source)->sin_addr.s_addr != ((const struct sockaddr_in *)destination)->sin_addr.s_addr)
      return -1;
    if (length < IPV4_HEADER_LENGTH || datagram[0] >> 4 != 4 || datagram[9] != IPPROTO_ICMP) return -1;
    size_t header_length = (size_t)(datagram[0] & 0x0f) * 4;
    if (header_length < IPV4_HEADER_LENGTH || length < header_length + ICMP_HEADER_LENGTH) return -1;
    icmp = datagram + header_length;
    icmp_length = length - header_length;
    // Options, trailing bytes or a fragment: the TS parser reports those.
    header_plain = header_length == IPV4_HEADER_LENGTH && read16(datagram + 2) == length && (read16(datagram + 6) & 0x3fff) == 0;
    if (icmp[0] != ICMP_ECHO_REPLY) return -1;
  } else {
    if (source->ss_family != AF_INET6 ||
        memcmp(&((const struct sockaddr_in6 *)source)->sin6_addr, &((const struct sockaddr_in6 *)destination)->sin6_addr,
               sizeof(struct in6_addr)) != 0)
      return -1;
    if (length < ICMP_HEADER_LENGTH || icmp[0] != ICMPV6_ECHO_REPLY) return -1;
  }
  if (read16(icmp + 4) != pump->identifier) return -1;
  int sequence = read16(icmp + 6);
  size_t check_from = ICMP_HEADER_LENGTH + TIMEVAL_LENGTH; // iputils checks the data past the timeval
  *plain = header_plain && icmp[1] == 0 && icmp_length == pump->length &&
           (pump->family != AF_INET || fold(ones_sum(icmp, icmp_length)) == 0xffff) &&
           (icmp_length <= check_from || memcmp(icmp + check_from, pump->request + check_from, icmp_length - check_from) == 0);
  return sequence;
}
