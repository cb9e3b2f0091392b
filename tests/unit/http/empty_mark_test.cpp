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

using Got = std::optional<std::pair<boost::system::error_code, std::string>>;

struct Pair {
  net::io_context io{1};
  tcp::socket ours{io}, theirs{io};
  ReceiveEmptyMarker marker{io};
  Got got;  // what the last read started on `ours` completed with
  char buf[64];

  Pair() {
    tcp::acceptor acc(io, {net::ip::make_address("127.0.0.1"), 0});
    ours.connect(acc.local_endpoint());
    theirs = acc.accept();
  }
  void start_read() {
    got.reset();
    ours.async_read_some(net::buffer(buf), [this](boost::system::error_code ec, std::size_t n) {
      got.emplace(ec, std::string(buf, n));
    });
  }
  // Marks `ours` `marks` times, then starts a read.
  void mark_then_read(int marks = 1) {
    for (int i = 0; i < marks; ++i) marker.mark(ours);
    start_read();
  }
  void send(const std::string& bytes) { net::write(theirs, net::buffer(bytes)); }
  // Runs handlers until the read completes or a second passes.
  void wait() {
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
    send("hello");
    start_read();
    wait();
    ASSERT_TRUE(got);
    ASSERT_EQ(got->second, "hello");
  }
};

TEST(ReceiveEmptyMark, BytesThatArriveLaterAreRead) {
  Pair p;
  p.first_exchange();
  p.mark_then_read();
  p.io.restart();
  p.io.poll();
  EXPECT_FALSE(p.got) << "nothing to read yet";
  p.send("later");
  p.wait();
  ASSERT_TRUE(p.got) << "the read never completed";
  EXPECT_FALSE(p.got->first);
  EXPECT_EQ(p.got->second, "later");
}

// What the mark does: the read after it does not try the socket. Bytes whose readiness event was handled before the
// mark (nothing was reading then) wait for the next event; without the mark the read would take them at once.
TEST(ReceiveEmptyMark, TheReadAfterTheMarkWaitsForTheNextReadinessEvent) {
  Pair p;
  p.first_exchange();
  p.send("early");
  p.turn_for(std::chrono::milliseconds(50));  // the reactor handles the bytes' event while no read is queued
  p.mark_then_read();
  p.turn_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(p.got) << "the read tried the socket after the mark";
  p.send("+late");
  p.wait();
  ASSERT_TRUE(p.got) << "the read never completed";
  EXPECT_EQ(p.got->second, "early+late");
}

TEST(ReceiveEmptyMark, AnEndOfStreamThatArrivesLaterIsRead) {
  Pair p;
  p.first_exchange();
  p.mark_then_read();
  p.theirs.close();
  p.wait();
  ASSERT_TRUE(p.got) << "the read never completed";
  EXPECT_EQ(p.got->first, net::error::eof);
}

// The second mark finds the reactor already not trying reads: it is queued, and the readiness event that comes
// next completes it and the read behind it, which gets its bytes.
TEST(ReceiveEmptyMark, AMarkQueuedBehindAnotherDoesNotHoldUpTheReadBehindIt) {
  Pair p;
  p.first_exchange();
  p.mark_then_read(2);
  p.send("after two marks");
  p.wait();
  ASSERT_TRUE(p.got) << "the read never completed";
  EXPECT_EQ(p.got->second, "after two marks");
}

TEST(ReceiveEmptyMark, AClosedSocketIsLeftAlone) {
  Pair p;
  p.ours.close();
  p.marker.mark(p.ours);
  p.io.restart();
  EXPECT_EQ(p.io.poll(), 0u) << "an operation was started on a closed socket";
}

}  // namespace
}  // namespace sb::http
