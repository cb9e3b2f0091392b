#include "openai/chunk.hpp"

#include <random>

#include "openai/json_text.hpp"

namespace sb::openai {
namespace {

void append_usage(std::string& out, const core::Usage& u) {
  out += "{\"prompt_tokens\":" + std::to_string(u.prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(u.completion_tokens) +
         ",\"total_tokens\":" + std::to_string(u.total_tokens) + "}";
}

}  // namespace

ChunkEncoder::ChunkEncoder(std::string id, std::int64_t created, std::string model, bool include_usage)
    : suffix_(include_usage ? "],\"usage\":null}\n\n" : "]}\n\n"), id_(std::move(id)), created_(created),
      model_(std::move(model)) {}

const std::string& ChunkEncoder::id() const {
  if (id_.empty()) id_ = new_completion_id();
  return id_;
}

std::string ChunkEncoder::open() const {
  if (prefix_.empty()) {
    prefix_ = "data: {\"id\":";
    append_json_string(prefix_, id());
    prefix_ += ",\"object\":\"chat.completion.chunk\",\"created\":" + std::to_string(created_) + ",\"model\":";
    append_json_string(prefix_, model_);
    prefix_ += ",\"system_fingerprint\":null,\"choices\":[";
  }
  return prefix_;
}

std::string ChunkEncoder::close(std::string&& event) const {
  event += suffix_;
  return std::move(event);
}

std::string ChunkEncoder::role() const {
  return close(
      open() +
      R"({"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null})");
}

std::string ChunkEncoder::text(std::string_view delta) const {
  std::string e = open();
  e += R"({"index":0,"delta":{"content":)";
  append_json_string(e, delta);
  e += R"(},"logprobs":null,"finish_reason":null})";
  return close(std::move(e));
}

std::string ChunkEncoder::tool_call(const core::ToolCallDelta& d) const {
  std::string e = open();
  e += R"({"index":0,"delta":{"tool_calls":[{"index":)" + std::to_string(d.index);
  if (d.id) {
    e += ",\"id\":";
    append_json_string(e, *d.id);
    e += ",\"type\":\"function\"";
  }
  e += ",\"function\":{";
  if (d.name) {
    e += "\"name\":";
    append_json_string(e, *d.name);
    e += ",";
  }
  e += "\"arguments\":";
  append_json_string(e, d.arguments);
  e += R"(}}]},"logprobs":null,"finish_reason":null})";
  return close(std::move(e));
}

std::string ChunkEncoder::finish(std::string_view reason) const {
  std::string e = open();
  e += R"({"index":0,"delta":{},"logprobs":null,"finish_reason":)";
  append_json_string(e, reason);
  e += "}";
  return close(std::move(e));
}

std::string ChunkEncoder::usage(const core::Usage& u) const {
  std::string e = open();
  e += "],\"usage\":";
  append_usage(e, u);
  e += "}\n\n";
  return e;
}

std::string encode_completion(const Completion& c) {
  std::string out = "{\"id\":";
  append_json_string(out, c.id.empty() ? new_completion_id() : c.id);
  out += ",\"object\":\"chat.completion\",\"created\":" + std::to_string(c.created) + ",\"model\":";
  append_json_string(out, c.model);
  out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
  if (c.tool_calls.empty() || !c.content.empty()) {
    append_json_string(out, c.content);
  } else {
    out += "null";
  }
  if (!c.tool_calls.empty()) {
    out += ",\"tool_calls\":[";
    for (std::size_t i = 0; i < c.tool_calls.size(); ++i) {
      const auto& t = c.tool_calls[i];
      if (i) out += ',';
      out += "{\"id\":";
      append_json_string(out, t.id);
      out += ",\"type\":\"function\",\"function\":{\"name\":";
      append_json_string(out, t.name);
      out += ",\"arguments\":";
      append_json_string(out, t.arguments);
      out += "}}";
    }
    out += "]";
  }
  out += R"(,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":)";
  append_json_string(out, c.finish_reason);
  out += "}],\"usage\":";
  append_usage(out, c.usage);
  out += ",\"system_fingerprint\":null}";
  return out;
}

std::string new_completion_id() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  constexpr std::uint64_t kBase = sizeof(kAlphabet) - 1;  // 62
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char id[9 + 24] = {'c', 'h', 'a', 't', 'c', 'm', 'p', 'l', '-'};
  // 24 characters from three 64-bit draws, 8 each: 62^8 < 2^48, so every character is uniform up to a bias of
  // 2^-16 at most (a fresh draw per character, through a distribution, cost ~1,700 instructions per id).
  char* out = id + 9;
  for (int d = 0; d < 3; ++d) {
    std::uint64_t v = rng();
    for (int i = 0; i < 8; ++i, v /= kBase) *out++ = kAlphabet[v % kBase];
  }
  return {id, sizeof id};
}

}  // namespace sb::openai
