// SPDX-License-Identifier: Apache-2.0
// Upstream address parsing (SPEC §2): any text is an address or an error, never a crash; an
// address's canonical text parses back to the same address, and is its own canonical text.
// checkUpstreamAddress, the check the file and the admin API share, agrees with it.
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "switchboard/config/config.h"
#include "switchboard/net/net_address.h"

using namespace switchboard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = parseHostPort(text);
    std::string checked(text);
    auto problem = checkUpstreamAddress(checked);
    FUZZ_CHECK(parsed.ok() == !problem.has_value(), "input", text);
    if (!parsed) {
        FUZZ_CHECK(!parsed.error().message.empty(), "input", text);
        return 0;
    }
    FUZZ_CHECK(parsed->port >= 1, "input", text);
    std::string canonical = parsed->toString();
    FUZZ_CHECK(checked == canonical, "input", text, "checked", checked, "canonical", canonical);
    auto again = parseHostPort(canonical);
    FUZZ_CHECK(again.ok(), "input", text, "canonical", canonical);
    FUZZ_CHECK(*again == *parsed, "input", text, "canonical", canonical, "again",
               again->toString());
    FUZZ_CHECK(again->toString() == canonical, "input", text, "canonical", canonical);
    if (parsed->kind == HostPort::Kind::Hostname)
        FUZZ_CHECK(isValidHostname(parsed->host), "input", text);
    return 0;
}
