// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/base/c_handle.h"
#include "switchboard/base/result.h"

namespace switchboard {

using SslCtxPtr = std::unique_ptr<SSL_CTX, CFree<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, CFree<SSL_free>>;

// One certificate of a TLS listener: PEM files, the leaf first and then its chain, and the
// private key.
struct CertificateFiles {
    std::string cert;
    std::string key;
};

// The certificates of the TLS listeners, loaded (SPEC §10): TLS 1.2 and 1.3, ALPN http/1.1,
// session tickets, and the certificate picked per connection by SNI: the first whose
// subjectAltName DNS names match the requested name (a "*." name covers one label), else the
// first. Immutable once loaded: a reload loads a new one and new connections take it, while
// each open connection keeps (a reference to) the one it was made with. Shared by every
// proxy worker; OpenSSL's SSL_CTX is safe to use from several threads.
class TlsServerContext {
  public:
    struct Loaded {
        std::shared_ptr<const TlsServerContext> context;
        // Certificates past their notAfter, before their notBefore, or close to expiry.
        std::vector<std::string> warnings;
    };

    // Reads every file. An error names the file and says what OpenSSL found wrong with it.
    // With `previous`, the session ticket keys are carried over, so that a client's ticket
    // from before a reload still resumes.
    static Result<Loaded> load(const std::vector<CertificateFiles>& files,
                               const TlsServerContext* previous = nullptr);

    ~TlsServerContext();
    TlsServerContext(const TlsServerContext&) = delete;
    TlsServerContext& operator=(const TlsServerContext&) = delete;

    // A server-side TLS session on `fd`, for one accepted connection. The caller keeps this
    // context alive for as long as the session may still be handshaking (SNI looks it up).
    SslPtr newSession(int fd) const;

    // The certificate SNI picks for `server_name` (0: the first), for the tests.
    std::size_t certificateFor(std::string_view server_name) const;
    // One line per certificate, for --check: "FILE: a.example, *.b.example; valid until ...".
    std::vector<std::string> summary() const;

  private:
    struct Certificate {
        SslCtxPtr context;
        std::string path;
        std::vector<std::string> dns_names;  // lower case, from subjectAltName
    };
    TlsServerContext() = default;
    static int onServerName(SSL* ssl, int* alert, void* self);

    std::vector<Certificate> certificates_;
};

// Whether `name` is covered by a subjectAltName DNS entry `pattern` (both lower case): equal,
// or `pattern` is "*.rest" and `name` is one label followed by ".rest".
bool dnsNameMatches(std::string_view pattern, std::string_view name);

// The reason of the most recent OpenSSL error of this thread ("no start line"), and the queue
// emptied; `otherwise` when there is none.
std::string takeOpenSslError(const char* otherwise = "unknown error");

}  // namespace switchboard
