// ReceiveEmptyMarker: after the mark, a read waits for readiness; whatever arrives later (bytes, an end of stream)
// is read as without it, and a mark the reactor could not apply at once never holds up the reads behind it.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <optional>
#include <string>

#include "http/empty_mark.hpp"

namespace sb::http {
namespace {

namespace net = boost::asio;
using net::ip::tcp;

struct Pair {
  net::io_context io{1};
  tcp::socket ours{io}, theirs{io};
  ReceiveEmptyMarker marker{io};
  Pair() {
    tcp::acceptor acc(io, {net::ip::make_address("127.0.0.1"), 0});
    ours.connect(acc.local_endpoint());
    theirs = acc.accept();
  }
  // Starts a read on `ours`; the result lands in `got` when it completes.
  void start_read(std::optional<std::pair<boost::system::error_code, std::string>>& got) {
    ours.async_read_some(net::buffer(buf), [&got, this](boost::system::error_code ec, std::size_t n) {
      got.emplace(ec, std::string(buf, n));
    });
  }
  // Runs handlers until `got` is set or a second passes.
  void wait(std::optional<std::pair<boost::system::error_code, std::string>>& got) {
    io.restart();
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!got && std::chrono::steady_clock::now() < until) io.run_one_for(std::chrono::milliseconds(10));
  }
  // Runs the event loop (its reactor included: a timer keeps it busy) for `d`.
  void turn_for(std::chrono::milliseconds d) {
    net::steady_timer t(io, d);
    t.async_wait([](boost::system::error_code) {});
    io.restart();
    io.run_for(d + std::chrono::milliseconds(100));
  }
  // A first exchange, read whole with room to spare: the read that took less than it had room for.
  void first_exchange() {
    net::write(theirs, net::buffer(std::string("hello")));
    std::optional<std::pair<boost::system::error_code, std::string>> got;
    start_read(got);
    wait(got);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->second, "hello");
  }
  char buf[64];
};

TEST(ReceiveEmptyMark, BytesThatArriveLaterAreRead) {
  Pair p;
  p.first_exchange();
  p.marker.mark(p.ours);
  std::optional<std::pair<boost::system::error_code, std::string>> got;
  p.start_read(got);
  p.io.restart();
  p.io.poll();
  EXPECT_FALSE(got) << "nothing to read yet";
  net::write(p.theirs, net::buffer(std::string("later")));
  p.wait(got);
  ASSERT_TRUE(got) << "the read never completed";
  EXPECT_FALSE(got->first);
  EXPECT_EQ(got->second, "later");
}

// What the mark does: the read after it does not try the socket. Bytes whose readiness event was handled before the
// mark (nothing was reading then) wait for the next event; without the mark the read would take them at once.
TEST(ReceiveEmptyMark, TheReadAfterTheMarkWaitsForTheNextReadinessEvent) {
  Pair p;
  p.first_exchange();
  net::write(p.theirs, net::buffer(std::string("early")));
  p.turn_for(std::chrono::milliseconds(50));  // the reactor handles the bytes' event while no read is queued
  p.marker.mark(p.ours);
  std::optional<std::pair<boost::system::error_code, std::string>> got;
  p.start_read(got);
  p.turn_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(got) << "the read tried the socket after the mark";
  net::write(p.theirs, net::buffer(std::string("+late")));
  p.wait(got);
  ASSERT_TRUE(got) << "the read never completed";
  EXPECT_EQ(got->second, "early+late");
}

TEST(ReceiveEmptyMark, AnEndOfStreamThatArrivesLaterIsRead) {
  Pair p;
  p.first_exchange();
  p.marker.mark(p.ours);
  std::optional<std::pair<boost::system::error_code, std::string>> got;
  p.start_read(got);
  p.theirs.close();
  p.wait(got);
  ASSERT_TRUE(got) << "the read never completed";
  EXPECT_EQ(got->first, net::error::eof);
}

// The second mark finds the reactor already not trying reads: it is queued, and the readiness event that comes
// next completes it and the read behind it, which gets its bytes.
TEST(ReceiveEmptyMark, AMarkQueuedBehindAnotherDoesNotHoldUpTheReadBehindIt) {
  Pair p;
  p.first_exchange();
  p.marker.mark(p.ours);
  p.marker.mark(p.ours);
  std::optional<std::pair<boost::system::error_code, std::string>> got;
  p.start_read(got);
  net::write(p.theirs, net::buffer(std::string("after two marks")));
  p.wait(got);
  ASSERT_TRUE(got) << "the read never completed";
  EXPECT_EQ(got->second, "after two marks");
}

TEST(ReceiveEmptyMark, AClosedSocketIsLeftAlone) {
  Pair p;
  p.ours.close();
  p.marker.mark(p.ours);
  p.io.restart();
  p.io.poll();
  SUCCEED();
}

}  // namespace
}  // namespace sb::http
