// The fast JSON object check (detail::scan_json_object) against its reference, Boost.JSON's basic_parser
// (detail::reference_is_json_object): the same answer on every input it decides, the same facts on every object it
// accepts; `unsure` only for the rare constructs it leaves to the reference.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/sse.hpp"
#include "openai/json_text.hpp"
#include "support/fixtures.hpp"
#include "support/mutate.hpp"

namespace sb::openai {
namespace {

using detail::Scan;

std::string show(const core::BodyFacts& f) {
  std::string s = "finish_reason=" + f.finish_reason;
  if (f.usage)
    s += " usage=" + std::to_string(f.usage->prompt_tokens) + "/" + std::to_string(f.usage->completion_tokens) + "/" +
         std::to_string(f.usage->total_tokens);
  return s;
}

// Empty when the fast check and the reference agree on `text` (and is_json_object gives the reference's answer);
// else what differs. Counts the inputs the fast check left to the reference.
std::string disagreement(const std::string& text, int* unsure = nullptr, std::size_t max_depth = 64) {
  core::BodyFacts fast, ref, pub;
  const bool r = detail::reference_is_json_object(text, max_depth, &ref);
  const Scan s = detail::scan_json_object(text, max_depth, &fast);
  const bool p = is_json_object(text, max_depth, &pub);
  if (p != r) return std::string("is_json_object ") + (p ? "accepts" : "refuses") + ", the reference does not";
  if (r && show(pub) != show(ref)) return "is_json_object facts " + show(pub) + " / reference " + show(ref);
  if (s == Scan::unsure) {
    if (unsure != nullptr) ++*unsure;
    return {};
  }
  if ((s == Scan::ok) != r) return std::string("the scan ") + (s == Scan::ok ? "accepts" : "refuses") + ", the reference does not";
  if (r && show(fast) != show(ref)) return "scan facts " + show(fast) + " / reference " + show(ref);
  // Without facts, the same answer.
  if ((detail::scan_json_object(text, max_depth, nullptr) == Scan::ok) != r) return "the answer without facts differs";
  return {};
}

std::vector<std::string> recorded_texts() {
  std::vector<std::string> out;
  for (const auto& f : test::list_fixtures("openai/stream", ".sse")) {
    http::SseParser parser;
    http::SseEvent ev;
    const std::string bytes = test::read_fixture(f);
    parser.push(bytes);
    while (parser.next(ev))
      if (ev.has_data && ev.data != "[DONE]") out.emplace_back(ev.data);
  }
  for (const auto& f : test::list_fixtures("openai/nonstream", ".json"))
    if (!f.ends_with(".meta.json")) out.push_back(test::read_fixture(f));
  return out;
}

TEST(JsonScan, DecidesEveryRecordedEventAndBodyItselfAsTheReferenceDoes) {
  const auto texts = recorded_texts();
  ASSERT_GE(texts.size(), 50u);
  for (const auto& t : texts) {
    core::BodyFacts f;
    EXPECT_EQ(detail::scan_json_object(t, 64, &f), Scan::ok) << t;
    EXPECT_EQ(disagreement(t), "") << t;
  }
}

TEST(JsonScan, AgreesOnTheGrammarsCorners) {
  const std::vector<std::string> cases = {
      "{}", " {} ", "\t{\r\n}\n", "{ }x", "{}{}", "[]", "\"a\"", "1", "", " ", "{", "}", "{\"a\"}", "{\"a\":}",
      "{\"a\" : 1 }", "{\"a\":1,}", "{,\"a\":1}", "{\"a\":1 \"b\":2}", "{\"a\":[1,2,]}", "{\"a\":[,1]}", "{\"a\":[]}",
      "{\"a\":[[],[[]],{}]}", "{\"a\":[1 2]}", "{\"a\":{\"b\":{}}}", "{\"a\":{\"b\":}}", "{\"a\":]}", "{\"a\":[}",
      "{\"a\":[1}", "{\"a\":{]}", "{1:2}", "{\"a\":1,\"a\":2}", "{'a':1}", "{\"a\":\"\x01\"}", "{\"a\":\"\x7f\"}",
      // literals
      "{\"a\":true}", "{\"a\":false}", "{\"a\":null}", "{\"a\":tru}", "{\"a\":nul", "{\"a\":True}", "{\"a\":truex}",
      "{\"a\":nulll}", "{\"a\":fals}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}",
      // numbers
      "{\"a\":0}", "{\"a\":-0}", "{\"a\":01}", "{\"a\":-01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1.5}", "{\"a\":-}",
      "{\"a\":+1}", "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":1E-5}", "{\"a\":1e05}", "{\"a\":0.0e0}", "{\"a\":1.e5}",
      "{\"a\":12345678901234567890123}", "{\"a\":-9223372036854775808}", "{\"a\":18446744073709551616}",
      "{\"a\":1e99999999}", "{\"a\":1e999999999}", "{\"a\":1e2147483647}", "{\"a\":1e2147483648}",
      "{\"a\":12345678901234567890e2147483647}", "{\"a\":0.00001e-2147483648}", "{\"a\":1e-2147483647}",
      "{\"a\":1e0000000000000000000001}", "{\"a\":0x10}", "{\"a\":1_0}", "{\"a\":1-}", "{\"a\":2.5e3.1}",
      // strings and escapes
      "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "{\"a\":\"\\a\"}", "{\"a\":\"\\'\"}", "{\"a\":\"\\\"}", "{\"a\":\"\\",
      "{\"a\":\"\\u0041\"}", "{\"a\":\"\\u004\"}", "{\"a\":\"\\u004g\"}", "{\"a\":\"\\U0041\"}", "{\"a\":\"\\u00e9\"}",
      "{\"a\":\"\\uD83D\\uDE00\"}", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\uD83D\"}", "{\"a\":\"\\uDE00\"}",
      "{\"a\":\"\\uD83D\\u0041\"}", "{\"a\":\"\\uD83D\\uD83D\"}", "{\"a\":\"\\uD83Dx\"}", "{\"a\":\"\\uD83D\\n\"}",
      "{\"a\":\"\\uDBFF\\uDFFF\"}", "{\"a\":\"\\uD83D\\uE000\"}", "{\"a\":\"\\uDBFF\\uFFFF\"}", "{\"a\":\"\\uD83D\\uDBFF\"}", "{\"a\":\"\\uDC00\\uDC00\"}", "{\"a\":\"\\uD800\\uDC00\"}", "{\"a\":\"\\uD7FF\\uE000\"}", "{\"a\":\"\\u0000\"}",
      "{\"\\u0061\":1}", "{\"a\":\"unterminated}", "{\"a\":\"tab\there\"}", "{\"a\":\"nl\nhere\"}",
      // facts
      "{\"finish_reason\":\"stop\"}", "{\"finish_reason\":\"\",\"x\":{\"finish_reason\":\"len\"}}",
      "{\"finish_reason\":null,\"finish_reason\":\"b\"}", "{\"finish_reason\":\"a\",\"x\":[{\"finish_reason\":\"b\"}]}", "{\"finish_reason\":\"st\\u006fp\"}",
      "{\"fin\\u0069sh_reason\":\"stop\"}", "{\"finish_reason\":1,\"y\":{\"finish_reason\":[\"z\"]}}",
      "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}", "{\"usage\":[1,2]}",
      "{\"usage\":{\"prompt_tokens\":1},\"usage\":{\"total_tokens\":4}}", "{\"usage\":null}", "{\"usage\":7}",
      "{\"usage\":{\"prompt_tokens\":1.5}}", "{\"usage\":{\"prompt_tokens\":-3}}", "{\"usage\":{\"prompt_tokens\":1e3}}",
      "{\"usage\":{\"prompt_tokens\":99999999999999999999}}", "{\"usage\":{\"prompt_tokens\":-0}}",
      "{\"usage\":{\"prompt_tokens\":999999999999999999}}", "{\"usage\":{\"prompt_tokens\":9999999999999999999}}",
      "{\"usage\":{\"x\":{\"prompt_tokens\":5},\"prompt_tokens\":6}}", "{\"a\":{\"usage\":{\"total_tokens\":1}}}",
      "{\"usage\":{\"prompt_tokens\":\"5\"}}", "{\"usage\":{\"prompt_tokens\":true,\"total_tokens\":null}}",
      "{\"usage\":{\"total_tokens\":2},\"usage\":[]}", "{\"usage\":{\"total_tokens\":1},\"x\":{\"total_tokens\":5}}", "{\"usage\":{\"total_tokens\":2},\"usage\":null}",
  };
  for (const auto& c : cases) EXPECT_EQ(disagreement(c), "") << c;
}

TEST(JsonScan, AgreesOnEveryLeadByteAndContinuation) {
  // Every first byte from 0x80 with every second byte class and lengths cut short: Unicode Table 3-7's edges.
  const std::vector<unsigned char> seconds = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  for (int lead = 0x80; lead <= 0xFF; ++lead)
    for (const unsigned char second : seconds)
      for (int tail = 0; tail <= 3; ++tail) {
        std::string s = "{\"a\":\"x";
        s.push_back(static_cast<char>(lead));
        s.push_back(static_cast<char>(second));
        for (int i = 0; i < tail; ++i) s.push_back(static_cast<char>(0x80 + 0x11 * i));
        s += "\"}";
        EXPECT_EQ(disagreement(s), "") << lead << " " << int(second) << " " << tail;
        // The same inside a long string, where the sixteen-byte scan meets it mid-block, and in a key.
        std::string l = "{\"a\":\"" + std::string(13, 'x') + s.substr(7);
        EXPECT_EQ(disagreement(l), "") << lead << " " << int(second) << " " << tail;
        std::string k = "{\"" + s.substr(7, s.size() - 9) + "\":1}";
        EXPECT_EQ(disagreement(k), "") << lead << " " << int(second) << " " << tail;
      }
  // Every byte below 0x80, raw inside a string, at every offset of a sixteen-byte block.
  for (int c = 0; c < 0x80; ++c)
    for (int at = 0; at < 18; ++at) {
      std::string s = "{\"a\":\"" + std::string(at, 'y') + static_cast<char>(c) + std::string(20, 'z') + "\"}";
      EXPECT_EQ(disagreement(s), "") << c << " at " << at;
    }
}

TEST(JsonScan, DepthLimitIsTheReferences) {
  for (const std::size_t max : {1u, 2u, 5u, 64u, 256u, 257u})
    for (std::size_t depth = max - 1; depth <= max + 1; ++depth) {
      if (depth == 0) continue;
      std::string s = "{\"a\":";
      for (std::size_t i = 1; i < depth; ++i) s += i % 2 ? "[" : "{\"b\":";
      s += "1";
      for (std::size_t i = depth - 1; i >= 1; --i) s += i % 2 ? "]" : "}";
      s += "}";
      EXPECT_EQ(disagreement(s, nullptr, max), "") << "depth " << depth << " max " << max;
    }
}

// Structural and textual mutations of every recorded text, and of texts made of JSON's tokens, compared with the
// reference. Fixed seed, so a failure reproduces.
TEST(JsonScan, AgreesWithTheReferenceOnMutatedAndGeneratedTexts) {
  const auto texts = recorded_texts();
  const std::vector<std::string> tokens = {
      "{", "}", "[", "]", ",", ":", "\"", "null", "true", "fals", "0", "-", "5", "1.5e3", "e", ".", "+", "\\u0065",
      "\\uD83D", "\\uDE00", "\\", "\\n", " ", "\n", "\t", "\x01", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
      "\xff", "\xc3", "\xed\xa0\x80", "\"finish_reason\":\"stop\",", "\"finish_reason\":", "\"usage\":{\"total_tokens\":9},",
      "\"usage\":", "\"prompt_tokens\":", "\"x\":1,", "1e123456789", "99999999999999999999"};
  test::Mutator mutate;
  int checked = 0, unsure = 0;
  for (int round = 0; round < 40000; ++round) {
    std::string t;
    if (round % 4 == 3) {  // a short text of tokens only: the grammar's corners more often than in a real body
      t = "{";
      for (std::size_t i = 0, n = 1 + mutate.pick(12); i < n; ++i) t += tokens[mutate.pick(tokens.size())];
    } else {
      t = texts[mutate.pick(texts.size())];
      mutate.edit(t, tokens, 3);
    }
    const auto d = disagreement(t, &unsure);
    ASSERT_EQ(d, "") << t;
    ++checked;
  }
  EXPECT_LT(unsure, checked / 20) << "the fast check decides nearly everything itself";
}

TEST(JsonScan, LeavesOnlyTheRareConstructsToTheReference) {
  core::BodyFacts f;
  EXPECT_EQ(detail::scan_json_object("{\"a\":1e999999999}", 64, nullptr), Scan::unsure) << "exponent overflow is the parser's";
  EXPECT_EQ(detail::scan_json_object("{\"a\":1e99999999}", 64, nullptr), Scan::ok);
  EXPECT_EQ(detail::scan_json_object("{\"fin\\u0069sh_reason\":\"stop\"}", 64, &f), Scan::unsure);
  EXPECT_EQ(detail::scan_json_object("{\"fin\\u0069sh_reason\":\"stop\"}", 64, nullptr), Scan::ok) << "no facts: no names";
  EXPECT_EQ(detail::scan_json_object("{\"finish_reason\":\"st\\u006fp\"}", 64, &f), Scan::unsure);
  EXPECT_EQ(detail::scan_json_object("{\"x\":\"st\\u006fp\"}", 64, &f), Scan::ok);
  EXPECT_EQ(detail::scan_json_object("{\"usage\":{\"total_tokens\":1.0}}", 64, &f), Scan::unsure);
  EXPECT_EQ(detail::scan_json_object("{\"usage\":{\"other\":1.0}}", 64, &f), Scan::ok);
  EXPECT_EQ(detail::scan_json_object("{}", 300, &f), Scan::unsure) << "deeper than its own stack";
  // What is_json_object answers for them is the reference's.
  core::BodyFacts g;
  ASSERT_TRUE(is_json_object("{\"finish_reason\":\"st\\u006fp\",\"usage\":{\"total_tokens\":2.9}}", 64, &g));
  EXPECT_EQ(g.finish_reason, "stop");
  ASSERT_TRUE(g.usage);
  EXPECT_EQ(g.usage->total_tokens, 2);
  EXPECT_FALSE(is_json_object("{\"a\":1e2147483648}"));
  // Found by fuzz_sse: Boost.JSON reads 0e400 as NaN, which converted to a count was undefined behaviour.
  core::BodyFacts h;
  ASSERT_TRUE(is_json_object("{\"usage\":{\"prompt_tokens\":0e400,\"total_tokens\":1e400}}", 64, &h));
  ASSERT_TRUE(h.usage);
  EXPECT_EQ(h.usage->prompt_tokens, 0);
  EXPECT_GT(h.usage->total_tokens, 0);
}

TEST(JsonScan, StartsFromAProvenKeyAsFromTheObjectsStart) {
  // From a top-level key's quote the rest is checked as "{" + rest would be; the keys found are positions in `text`.
  const std::string text = R"({"id":"x","object":"chunk","choices":[{"delta":{}}],"usage":{"total_tokens":4},"z":1})";
  const std::size_t from = text.find("\"object\"");
  std::vector<std::uint32_t> keys;
  core::BodyFacts f;
  ASSERT_EQ(detail::scan_json_object(text, 64, &f, &keys, from), Scan::ok);
  ASSERT_TRUE(f.usage);
  EXPECT_EQ(f.usage->total_tokens, 4);
  ASSERT_EQ(keys.size(), 3u) << "object, choices, usage; none after the key that gives a fact";
  EXPECT_EQ(keys[0], from);
  EXPECT_EQ(keys[1], text.find("\"choices\""));
  EXPECT_EQ(keys[2], text.find("\"usage\""));
  EXPECT_EQ(detail::scan_json_object(text.substr(0, text.size() - 1), 64, &f, &keys, from), Scan::bad);
  EXPECT_EQ(detail::scan_json_object(text + "}", 64, &f, &keys, from), Scan::bad);
}

}  // namespace
}  // namespace sb::openai
