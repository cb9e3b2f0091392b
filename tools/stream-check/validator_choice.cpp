// The per-choice part of StreamValidator: deltas, roles, finish reasons and tool-call fragments.
#include <boost/json/parse.hpp>

#include "validator.hpp"
#include "validator_detail.hpp"

namespace sb::check {

namespace json = boost::json;
using namespace detail;  // NOLINT(google-build-using-namespace): this file's own helpers

bool StreamValidator::on_choice(const json::value& choice_v) {
  const auto* choice = choice_v.if_object();
  const auto index64 = choice ? integer(choice->if_contains("index")) : std::nullopt;
  if (!index64 || *index64 < 0 || *index64 > 1'000'000) {
    add("bad-choice", "", "choices[] entry without an integer index" + at(event_));
    return false;
  }
  const int index = static_cast<int>(*index64);
  const std::string label = choice_label(index);
  const std::string subject = std::to_string(index);
  for (const auto& kv : *choice) shape_.choice_fields.emplace(kv.key());
  const bool first = choices_.find(index) == choices_.end();
  ChoiceState& state = choices_[index];

  static const json::object kEmpty;
  const json::value* delta_v = choice->if_contains("delta");
  const json::object* delta = delta_v ? delta_v->if_object() : nullptr;
  if (!delta) add("missing-delta", subject, "choice has no delta object" + label + at(event_));
  if (!delta) delta = &kEmpty;

  const json::value* finish = choice->if_contains("finish_reason");
  const json::string* finish_s = finish ? finish->if_string() : nullptr;
  if (!finish) {
    add("missing-finish-reason", subject,
        "choice lacks finish_reason (null until the finish chunk)" + label + at(event_));
  } else if (finish_s) {
    bool known = false;
    for (auto r : kFinishReasons) known = known || *finish_s == r;
    if (!known) add("bad-finish-reason", subject, "unknown finish_reason " + shown(*finish) + label + at(event_));
  } else if (!finish->is_null()) {
    add("bad-finish-reason", subject, "finish_reason is " + shown(*finish) + label + at(event_));
  }

  bool content = false;
  if (const json::value* c = delta->if_contains("content")) {
    if (const auto* s = c->if_string()) {
      content = content || !s->empty();
      if (!state.finished) state.text.append(s->data(), s->size());
      stats_.content_chars += utf8_length(*s);
    } else if (!c->is_null()) {
      add("bad-content", subject, "delta.content is not a string" + label + at(event_));
    }
  }
  if (const json::value* r = delta->if_contains("refusal")) {
    if (const auto* s = r->if_string()) {
      content = content || !s->empty();
      if (!state.finished) state.refusal.append(s->data(), s->size());
      stats_.content_chars += utf8_length(*s);
    } else if (!r->is_null()) {
      add("bad-content", subject, "delta.refusal is not a string" + label + at(event_));
    }
  }
  if (const json::value* tc = delta->if_contains("tool_calls"); tc && !tc->is_null()) {
    if (const auto* arr = tc->if_array()) {
      for (const auto& fragment : *arr) on_tool_fragment(index, state, fragment);
      content = content || !arr->empty();
    } else {
      add("bad-tool-calls", subject, "delta.tool_calls is not an array" + label + at(event_));
    }
  }

  if (state.finished) {
    if (content) {
      add("content-after-finish", subject, "content after finish chunk" + label + at(event_));
    } else if (finish_s) {
      add("duplicate-finish", subject, "second finish chunk" + label + at(event_));
    } else {
      add("chunk-after-finish", subject, "chunk for a choice after its finish chunk" + label + at(event_));
    }
    return content;
  }

  const json::value* role = delta->if_contains("role");
  if (first) {
    if (!role || role->is_null()) {
      add("no-role", subject, "first delta has no role" + label + at(event_));
    } else if (!role->is_string() || role->get_string() != "assistant") {
      add("wrong-role", subject,
          "first delta has role " + shown(*role) + ", expected \"assistant\"" + label + at(event_));
    } else {
      state.role = "assistant";
    }
  } else if (role && !role->is_null() && !(role->is_string() && role->get_string() == state.role)) {
    add("role-changed", subject, "role changed to " + shown(*role) + " mid-stream" + label + at(event_));
  }

  if (finish_s) {
    if (content)
      add("finish-delta-not-empty", subject, "finish chunk carries content (delta should be {})" + label + at(event_));
    state.finished = true;
    state.finish_reason = std::string(*finish_s);
  }
  return content;
}

void StreamValidator::on_tool_fragment(int choice, ChoiceState& state, const json::value& fragment_v) {
  const std::string label = choice_label(choice);
  const auto* fragment = fragment_v.if_object();
  const auto index64 = fragment ? integer(fragment->if_contains("index")) : std::nullopt;
  if (!index64 || *index64 < 0 || *index64 > 10'000) {
    add("tool-call-index", std::to_string(choice), "tool-call fragment without an integer index" + label + at(event_));
    return;
  }
  const int index = static_cast<int>(*index64);
  const std::string subject = std::to_string(choice) + "/" + std::to_string(index);
  const std::string name_of = "tool call " + std::to_string(index) + label;
  const json::value* fn_v = fragment->if_contains("function");
  const json::object* fn = fn_v ? fn_v->if_object() : nullptr;

  auto [it, inserted] = state.tools.try_emplace(index);
  ToolCallState& tool = it->second;
  if (inserted) {
    state.tool_order.push_back(index);
    if (static_cast<std::size_t>(index) != state.tools.size() - 1)
      add("tool-call-index-order", subject, name_of + " appears before the calls with lower indexes" + at(event_));
    const json::string* id = string_field(*fragment, "id");
    if (!id || id->empty()) {
      add("tool-call-first-fragment", subject + "/id", "first fragment of " + name_of + " lacks id" + at(event_));
    } else {
      tool.id = std::string(*id);
    }
    const json::string* type = string_field(*fragment, "type");
    if (!type || *type != "function")
      add("tool-call-first-fragment", subject + "/type",
          "first fragment of " + name_of + " lacks type \"function\"" + at(event_));
    const json::string* name = fn ? string_field(*fn, "name") : nullptr;
    if (!name || name->empty()) {
      add("tool-call-first-fragment", subject + "/name",
          "first fragment of " + name_of + " lacks function.name" + at(event_));
    } else {
      tool.name = std::string(*name);
    }
  } else if (is_present(*fragment, "id") || is_present(*fragment, "type") || (fn && is_present(*fn, "name"))) {
    add("tool-call-later-fragment", subject,
        "a later fragment of " + name_of + " repeats id/type/function.name (only arguments may follow)" + at(event_));
  }
  if (const json::value* args = fn ? fn->if_contains("arguments") : nullptr; args && !args->is_null()) {
    if (const auto* s = args->if_string()) {
      tool.arguments.append(s->data(), s->size());
      stats_.content_chars += utf8_length(*s);
    } else {
      add("tool-call-arguments-type", subject, "function.arguments of " + name_of + " is not a string" + at(event_));
    }
  }
}

}  // namespace sb::check
