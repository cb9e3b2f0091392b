#include "core/settings.hpp"

namespace sb::core {

std::vector<std::string> Settings::secrets() const {
  std::vector<std::string> out;
  for (const auto* s : {&openai_api_key, &aws_secret_access_key, &aws_session_token})
    if (s->size() >= 4) out.push_back(*s);
  for (const auto& p : file_config.providers)
    for (const auto* v : {&p.api_key, &p.secret_access_key, &p.session_token})
      if (v->size() >= 4) out.push_back(*v);
  return out;
}

}  // namespace sb::core
