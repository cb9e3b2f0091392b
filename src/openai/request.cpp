#include "openai/request.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <cmath>
#include <cstdint>
#include <limits>

#include "openai/json_handler.hpp"
#include "openai/json_text.hpp"

namespace sb::openai {
namespace json = boost::json;
using core::ApiError;

namespace {

constexpr std::size_t kNoDepth = 0;

// The kind of a JSON value as the errors name it; `absent` when a field is not there.
enum class Kind : std::uint8_t { absent, null, boolean, number, string, array, object };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::null:
      return "null";
    case Kind::boolean:
      return "a boolean";
    case Kind::number:
      return "a number";
    case Kind::string:
      return "a string";
    case Kind::array:
      return "an array";
    case Kind::object:
      return "an object";
    case Kind::absent:
      break;
  }
  return "unknown";
}

// A field that is there with a value: absent and null count as not given.
bool given(Kind k) { return k != Kind::absent && k != Kind::null; }

ApiError wrong_type(const std::string& param, const char* expected, Kind got) {
  return ApiError::invalid_type(
      param, "Invalid type for '" + param + "': expected " + expected + ", but got " + kind_name(got) + ".");
}

// One validating pass over the body without building a tree (Boost.JSON's basic_parser checks grammar, UTF-8 and
// depth; this handler notes what the checks below need). Where a key appears twice the last one counts, as in a
// Boost.JSON tree.
struct RequestScan : detail::HandlerBase<RequestScan> {
  // What the value being read is, as far as the request's checks care.
  enum class Slot : std::uint8_t {
    none, provider, session_id, model, messages, stream, stream_options, tools, include_usage, role, content, message
  };
  // The first thing wrong with an element of `messages`, in the order the checks run.
  struct MessageFault {
    enum class What : std::uint8_t { not_object, no_role, role_type, content_type } what;
    std::size_t index;
    Kind got;
  };

  Kind root = Kind::absent;
  Kind provider = Kind::absent, session_id = Kind::absent, model = Kind::absent, messages = Kind::absent,
       stream = Kind::absent, stream_options = Kind::absent, tools = Kind::absent, include_usage = Kind::absent;
  std::string provider_text, session_text, model_text;
  bool stream_value = false, include_usage_value = false;
  std::size_t message_count = 0;  // elements of the last `messages` array
  std::optional<MessageFault> fault;
  Kind role = Kind::absent, content = Kind::absent;  // of the message being read

  std::size_t depth = 0;                  // open objects and arrays; the body's object is depth 1
  std::size_t messages_depth = kNoDepth;  // the depth of the elements of the open `messages` array
  std::size_t message_depth = kNoDepth;   // the depth of the fields of the open message object
  std::size_t options_depth = kNoDepth;   // the depth of the fields of the open `stream_options` object
  Slot slot = Slot::none;                 // what the value after the last key is
  Slot string_slot = Slot::none;          // the slot of the string being read (it may come in parts)
  bool in_string = false;
  bool out_of_range = false;  // a number_beyond_range
  std::string text;

  void key(std::string_view k) {
    slot = Slot::none;
    if (depth == 1) {
      if (k == "messages") slot = Slot::messages;
      else if (k == "model") slot = Slot::model;
      else if (k == "stream") slot = Slot::stream;
      else if (k == "stream_options") slot = Slot::stream_options;
      else if (k == "tools") slot = Slot::tools;
      else if (k == "provider") slot = Slot::provider;
      else if (k == "session_id") slot = Slot::session_id;
    } else if (depth == message_depth) {
      if (k == "role") slot = Slot::role;
      else if (k == "content") slot = Slot::content;
    } else if (depth == options_depth) {
      if (k == "include_usage") slot = Slot::include_usage;
    }
  }

  // A value of kind `k` begins here (containers) or is complete (scalars): notes its kind where it matters and
  // returns its slot.
  Slot value(Kind k) {
    const Slot s = slot;
    slot = Slot::none;
    if (depth == 0) {
      root = k;
      return Slot::none;
    }
    if (depth == messages_depth) {  // an element of `messages`
      const std::size_t index = message_count++;
      if (k == Kind::object) return Slot::message;
      if (!fault) fault = MessageFault{MessageFault::What::not_object, index, k};
      return Slot::none;
    }
    switch (s) {
      case Slot::provider: provider = k; break;
      case Slot::session_id: session_id = k; break;
      case Slot::model: model = k; break;
      case Slot::messages: messages = k; break;
      case Slot::stream: stream = k; break;
      case Slot::stream_options: stream_options = k; break;
      case Slot::tools: tools = k; break;
      case Slot::include_usage: include_usage = k; break;
      case Slot::role: role = k; break;
      case Slot::content: content = k; break;
      case Slot::none:
      case Slot::message: break;
    }
    return s;
  }

