// SPDX-License-Identifier: Apache-2.0
#pragma once

// The TLS side of the tests (SPEC §10): certificates made with the real `openssl` command, and
// a blocking TLS client on OpenSSL for what curl and s_client cannot be asked precisely
// (which certificate came, whether a session resumed, a handshake left half done).
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

#include "harness/header_lines.h"
#include "harness/http_client.h"

namespace harness {

// A self-signed ECDSA P-256 certificate for `dns_names` (subjectAltName; the first is also
// the CN), valid from now for `days`, written as
// `<dir>/<file>.crt` and `<dir>/<file>.key`. Fails the current test when openssl fails.
struct CertificatePaths {
    std::string cert;
    std::string key;
};
CertificatePaths makeCertificate(const std::string& dir, const std::string& file,
                                 const std::vector<std::string>& dns_names, int days = 30);

// One TLS connection to 127.0.0.1:port, blocking, each read and write bounded by 10 s.
class TlsClient {
  public:
    // `server_name`: sent as SNI when not empty. `session`: a session to resume (from
    // session() of an earlier connection). The handshake happens here; ok() says if it did.
    explicit TlsClient(int port, const std::string& server_name = "",
                       SSL_SESSION* session = nullptr);
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }
    // The CN of the certificate the server sent.
    std::string peerCommonName() const;
    bool resumed() const;
    std::string alpn() const;
    // The session to resume with later (a reference the caller frees with SSL_SESSION_free).
    // Under TLS 1.3 the ticket comes after the handshake: read a response first.
    SSL_SESSION* session() const;

    // Sends a request and reads one response (Content-Length framed or until close).
    HttpResponse request(const std::string& method, const std::string& target,
                         const HeaderList& headers = {});
    bool send(const std::string& bytes);
    // Reads what comes until `length` bytes are in or the server closes; "" on error.
    std::string receive(std::size_t length);
    // A message head, up to and with its CRLF CRLF; "" when the server closed first.
    std::string receiveHead();

  private:
    int fd_ = -1;
    SSL_CTX* context_ = nullptr;
    SSL* ssl_ = nullptr;
    bool ok_ = false;
    std::string error_;
    std::string buffer_;
};

}  // namespace harness
