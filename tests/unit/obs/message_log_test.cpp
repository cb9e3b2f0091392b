// The message log's file handling: size-based rotation, keeping N files, whole records, the bounded queue.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "obs/logging.hpp"
#include "obs/message_log.hpp"
#include "obs/metrics.hpp"

namespace sb::obs {
namespace {
namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("sb-msglog-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
  static inline int counter_ = 0;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) out.push_back(line);
  return out;
}

TEST(RotatingFile, RotatesBySizeAndKeepsN) {
  TempDir dir;
  const std::string path = dir.file("messages.jsonl");
  auto f = RotatingFile::open(path, 100, 2);
  ASSERT_TRUE(f) << f.error();
  const std::string record = std::string(39, 'a') + "\n";  // 40 bytes: two fit in 100, a third does not
  for (int i = 0; i < 7; ++i) ASSERT_TRUE((*f)->write(record));
  // 7 records: path.2 = [r3 r4] ... rotation happens every two records.
  EXPECT_EQ(slurp(path).size(), 40u);
  EXPECT_EQ(slurp(path + ".1").size(), 80u);
  EXPECT_EQ(slurp(path + ".2").size(), 80u);
  EXPECT_FALSE(fs::exists(path + ".3")) << "only MESSAGE_LOG_KEEP old files are kept";
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::others_read, fs::perms::none) << "transcripts are private";
}

TEST(RotatingFile, OversizedRecordGetsAFileOfItsOwn) {
  TempDir dir;
  const std::string path = dir.file("m.jsonl");
  auto f = RotatingFile::open(path, 10, 1);
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->write("short\n"));
  ASSERT_TRUE((*f)->write(std::string(30, 'b') + "\n"));
  EXPECT_EQ(slurp(path), std::string(30, 'b') + "\n");
  EXPECT_EQ(slurp(path + ".1"), "short\n");
}

TEST(RotatingFile, KeepZeroTruncates) {
  TempDir dir;
  const std::string path = dir.file("m.jsonl");
  auto f = RotatingFile::open(path, 10, 0);
  ASSERT_TRUE(f);
  ASSERT_TRUE((*f)->write("12345678\n"));
  ASSERT_TRUE((*f)->write("abcdefgh\n"));
  EXPECT_EQ(slurp(path), "abcdefgh\n");
  EXPECT_FALSE(fs::exists(path + ".1"));
}

TEST(RotatingFile, AppendsToAnExistingFileAndCountsItsSize) {
  TempDir dir;
  const std::string path = dir.file("m.jsonl");
  std::ofstream(path) << std::string(50, 'x') << "\n";
  auto f = RotatingFile::open(path, 60, 1);
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)->size(), 51u);
  ASSERT_TRUE((*f)->write("0123456789\n"));
  EXPECT_TRUE(fs::exists(path + ".1"));
}

TEST(RotatingFile, UnwritablePathIsAnError) {
  auto f = RotatingFile::open("/nonexistent-dir/x/m.jsonl", 0, 1);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().find("/nonexistent-dir/x/m.jsonl"), std::string::npos);
}

Exchange numbered(int i, int thread) {
  Exchange e;
  e.request_id = "t" + std::to_string(thread) + "-" + std::to_string(i);
  e.ended = e.started = SystemClock::now();
  e.provider = "mock";
  e.model = "m";
  e.request_body = R"({"messages":[{"role":"user","content":"hello )" + std::to_string(i) + R"("}]})";
  e.reply.add_text(std::string(static_cast<std::size_t>(i % 50), 'z'));
  e.status = 200;
  return e;
}

TEST(MessageLog, ConcurrentWritersLoseAndInterleaveNothingAcrossRotations) {
  TempDir dir;
  MessageLogOptions o;
  o.path = dir.file("m.jsonl");
  o.max_bytes = 64 * 1024;
  o.keep = 100;
  auto log = MessageLog::open(o);
  ASSERT_TRUE(log) << log.error();
  constexpr int kThreads = 8, kEach = 400;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) ASSERT_TRUE((*log)->submit(numbered(i, t)));
    });
  for (auto& t : threads) t.join();
  (*log)->flush();
  (*log)->stop();

  std::set<std::string> ids;
  std::vector<std::string> files{o.path};
  for (int i = 1; fs::exists(o.path + "." + std::to_string(i)); ++i) files.push_back(o.path + "." + std::to_string(i));
  EXPECT_GT(files.size(), 2u) << "the test should cross several rotations";
  for (const auto& f : files) {
    EXPECT_LE(fs::file_size(f), o.max_bytes);
    for (const auto& line : lines_of(f)) {
      const auto rec = boost::json::parse(line).as_object();  // throws on a torn or interleaved line
      ids.insert(std::string(rec.at("request_id").as_string()));
    }
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kEach));
}

TEST(MessageLog, FullQueueDropsAndCounts) {
  TempDir dir;
  MessageLogOptions o;
  o.path = dir.file("m.jsonl");
  o.queue_records = 0;  // every record finds the queue full
  auto log = MessageLog::open(o);
  ASSERT_TRUE(log);
  const auto before = metrics().message_log_dropped.value();
  EXPECT_FALSE((*log)->submit(numbered(1, 0)));
  EXPECT_FALSE((*log)->submit(numbered(2, 0)));
  EXPECT_EQ(metrics().message_log_dropped.value(), before + 2);
}

TEST(MessageLog, StopWritesWhatIsQueuedAndScrubsSecrets) {
  TempDir dir;
  MessageLogOptions o;
  o.path = dir.file("m.jsonl");
  set_log_secrets({"sk-very-secret-key-123"});
  {
    auto log = MessageLog::open(o);
    ASSERT_TRUE(log);
    Exchange e = numbered(1, 0);
    e.request_body = R"({"messages":[{"role":"user","content":"my key is sk-very-secret-key-123"}]})";
    ASSERT_TRUE((*log)->submit(std::move(e)));
    for (int i = 0; i < 50; ++i) ASSERT_TRUE((*log)->submit(numbered(i, 1)));
  }  // destructor: stop() drains the queue
  set_log_secrets({});
  const auto lines = lines_of(o.path);
  ASSERT_EQ(lines.size(), 51u);
  EXPECT_EQ(lines[0].find("sk-very-secret-key-123"), std::string::npos);
  EXPECT_NE(lines[0].find("my key is ***"), std::string::npos);
}

TEST(SecretTokens, WholeTokensKnownOnlyByDigestAreReplaced) {
  const auto is_key = [](std::string_view t) { return t == "sb-proxy-0123456789abcdef"; };
  std::string text =
      R"({"content":"my key sb-proxy-0123456789abcdef, again \"sb-proxy-0123456789abcdef\" key=sb-proxy-0123456789abcdef"})";
  scrub_secret_tokens(text, is_key);
  EXPECT_EQ(text, R"({"content":"my key ***, again \"***\" key=***"})");
  std::string near = "sb-proxy-0123456789abcdefX and xsb-proxy-0123456789abcdef";
  scrub_secret_tokens(near, is_key);
  EXPECT_EQ(near, "sb-proxy-0123456789abcdefX and xsb-proxy-0123456789abcdef") << "only whole tokens";
  std::string untouched = "nothing here";
  scrub_secret_tokens(untouched, {});
  EXPECT_EQ(untouched, "nothing here");
}

}  // namespace
}  // namespace sb::obs
