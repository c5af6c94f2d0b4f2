// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "switchboard/base/result.h"
#include "switchboard/config/config.h"
#include "switchboard/net/tls_context.h"

namespace switchboard {

// The `[[proxy.certificates]]` of a configuration, read from their files (SPEC §10): null
// when there are none. A relative path is taken from the directory of `config_path`, not
// from wherever the daemon was started (systemd starts it in /). Read at start, by --check
// and on every reload, even one whose config text did not change, so that renewed files are
// picked up. With `previous`, the ticket keys carry over. Warnings (expiry) are appended to
// `warnings`.
Result<std::shared_ptr<const TlsServerContext>>
loadCertificates(const ProxySettings& proxy, const std::string& config_path,
                 const TlsServerContext* previous, std::vector<std::string>& warnings);

}  // namespace switchboard
