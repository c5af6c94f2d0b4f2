// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "switchboard/config/config.h"

namespace switchboard {

struct ConfigEditResult {
    std::string text;      // the new file text
    bool edited_in_place;  // false when it fell back to renderConfig(target)
};

// The write-back of SPEC §6: turns the text of the config file into text that means `target`,
// rewriting only the parts that differ, so that the operator's comments and formatting of
// everything else stay byte for byte.
//
// `original_text` is the file as it is now and `original` what it means; `target` is the new
// configuration. The edited text is parsed again and must mean exactly `target`, services
// compared by name (the parser returns them sorted by name, whatever their order in the file or
// in `target`). When that check fails, or a change is one the editor does not make in place, the
// result is renderConfig(target) with edited_in_place == false. An empty `original_text` (the
// file did not exist) also gives renderConfig(target) and edited_in_place == false: there was
// nothing to keep. When nothing changed the result is `original_text` itself, in place.
//
// What the edit path promises:
//  - a line that holds only a comment is never removed, not even from the table of a removed
//    service or from inside an upstreams array that is rewritten;
//  - a comment at the end of a line stays with its line: it goes only when the line's own key
//    or upstream goes, and it moves with its upstream when the upstreams are re-ordered;
//  - a changed value is replaced where it stands; a missing key is added after the last key of
//    its table (as `key = value`, one more `prefix.key = value` for a table of dotted keys, or
//    `, key = value` inside an inline table); a new service is appended at the end of the file;
//  - an upstreams array written one element per line stays so, in the same indentation, with
//    the same habit for the last comma; any other array is written on one line.
// What falls back to the canonical rendering: upstreams written as [[services.X.upstreams]]
// tables; an array written across lines, not one element per line, that holds comments; a key
// added to a table that only a deeper header implies; keys added to or removed from an inline
// table that holds dotted keys; every key of an inline table removed while one is added (an
// inline `services = { ... }` whose services are all replaced); text that does not parse to
// `original`.
ConfigEditResult editConfigText(std::string_view original_text, const Config& original,
                                const Config& target);

}  // namespace switchboard