  void end_message() {
    if (fault) return;
    const std::size_t index = message_count - 1;
    if (role == Kind::absent) {
      fault = MessageFault{MessageFault::What::no_role, index, role};
    } else if (role != Kind::string) {
      fault = MessageFault{MessageFault::What::role_type, index, role};
    } else if (given(content) && content != Kind::string && content != Kind::array) {
      fault = MessageFault{MessageFault::What::content_type, index, content};
    }
  }

  void string_begins() {
    if (in_string) return;
    in_string = true;
    string_slot = value(Kind::string);
    text.clear();
  }
  bool keeps_text() const {
    return string_slot == Slot::provider || string_slot == Slot::session_id || string_slot == Slot::model;
  }

  // ---- basic_parser's handler interface (the rest in HandlerBase) ----
  bool on_object_begin(ec_t&) {
    const Slot s = value(Kind::object);
    ++depth;
    if (s == Slot::message) {
      message_depth = depth;
      role = content = Kind::absent;
    } else if (s == Slot::stream_options) {
      options_depth = depth;
      include_usage = Kind::absent;
    }
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    if (depth == message_depth) {
      end_message();
      message_depth = kNoDepth;
    } else if (depth == options_depth) {
      options_depth = kNoDepth;
    }
    --depth;
    return true;
  }
  bool on_array_begin(ec_t&) {
    const Slot s = value(Kind::array);
    ++depth;
    if (s == Slot::messages) {  // a later `messages` replaces an earlier one
      messages_depth = depth;
      message_count = 0;
      fault.reset();
    }
    return true;
  }
  bool on_array_end(std::size_t, ec_t&) {
    if (depth == messages_depth) messages_depth = kNoDepth;
    --depth;
    return true;
  }
  bool on_string_part(std::string_view part, std::size_t, ec_t&) {
    string_begins();
    if (keeps_text()) text.append(part);
    return true;
  }
  bool on_string(std::string_view s, std::size_t, ec_t&) {
    string_begins();
    in_string = false;
    if (!keeps_text()) return true;
    text.append(s);
    (string_slot == Slot::provider ? provider_text : string_slot == Slot::session_id ? session_text : model_text) =
        text;
    return true;
  }
  bool on_int64(std::int64_t, std::string_view, ec_t&) {
    value(Kind::number);
    return true;
  }
  bool on_uint64(std::uint64_t, std::string_view, ec_t&) {
    value(Kind::number);
    return true;
  }
  bool on_double(double, std::string_view literal, ec_t&) {  // the whole literal: the body is parsed in one write
    value(Kind::number);
    if (number_beyond_range(literal)) out_of_range = true;
    return true;
  }
  bool on_bool(bool b, ec_t&) {
    const Slot s = value(Kind::boolean);
    if (s == Slot::stream) stream_value = b;
    if (s == Slot::include_usage) include_usage_value = b;
    return true;
  }
  bool on_null(ec_t&) {
    value(Kind::null);
    return true;
  }
};

// An optional string field: absent or null is no value.
std::optional<ApiError> string_field(const char* name, Kind kind, std::string& text, std::optional<std::string>& out) {
  if (!given(kind)) return std::nullopt;
  if (kind != Kind::string) return wrong_type(name, "a string", kind);
  out = std::move(text);
  return std::nullopt;
}

std::optional<ApiError> messages_error(const RequestScan& scan, const ParseLimits& limits) {
  using What = RequestScan::MessageFault::What;
  if (!given(scan.messages)) return ApiError::missing_parameter("messages");
  if (scan.messages != Kind::array) return wrong_type("messages", "an array", scan.messages);
  if (scan.message_count == 0)
    return ApiError::invalid_type("messages", "Invalid 'messages': empty array. Expected at least one message.");
  if (scan.message_count > limits.max_messages)
    return ApiError::invalid_type(
        "messages", "Too many messages: at most " + std::to_string(limits.max_messages) + " are accepted.");
  if (!scan.fault) return std::nullopt;
  const auto& f = *scan.fault;
  const std::string where = "messages[" + std::to_string(f.index) + "]";
  switch (f.what) {
    case What::not_object:
      return wrong_type(where, "an object", f.got);
    case What::no_role:
      return ApiError::missing_parameter(where + ".role");
    case What::role_type:
      return wrong_type(where + ".role", "a string", f.got);
    case What::content_type:
      return wrong_type(where + ".content", "a string or an array", f.got);
  }
  return std::nullopt;
}

}  // namespace

