// sb-loadgen: a closed-loop HTTP/1.1 load generator that times SSE events (wrk cannot).
//
// Each of `--concurrency` keep-alive connections sends the same POST again and again until `--requests`
// (shared budget) or `--duration` is used up. Per request it records the latency; for `text/event-stream`
// responses also the time to the first event and to the first content event, every gap between events,
// how many events each read() completed (more than one = the path coalesced them) and whether the stream
// ended with `data: [DONE]`. Loopback only. Bounded: per-request timeout and a hard cap on the whole run.
#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "loadgen_http.hpp"
#include "loadgen_stats.hpp"

namespace {

namespace net = boost::asio;
using net::ip::tcp;
using Clock = std::chrono::steady_clock;
using sb::bench::EventKind;
using sb::bench::Stats;
constexpr auto as_tuple = net::as_tuple(net::use_awaitable);

struct Options {
  std::string url;
  std::string body = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}]})";
  std::string body_file;
  std::string warmup_body;  // body of the warm-up requests (default: --body)
  std::vector<std::string> headers;
  unsigned concurrency = 1;
  std::uint64_t requests = 0;
  double duration_s = 0;
  unsigned warmup = 0;  // per connection, not recorded
  double ramp_s = 0;    // connection i starts after i/concurrency of this
  double timeout_s = 30;
  double max_time_s = 600;
  unsigned threads = 1;
  bool json = false;
  std::string label;
};

struct Shared {
  Options opts;
  tcp::endpoint endpoint;
  std::string request;         // the whole HTTP request, built once
  std::string warmup_request;  // the same with --warmup-body
  std::atomic<std::uint64_t> issued{0};
  Clock::time_point deadline = Clock::time_point::max();
  std::chrono::nanoseconds timeout{};
};

