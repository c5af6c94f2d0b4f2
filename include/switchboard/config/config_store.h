// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "switchboard/base/result.h"
#include "switchboard/config/config.h"
#include "switchboard/config/config_file.h"
#include "switchboard/config/service_source.h"

namespace switchboard {

// The config file as switchboard shares it with the operator (SPEC §6): it remembers the
// bytes it last loaded or wrote, writes changes back by editing only what changed, and
// refuses to write over an edit the operator made since (409). Without a cluster it is where
// the services are kept (SPEC §6); with one it still holds [proxy], [admin] and [cluster].
class ConfigStore final : public ServiceSource {
  public:
    explicit ConfigStore(std::string path) : path_(std::move(path)) {}

    const std::string& path() const { return path_; }

    // ServiceSource: the file keeps the change at once.
    void save(const Config& running, const Config& candidate, const std::string& service,
              Saved saved) override;
    Result<ConfigPreview> preview(const Config& running, const Config& candidate) const override;

    // Reads and validates the file. A valid (or missing) file becomes the known state and
    // clears a refusal left by an earlier failed load; an invalid one leaves the known
    // state alone but refuses changes until a load succeeds.
    // `missing_is_error`: at start-up a missing file means the built-in defaults (SPEC §1);
    // on reload it is an error, so deleting the file never wipes the running services.
    ConfigFileRead load(bool missing_is_error = false);

    // The text the file would hold after changing `current` into `candidate`, without
    // writing anything. Conflict when the file changed on disk since it was last loaded
    // or written, or when the last reload failed.
    Result<std::string> previewText(const Config& current, const Config& candidate) const;

    // previewText(), then the atomic write. On any error nothing on disk has changed.
    Status write(const Config& current, const Config& candidate);

    // The text last loaded or written ("" for a missing file).
    const std::string& knownText() const { return known_text_; }

  private:
    Status checkUnchangedOnDisk() const;

    std::string path_;
    std::string known_text_;
    bool known_missing_ = true;
    bool last_load_failed_ = false;
};

}  // namespace switchboard