const json::object& ChatRequest::body() const {
  if (!body_) {
    // Room for the tree of a typical request in the first block (strings are copied out of the body).
    arena_ = std::make_unique<json::monotonic_resource>(std::max<std::size_t>(1024, raw.size() + raw.size() / 2));
    json::parse_options opts;
    opts.max_depth = std::numeric_limits<std::size_t>::max();  // parse_chat_request checked it against its limit
    json::value root = json::parse(raw, json::storage_ptr(arena_.get()), opts);
    // Move-constructed (a JSON container keeps the memory resource it was made with: assigning would copy it out).
    body_.emplace(std::move(root.get_object()));
    if (extensions_removed) {
      body_->erase("provider");
      body_->erase("session_id");
    }
  }
  return *body_;
}

const json::array& ChatRequest::messages() const { return body().at("messages").get_array(); }

bool ChatRequest::has_tools() const {
  const auto* tools = body().if_contains("tools");
  return tools != nullptr && tools->is_array() && !tools->get_array().empty();
}

core::Expected<ChatRequest> parse_chat_request(std::string_view body, const ParseLimits& limits) {
  json::parse_options opts;
  opts.max_depth = limits.max_depth;
  json::basic_parser<RequestScan> parser(opts);
  json::error_code ec;
  const std::size_t used = parser.write_some(false, body.data(), body.size(), ec);
  if (ec == json::error::too_deep)
    return ApiError::invalid_json("The request body nests JSON deeper than " + std::to_string(limits.max_depth) +
                                  " levels.");
  if (ec || used != body.size() || !parser.done())
    return ApiError::invalid_json(
        "We could not parse the JSON body of your request. (HINT: This likely means you "
        "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.)");
  auto& scan = parser.handler();
  if (scan.root != Kind::object) return ApiError::invalid_json("The request body must be a JSON object.");
  if (scan.out_of_range) return ApiError::invalid_json(kNumberOutOfRange);

  ChatRequest req;
  req.raw = body;
  req.extensions_removed = scan.provider != Kind::absent || scan.session_id != Kind::absent;
  if (auto err = string_field("provider", scan.provider, scan.provider_text, req.provider)) return *err;
  if (auto err = string_field("session_id", scan.session_id, scan.session_text, req.session_id)) return *err;
  if (auto err = string_field("model", scan.model, scan.model_text, req.model)) return *err;
  if (auto err = messages_error(scan, limits)) return *err;
  if (given(scan.stream)) {
    if (scan.stream != Kind::boolean) return wrong_type("stream", "a boolean", scan.stream);
    req.stream = scan.stream_value;
  }
  if (given(scan.stream_options)) {
    if (scan.stream_options != Kind::object) return wrong_type("stream_options", "an object", scan.stream_options);
    if (given(scan.include_usage)) {
      if (scan.include_usage != Kind::boolean)
        return wrong_type("stream_options.include_usage", "a boolean", scan.include_usage);
      req.include_usage = scan.include_usage_value;
    }
  }
  if (given(scan.tools) && scan.tools != Kind::array)
    return wrong_type("tools", "an array", scan.tools);
  return req;
}

bool numbers_finite(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      return std::isfinite(v.get_double());
    case json::kind::array:
      return std::all_of(v.get_array().begin(), v.get_array().end(), [](const json::value& e) {
        return numbers_finite(e);
      });
    case json::kind::object:
      return std::all_of(v.get_object().begin(), v.get_object().end(), [](const json::key_value_pair& m) {
        return numbers_finite(m.value());
      });
    default:
      return true;
  }
}

namespace {

// The top-level members of a JSON object text that Boost.JSON has accepted, one at a time, as written: no tree and
// no re-serialisation, so every value goes on byte for byte (numbers with all their digits, key order, duplicates).
class Members {
 public:
  explicit Members(std::string_view text) : t_(text) { pos_ = t_.find('{') + 1; }

  // The next member's key (unescaped) and its whole text, `"key" : value`; false after the last.
  bool next(std::string& key, std::string_view& member) {
    skip_ws();
    if (pos_ < t_.size() && t_[pos_] == ',') ++pos_;
    skip_ws();
    if (pos_ >= t_.size() || t_[pos_] != '"') return false;
    const std::size_t begin = pos_;
    skip_string();
    const std::string_view quoted = t_.substr(begin, pos_ - begin);
    if (quoted.find('\\') == std::string_view::npos) key.assign(quoted.substr(1, quoted.size() - 2));
    else key.assign(json::parse(quoted).get_string());  // escaped: Boost.JSON's reading, as in the tree
    skip_ws();
    ++pos_;  // ':'
    skip_ws();
    skip_value();
    member = t_.substr(begin, pos_ - begin);
    return true;
  }