std::int64_t ns_since_epoch(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
std::int64_t ns_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

// Per request: what the SSE events looked like, committed to the stats only for measured requests.
struct StreamProbe {
  bool first_event = false;
  bool first_content = false;
  bool saw_done = false;
  Clock::time_point last_event;
  std::uint64_t last_chunk = 0;
};

net::awaitable<void> connection_loop(Shared& sh, Stats& st, unsigned index) {
  auto ex = co_await net::this_coro::executor;
  if (sh.opts.ramp_s > 0) {  // spread the starts so the phases of long streams are spread too
    net::steady_timer start(ex, std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                    sh.opts.ramp_s * index / sh.opts.concurrency)));
    co_await start.async_wait(as_tuple);
  }
  tcp::socket sock(ex);
  net::steady_timer timer(ex);
  std::uint64_t generation = 0;
  bool timed_out = false;
  std::vector<char> buf(64 * 1024);
  sb::bench::ResponseReader reader;
  sb::bench::SseScanner sse;
  Stats scratch;  // warm-up requests land here
  unsigned warm = sh.opts.warmup;

  for (;;) {
    const bool measured = warm == 0;
    if (measured) {
      if (Clock::now() >= sh.deadline) break;
      if (sh.opts.requests && sh.issued.fetch_add(1) >= sh.opts.requests) break;
    } else {
      --warm;
    }
    Stats& rec = measured ? st : scratch;

    // One deadline for connect + request + whole response.
    timed_out = false;
    timer.expires_after(sh.timeout);
    const std::uint64_t gen = ++generation;
    timer.async_wait([&sock, &timed_out, &generation, gen](boost::system::error_code ec) {
      if (ec || gen != generation) return;  // cancelled or re-armed (runs after the frame is gone only with ec)
      timed_out = true;
      boost::system::error_code ignored;
      sock.close(ignored);
    });

    if (!sock.is_open()) {
      auto [cec] = co_await sock.async_connect(sh.endpoint, as_tuple);
      if (cec) {
        if (timed_out) {
          ++rec.timeouts;
        } else {
          ++rec.io_errors;
        }
        rec.last_error = "connect: " + cec.message();
        boost::system::error_code ignored;
        sock.close(ignored);
        net::steady_timer pause(ex, std::chrono::milliseconds(10));  // e.g. refused: don't spin
        co_await pause.async_wait(as_tuple);
        continue;
      }
      boost::system::error_code ignored;
      sock.set_option(tcp::no_delay(true), ignored);
      ++rec.connects;
    }

    reader.reset();
    sse.reset();
    StreamProbe probe;
    const auto t0 = Clock::now();
    const std::string& request = measured ? sh.request : sh.warmup_request;
    auto [wec, wn] = co_await net::async_write(sock, net::buffer(request), as_tuple);
    bool broken = static_cast<bool>(wec);
    if (wec) rec.last_error = "write: " + wec.message();
    while (!broken) {
      auto [rec_ec, n] = co_await sock.async_read_some(net::buffer(buf), as_tuple);
      const auto now = Clock::now();
      if (rec_ec) {
        if (rec_ec == net::error::eof) reader.eof();
        if (!reader.done()) {
          broken = true;
          rec.last_error = "read: " + rec_ec.message();
        }
        break;
      }
      std::uint64_t events_here = 0;
      reader.feed(std::string_view(buf.data(), n), [&](std::string_view body) {
        rec.body_bytes += body.size();
        if (!reader.head().event_stream) return;
        sse.feed(body, [&](std::string_view ev) {
          const EventKind kind = sb::bench::classify_event(ev);
          if (kind == EventKind::comment) {
            ++rec.comments;
            return;
          }
          ++events_here;
          ++rec.events;
          if (!probe.first_event) {
            probe.first_event = true;
            rec.ttft.add(ns_between(t0, now));
          } else {
            rec.gap.add(ns_between(probe.last_event, now));
          }
          probe.last_event = now;
          const std::uint64_t chunk = reader.chunk_index();
          if (reader.head().chunked && chunk == probe.last_chunk) ++rec.chunk_shared_events;
          probe.last_chunk = chunk;
          if (kind == EventKind::content && !probe.first_content) {
            probe.first_content = true;
            rec.ttfc.add(ns_between(t0, now));
          }
          if (kind == EventKind::done) probe.saw_done = true;
        });
      });
      if (events_here) {
        ++rec.event_reads;
        if (events_here > 1) {
          ++rec.coalesced_reads;
          rec.coalesced_events += events_here - 1;
        }
        rec.max_events_per_read = std::max(rec.max_events_per_read, events_here);
      }
      if (reader.done()) break;
      if (reader.failed()) {
        broken = true;
        rec.last_error = "unparsable response";
        break;
      }
    }
    const auto t1 = Clock::now();
    ++generation;  // disarm the timeout
    timer.cancel();

    if (timed_out || broken || !reader.done()) {
      if (timed_out) {
        ++rec.timeouts;
        rec.last_error = "timeout";
      } else {
        ++rec.io_errors;
      }
      boost::system::error_code ignored;
      sock.close(ignored);
      continue;
    }
    const auto& head = reader.head();
    ++rec.status_counts[head.status];
    if (head.status >= 200 && head.status < 300) {
      ++rec.ok;
    } else {
      ++rec.http_errors;
    }
    if (head.event_stream) {
      ++rec.streams;
      if (probe.saw_done) ++rec.streams_done;
    }
    rec.latency.add(ns_between(t0, t1));
    rec.first_start_ns = std::min(rec.first_start_ns, ns_since_epoch(t0));
    rec.last_end_ns = std::max(rec.last_end_ns, ns_since_epoch(t1));
    if (head.close) {
      boost::system::error_code ignored;
      sock.close(ignored);
    }
  }
  boost::system::error_code ignored;
  sock.close(ignored);
}

bool is_loopback(const net::ip::address& a) {
  return a.is_loopback();
}

