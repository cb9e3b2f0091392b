#include "http/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace sb::http {
namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_reason() {
  const unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(e);
  return reason ? reason : "error " + std::to_string(e);
}

// Offers http/1.1 to ALPN clients (and nothing else: there is no HTTP/2 here).
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void*) {
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

core::Expected<std::shared_ptr<ssl::context>, std::string> make_server_tls_context(const std::string& cert_file,
                                                                                   const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                  SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1)
    return "TLS: cannot set the cipher list: " + openssl_reason();
  if (SSL_CTX_set_ciphersuites(native, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") !=
      1)
    return "TLS: cannot set the TLS 1.3 suites: " + openssl_reason();
  SSL_CTX_set_alpn_select_cb(native, select_alpn, nullptr);
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1)
    return "--tls-cert " + cert_file + ": cannot load the certificate chain: " + openssl_reason();
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL already compares the key with the certificate while loading it.
    const auto reason = openssl_reason();
    if (reason.find("key values mismatch") != std::string::npos)
      return "--tls-key " + key_file + ": the key does not match the certificate in " + cert_file;
    return "--tls-key " + key_file + ": cannot load the private key: " + reason;
  }
  if (SSL_CTX_check_private_key(native) != 1)
    return "--tls-key " + key_file + ": the key does not match the certificate in " + cert_file;
  return ctx;
}

}  // namespace sb::http
