// TLS for the listener (--tls-cert / --tls-key): TLS 1.2 and 1.3 with forward-secret AEAD ciphers only.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "core/expected.hpp"

namespace sb::http {

// A server context from a PEM certificate chain and a PEM private key. The error is one line naming the file.
core::Expected<std::shared_ptr<boost::asio::ssl::context>, std::string> make_server_tls_context(
    const std::string& cert_file, const std::string& key_file);

// The TLS 1.2 cipher list the server accepts (TLS 1.3 suites are AEAD by definition).
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace sb::http
