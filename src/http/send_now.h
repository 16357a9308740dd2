#pragma once
// Sending a small reply from the worker thread that made it (defined in
// server.cc): the client then has it without waiting for the connection's
// io thread to be scheduled. Declared here for its tests; the server is
// its only user.

#include <cstddef>
#include <string>

#include "http/http.h"

namespace plumb::http {

// Replies up to this size (body bytes) are sent by SendNow.
inline constexpr size_t kSendNowBytes = 64 * 1024;

// What SendNow did with a reply.
struct SentNow {
  bool tried = false;   // false: a file or large reply, left whole to the io thread
  std::string rest;     // the bytes the socket did not take at once, for the io thread
  bool failed = false;  // the peer is gone: close the connection
};

// Serializes `reply` as an HTTP/1.`version` response and sends it on the
// connected socket `fd` in one non-blocking send. The caller must be the
// only one using the socket meanwhile.
SentNow SendNow(int fd, const Reply& reply, unsigned version, bool keep_alive);

}  // namespace plumb::http
