// SPDX-License-Identifier: Apache-2.0
// The config loader and validator (SPEC §2): any text gives a Config or errors, never a crash;
// every error has a message; a Config renders to TOML that parses back to the same Config.
#include <string_view>

#include "fuzz_util.h"
#include "switchboard/config/config_file.h"

using namespace switchboard;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    ConfigParse parse = parseConfigText(text, "fuzz.toml");
    FUZZ_CHECK(parse.config.has_value() == parse.errors.empty(), "input", text);
    for (const auto& error : parse.errors)
        FUZZ_CHECK(!error.message.empty(), "input", text);
    if (!parse.config)
        return 0;

    std::string rendered = renderConfig(*parse.config);
    ConfigParse again = parseConfigText(rendered, "rendered.toml");
    std::string errors;
    for (const auto& error : again.errors)
        errors += error.toString() + "\n";
    FUZZ_CHECK(again.config.has_value(), "input", text, "rendered", rendered, "errors", errors);
    FUZZ_CHECK(*again.config == *parse.config, "input", text, "rendered", rendered,
               "rendered again", renderConfig(*again.config));
    // Rendering is canonical: the same Config always gives the same text.
    FUZZ_CHECK(renderConfig(*again.config) == rendered, "input", text, "rendered", rendered);
    return 0;
}
