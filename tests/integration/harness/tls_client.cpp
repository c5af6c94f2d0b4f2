// SPDX-License-Identifier: Apache-2.0
#include "harness/tls_client.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "harness/switchboard_process.h"

namespace harness {

CertificatePaths makeCertificate(const std::string& dir, const std::string& file,
                                 const std::vector<std::string>& dns_names, int days) {
    CertificatePaths paths{dir + "/" + file + ".crt", dir + "/" + file + ".key"};
    std::string names;
    for (const auto& name : dns_names)
        names += (names.empty() ? "DNS:" : ",DNS:") + name;
    std::vector<std::string> command = {"openssl",
                                        "req",
                                        "-x509",
                                        "-newkey",
                                        "ec",
                                        "-pkeyopt",
                                        "ec_paramgen_curve:P-256",
                                        "-nodes",
                                        "-keyout",
                                        paths.key,
                                        "-out",
                                        paths.cert,
                                        "-subj",
                                        "/CN=" + dns_names.front(),
                                        "-addext",
                                        "subjectAltName=" + names};
    command.insert(command.end(), {"-days", std::to_string(days)});
    CommandResult made = runCommand(command);
    EXPECT_EQ(made.status, 0) << made.err;
    return paths;
}

namespace {

int connectTo(int port) {
    bool connected = false;
    int fd = connectLoopback(port, connected);
    if (!connected) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    timeval limit{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    return fd;
}

}  // namespace

TlsClient::TlsClient(int port, const std::string& server_name, SSL_SESSION* session) {
    fd_ = connectTo(port);
    if (fd_ < 0) {
        error_ = "connect failed";
        return;
    }
    context_ = SSL_CTX_new(TLS_client_method());
    // Certificates are checked by the tests themselves (which CN came); curl checks chains.
    SSL_CTX_set_verify(context_, SSL_VERIFY_NONE, nullptr);
    // No client session cache: freeing the context would flush it, and OpenSSL marks every
    // session it flushes not resumable, the one the test keeps too.
    SSL_CTX_set_session_cache_mode(context_, SSL_SESS_CACHE_OFF);
    static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(context_, kAlpn, sizeof kAlpn);
    ssl_ = SSL_new(context_);
    SSL_set_fd(ssl_, fd_);
    if (!server_name.empty())
        SSL_set_tlsext_host_name(ssl_, server_name.c_str());
    if (session)
        SSL_set_session(ssl_, session);
    ERR_clear_error();
    if (SSL_connect(ssl_) != 1) {
        char text[256] = "handshake failed";
        if (unsigned long code = ERR_get_error())
            ERR_error_string_n(code, text, sizeof text);
        error_ = text;
        return;
    }
    ok_ = true;
}

TlsClient::~TlsClient() {
    // A session freed without close_notify is marked not resumable: say goodbye properly.
    if (ok_)
        SSL_shutdown(ssl_);
    if (ssl_)
        SSL_free(ssl_);
    if (context_)
        SSL_CTX_free(context_);
    if (fd_ >= 0)
        ::close(fd_);
}

std::string TlsClient::peerCommonName() const {
    if (!ok_)
        return "";
    X509* peer = SSL_get1_peer_certificate(ssl_);
    if (!peer)
        return "";
    char name[256] = "";
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
    X509_free(peer);
    return name;
}

bool TlsClient::resumed() const {
    return ok_ && SSL_session_reused(ssl_) == 1;
}

std::string TlsClient::alpn() const {
    const unsigned char* data = nullptr;
    unsigned int length = 0;
    if (ok_)
        SSL_get0_alpn_selected(ssl_, &data, &length);
    return data ? std::string(reinterpret_cast<const char*>(data), length) : "";
}

SSL_SESSION* TlsClient::session() const {
    return ok_ ? SSL_get1_session(ssl_) : nullptr;
}

bool TlsClient::send(const std::string& bytes) {
    if (!ok_)
        return false;
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        int n = SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
        if (n <= 0)
            return false;
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

std::string TlsClient::receive(std::size_t length) {
    while (ok_ && buffer_.size() < length) {
        char chunk[16384];
        int n = SSL_read(ssl_, chunk, sizeof chunk);
        if (n <= 0)
            break;
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    std::string out = buffer_.substr(0, std::min(length, buffer_.size()));
    buffer_.erase(0, out.size());
    return out;
}

std::string TlsClient::receiveHead() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        char chunk[16384];
        int n = ok_ ? SSL_read(ssl_, chunk, sizeof chunk) : 0;
        if (n <= 0)
            return "";
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    std::string head = buffer_.substr(0, end + 4);
    buffer_.erase(0, end + 4);
    return head;
}

HttpResponse TlsClient::request(const std::string& method, const std::string& target,
                                const HeaderList& headers) {
    HttpResponse response;
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n";
    for (const auto& [name, value] : headers)
        text += name + ": " + value + "\r\n";
    text += "\r\n";
    if (!send(text)) {
        response.error = "send failed: " + error_;
        return response;
    }
    std::string head = receiveHead();
    if (head.empty()) {
        response.error = "connection closed before a response head";
        return response;
    }
    head.resize(head.size() - 4);
    if (head.size() >= 12)
        response.status = std::atoi(head.c_str() + 9);
    response.headers = parseHeaderLines(head, head.find("\r\n") + 2);
    std::string length_text = response.header("Content-Length");
    std::size_t length = length_text.empty() ? SIZE_MAX : std::stoull(length_text);
    if (method == "HEAD" || response.status == 204 || response.status == 304)
        length = 0;
    response.body = receive(length);
    return response;
}

}  // namespace harness
