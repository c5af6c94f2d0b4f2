// SPDX-License-Identifier: Apache-2.0
#include "switchboard/net/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace switchboard {

namespace {

// Days before notAfter from which every load warns.
constexpr int kExpiryWarningDays = 14;
// What SSL_CTX_get_tlsext_ticket_keys copies: key name, HMAC secret, AES key.
constexpr int kTicketKeysBytes = 80;

std::string lowerCase(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// An encrypted key would make OpenSSL ask for its passphrase on the terminal: a daemon has
// none, so the key fails to load (and says why).
int noPassphrase(char*, int, int, void*) {
    return 0;
}

// ALPN: HTTP/1.1 is all the proxy port speaks. A client offering only others (h2) gets no
// ALPN answer and may go on in HTTP/1.1, as curl does.
int selectAlpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
               unsigned int in_length, void*) {
    static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof kHttp11, in, in_length) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

SslCtxPtr newServerContext() {
    SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
    if (!context)
        return context;
    SSL_CTX* ctx = context.get();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // Renegotiation is off (a client could make the server spend CPU at will); a client that
    // closes without close_notify is an ordinary EOF, as it is for a plain connection.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    // Partial writes and a moving buffer: the socket writes straight from its evbuffer, which
    // may be drained and reallocated between tries. Released buffers: an idle connection
    // holds no 16 KiB read and write buffers.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_default_passwd_cb(ctx, noPassphrase);
    SSL_CTX_set_alpn_select_cb(ctx, selectAlpn, nullptr);
    static const unsigned char kSessionContext[] = "switchboard";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    return context;
}

std::string timeText(const ASN1_TIME* time) {
    std::tm parts{};
    if (ASN1_TIME_to_tm(time, &parts) != 1)
        return "?";
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

std::vector<std::string> dnsNamesOf(X509* certificate) {
    std::vector<std::string> names;
    auto* general_names = static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
    if (!general_names)
        return names;
    for (int i = 0; i < sk_GENERAL_NAME_num(general_names); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(general_names, i);
        if (name->type != GEN_DNS)
            continue;
        const auto* data = ASN1_STRING_get0_data(name->d.dNSName);
        names.push_back(lowerCase(std::string_view(reinterpret_cast<const char*>(data),
                                                   ASN1_STRING_length(name->d.dNSName))));
    }
    GENERAL_NAMES_free(general_names);
    return names;
}

// SPEC §10: an expired or not yet valid certificate is served, and logged at start and reload.
void checkValidity(const std::string& path, X509* certificate, std::vector<std::string>& warnings) {
    const ASN1_TIME* not_before = X509_get0_notBefore(certificate);
    const ASN1_TIME* not_after = X509_get0_notAfter(certificate);
    if (X509_cmp_current_time(not_before) > 0) {
        warnings.push_back("certificate " + path + " is not valid yet (notBefore " +
                           timeText(not_before) + ")");
        return;
    }
    int days = 0;
    int seconds = 0;
    if (ASN1_TIME_diff(&days, &seconds, nullptr, not_after) != 1)
        return;
    if (days < 0 || seconds < 0)
        warnings.push_back("certificate " + path + " has expired (notAfter " + timeText(not_after) +
                           ")");
    else if (days < kExpiryWarningDays)
        warnings.push_back("certificate " + path + " expires in " + std::to_string(days) +
                           (days == 1 ? " day" : " days") + " (notAfter " + timeText(not_after) +
                           ")");
}

// Whether the file can be opened at all: "cannot read: <strerror>" is clearer than what
// OpenSSL makes of a missing file.
std::string unreadable(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "r");
    if (!file)
        return path + ": cannot read: " + std::strerror(errno);
    std::fclose(file);
    return {};
}

}  // namespace

std::string takeOpenSslError(const char* otherwise) {
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0)
        return otherwise;
    if (const char* reason = ERR_reason_error_string(code))
        return reason;
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

bool dnsNameMatches(std::string_view pattern, std::string_view name) {
    if (pattern == name)
        return true;
    if (pattern.size() < 3 || pattern.substr(0, 2) != "*.")
        return false;
    std::size_t dot = name.find('.');
    return dot != std::string_view::npos && dot > 0 && name.substr(dot) == pattern.substr(1);
}