int run(Options opts) {
  auto url = boost::urls::parse_absolute_uri(opts.url);
  if (!url || url->scheme() != "http") {
    std::fprintf(stderr, "sb-loadgen: --url must be an http:// URL\n");
    return 2;
  }
  std::string host(url->encoded_host());
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code aec;
  const auto addr = net::ip::make_address(host, aec);
  if (aec || !is_loopback(addr)) {
    std::fprintf(stderr, "sb-loadgen: only loopback addresses are allowed (got %s)\n", host.c_str());
    return 2;
  }
  const unsigned short port = url->has_port() ? static_cast<unsigned short>(url->port_number()) : 80;
  std::string target(url->encoded_path());
  if (target.empty()) target = "/";
  if (url->has_query()) target += "?" + std::string(url->encoded_query());

  if (!opts.body_file.empty()) {
    std::ifstream in(opts.body_file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "sb-loadgen: cannot read %s\n", opts.body_file.c_str());
      return 2;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    opts.body = ss.str();
  }
  if (opts.requests == 0 && opts.duration_s <= 0) opts.requests = 1000;
  opts.concurrency = std::max(1u, opts.concurrency);
  opts.threads = std::clamp(opts.threads, 1u, opts.concurrency);

  Shared sh;
  sh.endpoint = tcp::endpoint(addr, port);
  sh.timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(opts.timeout_s));
  auto build = [&](const std::string& body) {
    std::string r = "POST " + target + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
                    "\r\nUser-Agent: sb-loadgen\r\nContent-Type: application/json\r\nAccept: */*\r\n";
    for (const auto& h : opts.headers) r += h + "\r\n";
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return r;
  };
  sh.request = build(opts.body);
  sh.warmup_request = build(opts.warmup_body.empty() ? opts.body : opts.warmup_body);

  const auto start = Clock::now();
  if (opts.duration_s > 0)
    sh.deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts.duration_s));
  const auto cap = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opts.max_time_s));
  sh.opts = opts;

  std::vector<std::unique_ptr<net::io_context>> ios;
  std::vector<Stats> stats(opts.threads);
  for (unsigned t = 0; t < opts.threads; ++t) ios.push_back(std::make_unique<net::io_context>(1));
  for (unsigned c = 0; c < opts.concurrency; ++c) {
    const unsigned t = c % opts.threads;
    net::co_spawn(*ios[t], connection_loop(sh, stats[t], c), net::detached);
  }
  std::atomic<bool> aborted{false};
  auto run_one = [&](unsigned t) {
    ios[t]->run_until(start + cap);
    if (!ios[t]->stopped()) {
      aborted = true;
      ios[t]->stop();
    }
  };
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < opts.threads; ++t) workers.emplace_back(run_one, t);
  run_one(0);
  for (auto& w : workers) w.join();

  Stats all;
  for (auto& s : stats) all.merge(std::move(s));
  sb::bench::RunInfo info{opts.label, opts.url, opts.concurrency, opts.threads, aborted.load()};
  const std::string out = opts.json ? sb::bench::report_json(info, all) + "\n" : sb::bench::report_text(info, all);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  ios.clear();  // destroys the suspended coroutines of an aborted run
  return aborted ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"sb-loadgen: HTTP/1.1 keep-alive load generator with SSE event timing (loopback only)"};
  app.add_option("--url", o.url, "http://127.0.0.1:PORT/path to POST to")->required();
  app.add_option("--body", o.body, "JSON request body")->capture_default_str();
  app.add_option("--body-file", o.body_file, "read the request body from this file");
  app.add_option("-H,--header", o.headers, "extra request header 'Name: value' (repeatable)");
  app.add_option("-c,--concurrency", o.concurrency, "connections, each one request at a time")->capture_default_str();
  app.add_option("-n,--requests", o.requests, "measured requests in total (default 1000 when no --duration)");
  app.add_option("-d,--duration", o.duration_s, "seconds to keep sending (first of --requests/--duration wins)");
  app.add_option("--warmup", o.warmup, "unrecorded requests per connection before measuring")->capture_default_str();
  app.add_option("--ramp", o.ramp_s, "seconds over which the connections start, evenly spread");
  app.add_option("--warmup-body", o.warmup_body, "body of the warm-up requests (default: --body)");
  app.add_option("--timeout", o.timeout_s, "seconds allowed per request (connect + response)")->capture_default_str();
  app.add_option("--max-time", o.max_time_s, "hard cap on the whole run in seconds (exit 3 when hit)")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "io threads")->capture_default_str();
  app.add_flag("--json", o.json, "print one JSON object instead of text");
  app.add_option("--label", o.label, "name of this run in the report");
  CLI11_PARSE(app, argc, argv);
  return run(std::move(o));
}
