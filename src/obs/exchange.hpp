// What the chat handler reports when a request ends, next to its log line: the metrics, and (when MESSAGE_LOG
// is set) the message-log record. Cheap on the io thread: atomic adds, and for the message log one copy of the
// request body and a move of the captured reply into the writer's queue.
#pragma once
#include <string_view>

#include "core/reply_capture.hpp"
#include "core/sink.hpp"
#include "obs/logging.hpp"

namespace sb::obs {

// `log` as filled for log_request; `reply` is moved out (the request is over).
void record_exchange(const RequestLog& log, const core::Outcome& outcome, std::string_view request_body,
                     core::ReplyCapture& reply);

// The capture a sink should fill: `&reply` when the message log is on, else null (nothing is captured).
core::ReplyCapture* reply_capture(core::ReplyCapture& reply);

}  // namespace sb::obs