Result<TlsServerContext::Loaded> TlsServerContext::load(const std::vector<CertificateFiles>& files,
                                                        const TlsServerContext* previous) {
    ERR_clear_error();
    std::shared_ptr<TlsServerContext> loaded(new TlsServerContext());
    std::vector<std::string> warnings;
    for (const auto& file : files) {
        for (const auto* path : {&file.cert, &file.key})
            if (auto problem = unreadable(*path); !problem.empty())
                return invalid(problem);
        SslCtxPtr context = newServerContext();
        if (!context)
            return invalid("cannot make a TLS context: " + takeOpenSslError());
        if (SSL_CTX_use_certificate_chain_file(context.get(), file.cert.c_str()) != 1)
            return invalid(file.cert + ": not a usable PEM certificate: " + takeOpenSslError());
        if (SSL_CTX_use_PrivateKey_file(context.get(), file.key.c_str(), SSL_FILETYPE_PEM) != 1) {
            // OpenSSL compares the key with the certificate as it loads it.
            bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
            std::string reason = takeOpenSslError();
            if (mismatch)
                return invalid(file.key + ": does not match the certificate " + file.cert);
            return invalid(file.key + ": not a usable PEM private key: " + reason);
        }
        if (SSL_CTX_check_private_key(context.get()) != 1)
            return invalid(file.key + ": does not match the certificate " + file.cert + ": " +
                           takeOpenSslError());
        X509* leaf = SSL_CTX_get0_certificate(context.get());
        checkValidity(file.cert, leaf, warnings);
        loaded->certificates_.push_back({std::move(context), file.cert, dnsNamesOf(leaf)});
    }
    if (loaded->certificates_.empty())
        return invalid("no certificate");
    // Every connection starts on the first certificate's context: SNI is answered there, and
    // its session cache and ticket keys are the ones resumption uses.
    SSL_CTX* first = loaded->certificates_.front().context.get();
    SSL_CTX_set_tlsext_servername_callback(first, &TlsServerContext::onServerName);
    SSL_CTX_set_tlsext_servername_arg(first, loaded.get());
    if (previous) {
        unsigned char keys[kTicketKeysBytes];
        if (SSL_CTX_get_tlsext_ticket_keys(previous->certificates_.front().context.get(), keys,
                                           sizeof keys) == 1)
            SSL_CTX_set_tlsext_ticket_keys(first, keys, sizeof keys);
        OPENSSL_cleanse(keys, sizeof keys);
    }
    return Loaded{std::move(loaded), std::move(warnings)};
}

TlsServerContext::~TlsServerContext() = default;

SslPtr TlsServerContext::newSession(int fd) const {
    SslPtr session(SSL_new(certificates_.front().context.get()));
    if (session && SSL_set_fd(session.get(), fd) != 1)
        session.reset();
    if (session)
        SSL_set_accept_state(session.get());
    return session;
}

std::size_t TlsServerContext::certificateFor(std::string_view server_name) const {
    std::string name = lowerCase(server_name);
    if (!name.empty() && name.back() == '.')
        name.pop_back();
    for (std::size_t i = 0; i < certificates_.size(); ++i)
        for (const auto& pattern : certificates_[i].dns_names)
            if (dnsNameMatches(pattern, name))
                return i;
    return 0;
}

std::vector<std::string> TlsServerContext::summary() const {
    std::vector<std::string> lines;
    for (const auto& certificate : certificates_) {
        std::string names;
        for (const auto& name : certificate.dns_names)
            names += (names.empty() ? "" : ", ") + name;
        X509* leaf = SSL_CTX_get0_certificate(certificate.context.get());
        lines.push_back(certificate.path + ": " + (names.empty() ? "no DNS names" : names) +
                        "; valid until " + timeText(X509_get0_notAfter(leaf)));
    }
    return lines;
}

int TlsServerContext::onServerName(SSL* ssl, int*, void* self) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name)
        return SSL_TLSEXT_ERR_OK;
    const auto& context = *static_cast<const TlsServerContext*>(self);
    std::size_t index = context.certificateFor(name);
    if (index != 0)
        SSL_set_SSL_CTX(ssl, context.certificates_[index].context.get());
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace switchboard
