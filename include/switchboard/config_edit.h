#pragma once

#include <string>
#include <string_view>

#include "switchboard/config.h"

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
// configuration. The edited text is re-parsed and must mean exactly `target` (services compared
// by name: the parser returns them sorted by name whatever the order in the file or in
// `target`). When that check fails, or the change is one the editor does not make in place, the
// result is renderConfig(target) with edited_in_place == false. An empty `original_text` (the
// file did not exist) also gives renderConfig(target) and edited_in_place == false: there was
// nothing to keep. Nothing changed gives `original_text` itself, edited_in_place == true.
//
// What the edit path promises:
//  - a line that holds only a comment is never removed, not even from the table of a service
//    that is removed or from inside an upstreams array that is rewritten;
//  - a comment at the end of a line stays with its line: it goes only when the line's own
//    value goes (an upstream removed from a one-per-line array, a removed service's keys);
//  - a changed value is replaced where it stands; a missing key is added after the last key of
//    its table; a new service is appended at the end of the file; an upstreams array written
//    one element per line stays that way, keeping the lines of the upstreams that stay.
// What falls back to the canonical rendering: upstreams written as [[...]] tables; re-ordering
// the upstreams of an array that holds comments but is not written one per line; adding keys
// to a table written only through dotted keys or implied by a deeper header; removing a key
// from inside an inline table; and text that does not parse to `original`.
ConfigEditResult editConfigText(std::string_view original_text, const Config& original,
                                const Config& target);

}  // namespace switchboard
