// The echo pump: ping -f's send-on-reply rhythm kept in C (issue 10).
//
// Why: with one JS call per packet (send, then read the reply) a flood ran at
// about half of iputils' rate, the difference being JS and N-API overhead,
// not syscalls. With the pump armed, the binding's receive loop itself sends
// the next request the moment a fresh echo reply is read, so a flood makes
// exactly iputils' two syscalls per packet and JS is entered once per batch.
//
// The request is the one src/wire built (emitIcmpEchoInto): the pump only
// rewrites what changes per request, as iputils does: the sequence, the
// struct timeval at the start of the data, and (IPv4) the checksum. Replies
// are still parsed and counted by the TS engine; the pump marks those it
// found plain (nothing for ping to report but the RTT, see
// echo_pump_classify) so the engine can skip parsing them again.
#ifndef PACKET_LAB_ECHO_PUMP_H
#define PACKET_LAB_ECHO_PUMP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum {
  PUMP_NEVER_SENT = 0,
  PUMP_AWAITING_REPLY = 1,
  PUMP_ANSWERED = 2,
};

typedef struct {
  int family;              // AF_INET or AF_INET6
  uint8_t *request;        // the ICMP(v6) echo request, sequence and time rewritten per send
  size_t length;
  uint16_t identifier;
  int timed;               // the data starts with iputils' struct timeval (16 bytes)
  int write_checksum;      // IPv4: ours to write; an ICMPv6 socket writes its own
  uint32_t transmitted;    // requests sent so far; request k carries sequence k (mod 2^16), the first 1
  int64_t send_limit;      // no more requests once this many were sent (-1: none)
  int64_t reply_limit;     // ... or once this many distinct replies came (-1: none)
  uint64_t replies;        // distinct replies, duplicates not counted
  int burst;               // -l: read what is queued at once and answer it with one sendmmsg()
  uint8_t state[65536];    // per sequence, PUMP_*
} EchoPump;

// Writes request `sequence` into `out` (pump->length bytes): the template
// with the sequence, the timeval `now_ms` (epoch ms) when timed, and the
// IPv4 checksum.
void echo_pump_prepare(const EchoPump *pump, uint8_t *out, uint16_t sequence, double now_ms);

// Whether another request may go out under the limits, `pending` more being on their way.
int echo_pump_may_send(const EchoPump *pump, uint32_t pending);

// What a received datagram is to the pump: its sequence (0..65535) when it
// is an echo reply to the pump's destination with the pump's identifier,
// else -1. `*plain` is set when the reply needs nothing from ping but its
// RTT: IPv4 header and ICMP lengths agree with the request's, code 0, a valid
// checksum (IPv4; the kernel drops bad ICMPv6 ones), and the data past the
// timeval equal to the request's. IPv4 datagrams start with the IPv4 header,
// IPv6 ones with the ICMPv6 header (the kernel strips the IPv6 header).
int echo_pump_classify(const EchoPump *pump, const uint8_t *datagram, size_t length,
                       const struct sockaddr_storage *source, const struct sockaddr_storage *destination,
                       int *plain);

#endif