 private:
  static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  void skip_ws() {
    while (pos_ < t_.size() && is_ws(t_[pos_])) ++pos_;
  }
  // From the opening quote to after the closing one: the first quote after an even run of backslashes (memchr's
  // pace; a byte-at-a-time loop stepping over escapes ran at ~6 cycles a byte).
  void skip_string() {
    const std::size_t open = pos_;
    for (;;) {
      pos_ = t_.find('"', pos_ + 1);
      if (pos_ == std::string_view::npos) {
        pos_ = t_.size();
        return;
      }
      std::size_t before = pos_;
      while (before > open + 1 && t_[before - 1] == '\\') --before;
      if ((pos_ - before) % 2 == 0) break;
    }
    ++pos_;
  }
  void skip_value() {
    std::size_t depth = 0;
    while (pos_ < t_.size()) {
      const char c = t_[pos_];
      if (c == '"') {
        skip_string();
        if (depth == 0) return;
      } else if (c == '{' || c == '[') {
        ++depth;
        ++pos_;
      } else if (c == '}' || c == ']') {
        if (depth == 0) return;  // a number or literal ended by the object's close
        ++pos_;
        if (--depth == 0) return;
      } else if (depth == 0 && (c == ',' || is_ws(c))) {
        return;
      } else {
        ++pos_;
      }
    }
  }

  std::string_view t_;
  std::size_t pos_ = 0;
};

}  // namespace

bool number_beyond_range(std::string_view literal) {
  constexpr std::int64_t kLimit = 308;
  constexpr std::int64_t kCap = 1'000'000'000;  // exponents saturate here (no overflow)
  std::size_t i = 0;
  if (i < literal.size() && literal[i] == '-') ++i;
  // The decimal exponent of the leading non-zero digit: the value is in [10^lead, 10^(lead+1)).
  bool nonzero = false;
  std::int64_t lead = 0;
  for (; i < literal.size() && literal[i] >= '0' && literal[i] <= '9'; ++i) {
    if (nonzero) ++lead;
    else if (literal[i] != '0') nonzero = true;
  }
  if (i < literal.size() && literal[i] == '.') {
    std::int64_t place = 0;
    for (++i; i < literal.size() && literal[i] >= '0' && literal[i] <= '9'; ++i) {
      --place;
      if (!nonzero && literal[i] != '0') {
        nonzero = true;
        lead = place;
      }
    }
  }
  std::int64_t exponent = 0;
  if (i < literal.size() && (literal[i] == 'e' || literal[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < literal.size() && (literal[i] == '+' || literal[i] == '-')) negative = literal[i++] == '-';
    for (; i < literal.size() && literal[i] >= '0' && literal[i] <= '9'; ++i)
      exponent = std::min(kCap, exponent * 10 + (literal[i] - '0'));
    if (negative) exponent = -exponent;
  }
  return nonzero ? lead + exponent >= kLimit : exponent > kLimit;
}

std::optional<std::string> changed_body(const ChatRequest& req, std::string_view model) {
  // Unchanged requests go upstream byte for byte. Otherwise the body's members are copied as written, leaving out
  // the extension fields and, where the model changes, every `model` member: the new one goes first.
  const bool new_model = !req.model || *req.model != model;
  if (!new_model && !req.extensions_removed) return std::nullopt;
  std::string out;
  out.reserve(req.raw.size() + model.size() + 16);
  out += '{';
  if (new_model) {
    out += "\"model\":";
    append_json_string(out, model);
  }
  Members members(req.raw);
  std::string key;
  std::string_view member;
  while (members.next(key, member)) {
    if (key == "provider" || key == "session_id" || (new_model && key == "model")) continue;
    if (out.size() > 1) out += ',';
    out += member;
  }
  out += '}';
  return out;
}

std::string forward_body(const ChatRequest& req, std::string_view model) {
  auto changed = changed_body(req, model);
  return changed ? std::move(*changed) : std::string(req.raw);
}

std::string content_text(const json::value& content) {
  if (content.is_string()) return std::string(content.get_string());
  std::string out;
  if (!content.is_array()) return out;
  for (const auto& part : content.get_array()) {
    if (!part.is_object()) continue;
    const auto* text = part.get_object().if_contains("text");
    if (text != nullptr && text->is_string()) out += text->get_string();
  }
  return out;
}

std::optional<std::string> last_user_text(const ChatRequest& req) {
  const auto& msgs = req.messages();
  for (auto it = msgs.rbegin(); it != msgs.rend(); ++it) {
    const auto& m = it->get_object();
    if (m.at("role").get_string() != "user") continue;
    const auto* c = m.if_contains("content");
    return c ? content_text(*c) : std::string();
  }
  return std::nullopt;
}

}  // namespace sb::openai
