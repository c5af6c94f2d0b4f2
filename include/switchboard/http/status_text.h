// SPDX-License-Identifier: Apache-2.0
#pragma once

namespace switchboard {

// The standard reason phrase for a status code ("Bad Gateway"); "" for a code it does not know.
const char* reasonPhrase(int status);

}  // namespace switchboard
