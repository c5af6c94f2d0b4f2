// SPDX-License-Identifier: Apache-2.0
#include "switchboard/config/config_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "switchboard/base/log.h"
#include "switchboard/config/atomic_file.h"
#include "switchboard/config/config_edit.h"

namespace switchboard {

namespace {
constexpr const char* kChangedOnDisk = "config file changed on disk; reload first";
}

ConfigFileRead ConfigStore::load(bool missing_is_error) {
    ConfigFileRead read = readConfigFile(path_);
    if (read.missing && missing_is_error) {
        read.parse.config.reset();
        read.parse.errors.push_back({path_, 0, 0, "cannot read: No such file or directory"});
    }
    if (!read.parse.config) {
        last_load_failed_ = true;
        return read;
    }
    known_text_ = read.text;
    known_missing_ = read.missing;
    last_load_failed_ = false;
    return read;
}

Status ConfigStore::checkUnchangedOnDisk() const {
    if (last_load_failed_)
        return conflict(kChangedOnDisk, "the last reload failed");
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
        if (errno == ENOENT && known_missing_)
            return Ok{};
        if (errno == ENOENT) {
            // A vanished directory is a place we cannot write to, not an operator's edit.
            std::string directory = path_.substr(0, path_.find_last_of('/') + 1);
            if (!directory.empty() && ::access(directory.c_str(), F_OK) != 0)
                return ioError("cannot save " + path_ + ": directory " + directory +
                               " does not exist");
            return conflict(kChangedOnDisk, "the file was removed");
        }
        return ioError("cannot read " + path_ + ": " + std::strerror(errno));
    }
    if (known_missing_)
        return conflict(kChangedOnDisk, "the file was created");
    std::ostringstream on_disk;
    on_disk << in.rdbuf();
    if (on_disk.str() != known_text_)
        return conflict(kChangedOnDisk,
                        "its contents differ from what switchboard last loaded or wrote");
    return Ok{};
}

Result<std::string> ConfigStore::previewText(const Config& current, const Config& candidate) const {
    Status unchanged = checkUnchangedOnDisk();
    if (!unchanged)
        return unchanged.error();
    ConfigEditResult edit = editConfigText(known_text_, current, candidate);
    if (!edit.edited_in_place && !known_text_.empty())
        logWarn("could not edit " + path_ +
                " in place; writing it in canonical form (comments are not kept)");
    return std::move(edit.text);
}

Status ConfigStore::write(const Config& current, const Config& candidate) {
    auto text = previewText(current, candidate);
    if (!text)
        return text.error();
    Status written = writeFileAtomically(path_, *text);
    if (!written)
        return written;
    known_text_ = std::move(*text);
    known_missing_ = false;
    return Ok{};
}

void ConfigStore::save(const Config& running, const Config& candidate, const std::string&,
                       Saved saved) {
    saved(write(running, candidate));
}

Result<ConfigPreview> ConfigStore::preview(const Config& running, const Config& candidate) const {
    auto after = previewText(running, candidate);
    if (!after)
        return after.error();
    return ConfigPreview{known_text_, std::move(*after), path_};
}

}  // namespace switchboard
