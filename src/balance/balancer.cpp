// SPDX-License-Identifier: Apache-2.0
#include "switchboard/balance/balancer.h"

#include <algorithm>

#include "switchboard/http/http_parser.h"

namespace switchboard {

bool PickContext::wasTried(const Upstream* upstream) const {
    return tried && std::find(tried->begin(), tried->end(), upstream) != tried->end();
}

std::string_view requestHashValue(std::string_view hash_key, const RequestHead& request) {
    constexpr std::string_view kHeaderPrefix = "header:";
    if (hash_key.substr(0, kHeaderPrefix.size()) != kHeaderPrefix)
        return {};
    const HeaderField* field = request.find(hash_key.substr(kHeaderPrefix.size()));
    return field ? field->value : std::string_view();
}

}  // namespace switchboard
