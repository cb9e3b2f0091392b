// Native TLS on the listener, with a self-signed certificate made by the test and a client that verifies it.
#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>

#include "harness.hpp"

namespace sb::test {
namespace {
namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;

struct CertFiles {
  fs::path dir, cert, key;
};

// A fresh self-signed certificate for localhost / 127.0.0.1 (openssl CLI), in a temp directory.
CertFiles make_cert(const std::string& tag, const std::string& key_type = "ec") {
  CertFiles f;
  f.dir = fs::temp_directory_path() / ("sb-tls-" + tag + "-" + std::to_string(::getpid()));
  fs::create_directories(f.dir);
  f.cert = f.dir / "cert.pem";
  f.key = f.dir / "key.pem";
  std::vector<std::string> cmd{"openssl", "req", "-x509", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                               "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                               "-keyout", f.key.string(), "-out", f.cert.string()};
  if (key_type == "ec") {
    for (const char* a : {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"}) cmd.emplace_back(a);
  } else {
    for (const char* a : {"-newkey", "rsa:2048"}) cmd.emplace_back(a);
  }
  auto [rc, out] = run_command(cmd);
  if (rc != 0) throw std::runtime_error("openssl req failed: " + out);
  return f;
}

struct ClientOptions {
  explicit ClientOptions(fs::path ca_file, int max = 0, std::string cipher_list = {})
      : ca(std::move(ca_file)), max_version(max), ciphers(std::move(cipher_list)) {}
  fs::path ca;
  int max_version = 0;  // e.g. TLS1_2_VERSION
  std::string ciphers;  // TLS 1.2 cipher list, empty = default
};

// One HTTPS connection that verifies the server against `ca` and the name "localhost".
class TlsClient {
 public:
  // The context is configured before the stream exists: SSL_new copies its settings.
  TlsClient(unsigned short port, const ClientOptions& o) : ctx_(make_context(o)), s_(io_, ctx_) {
    s_.set_verify_callback(ssl::host_name_verification("localhost"));
    SSL_set_tlsext_host_name(s_.native_handle(), "localhost");
    beast::get_lowest_layer(s_).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(s_).connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  beast::error_code handshake() {
    beast::error_code ec;
    s_.handshake(ssl::stream_base::client, ec);
    return ec;
  }
  std::string version() { return SSL_get_version(s_.native_handle()); }
  static ssl::context make_context(const ClientOptions& o) {
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.load_verify_file(o.ca.string());
    if (o.max_version) SSL_CTX_set_max_proto_version(ctx.native_handle(), o.max_version);
    if (!o.ciphers.empty()) SSL_CTX_set_cipher_list(ctx.native_handle(), o.ciphers.c_str());
    return ctx;
  }
  bhttp::response<bhttp::string_body> request(const std::string& method, const std::string& target,
                                              const std::string& body = {}) {
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
    req.set(bhttp::field::host, "localhost");
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    beast::get_lowest_layer(s_).expires_after(std::chrono::seconds(10));
    bhttp::write(s_, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(s_, buf_, res);
    return res;
  }

 private:
  net::io_context io_;
  ssl::context ctx_;
  beast::ssl_stream<beast::tcp_stream> s_;
  beast::flat_buffer buf_;
};

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = make_cert("server");
    proxy_ = start_switchboard({{"MOCK_INTERVAL_MS", "0"}},
                               {"--tls-cert", cert_.cert.string(), "--tls-key", cert_.key.string()});
  }
  void TearDown() override { fs::remove_all(cert_.dir); }
  unsigned short port() const { return proxy_->port(); }
  CertFiles cert_;
  std::unique_ptr<Process> proxy_;
};

TEST_F(Tls, VerifiedClientIsServedWithKeepAliveAndStreams) {
  EXPECT_NE(proxy_->output().find("listening on https://"), std::string::npos) << proxy_->output();
  TlsClient c(port(), ClientOptions(cert_.cert));
  ASSERT_FALSE(c.handshake());
  EXPECT_TRUE(c.version() == "TLSv1.3" || c.version() == "TLSv1.2") << c.version();
  auto r = c.request("GET", "/healthz");
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), R"({"status":"ok"})");
  r = c.request("POST", "/v1/chat/completions", chat_body({}, true));  // same connection
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_NE(r.body().find("data: [DONE]"), std::string::npos);
  r = c.request("POST", "/v1/chat/completions", chat_body());
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(parse_obj(r.body()).at("object").as_string(), "chat.completion");
}

TEST_F(Tls, ClientVerifyingAnotherCaRefusesTheServer) {
  const auto other = make_cert("other");
  TlsClient c(port(), ClientOptions(other.cert));
  EXPECT_TRUE(c.handshake()) << "verification must fail against an unrelated certificate";
  fs::remove_all(other.dir);
}

TEST_F(Tls, OnlyModernProtocolsAndAeadCiphers) {
  {
    TlsClient c(port(), ClientOptions(cert_.cert, TLS1_1_VERSION));
    EXPECT_TRUE(c.handshake()) << "TLS 1.1 is refused";
  }
  for (const char* weak : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "AES128-GCM-SHA256"}) {
    TlsClient c(port(), ClientOptions(cert_.cert, TLS1_2_VERSION, weak));
    EXPECT_TRUE(c.handshake()) << weak << " (CBC or no forward secrecy) is refused";
  }
  for (const char* good : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
    TlsClient c(port(), ClientOptions(cert_.cert, TLS1_2_VERSION, good));
    EXPECT_FALSE(c.handshake()) << good;
    EXPECT_EQ(c.version(), "TLSv1.2");
    EXPECT_EQ(c.request("GET", "/healthz").result_int(), 200);
  }
}

TEST_F(Tls, PlainHttpAndGarbageOnTheTlsPortAreDroppedOthersServed) {
  const auto plain = raw_exchange(port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds(5));
  EXPECT_EQ(plain.find("200"), std::string::npos);
  raw_exchange(port(), std::string(5000, '\x16'), std::chrono::seconds(5));
  TlsClient c(port(), ClientOptions(cert_.cert));
  ASSERT_FALSE(c.handshake());
  EXPECT_EQ(c.request("GET", "/healthz").result_int(), 200);
}

TEST(TlsConfig, BadFilesAreStartupErrors) {
  const auto cert = make_cert("cfg");
  auto [rc, out] = run_command({SWITCHBOARD_BIN, "--env-file", "/dev/null", "--tls-cert", cert.cert.string()});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("--tls-key"), std::string::npos) << out;
  std::tie(rc, out) = run_command({SWITCHBOARD_BIN, "--env-file", "/dev/null", "--tls-cert", cert.cert.string(),
                                   "--tls-key", (cert.dir / "missing.pem").string()});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("missing.pem"), std::string::npos) << out;
  const auto other = make_cert("cfg2");
  std::tie(rc, out) = run_command({SWITCHBOARD_BIN, "--env-file", "/dev/null", "--tls-cert", cert.cert.string(),
                                   "--tls-key", other.key.string()});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("does not match"), std::string::npos) << out;
  // The environment works too.
  std::tie(rc, out) = run_command({SWITCHBOARD_BIN, "--env-file", "/dev/null"},
                                  {{"TLS_CERT_FILE", cert.cert.string()}});
  EXPECT_EQ(rc, 2);
  EXPECT_NE(out.find("TLS_KEY_FILE"), std::string::npos) << out;
  fs::remove_all(cert.dir);
  fs::remove_all(other.dir);
}

}  // namespace
}  // namespace sb::test
