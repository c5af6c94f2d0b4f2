// SPDX-License-Identifier: Apache-2.0
#include "switchboard/server/tls_certificates.h"

namespace switchboard {

namespace {

std::string besideConfig(const std::string& path, const std::string& config_path) {
    std::size_t slash = config_path.rfind('/');
    if (path.empty() || path.front() == '/' || slash == std::string::npos)
        return path;
    return config_path.substr(0, slash + 1) + path;
}

}  // namespace

Result<std::shared_ptr<const TlsServerContext>>
loadCertificates(const ProxySettings& proxy, const std::string& config_path,
                 const TlsServerContext* previous, std::vector<std::string>& warnings) {
    if (proxy.certificates.empty())
        return std::shared_ptr<const TlsServerContext>();
    std::vector<CertificateFiles> files;
    for (const auto& certificate : proxy.certificates)
        files.push_back({besideConfig(certificate.cert, config_path),
                         besideConfig(certificate.key, config_path)});
    auto loaded = TlsServerContext::load(files, previous);
    if (!loaded)
        return loaded.error();
    warnings.insert(warnings.end(), loaded->warnings.begin(), loaded->warnings.end());
    return std::move(loaded->context);
}

}  // namespace switchboard
