#include "switchboard/balance/balancer.h"

#include <algorithm>

#include "switchboard/balance/consistent_hash.h"
#include "switchboard/balance/least_conn.h"
#include "switchboard/balance/random.h"
#include "switchboard/balance/round_robin.h"
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

std::unique_ptr<Balancer> makeBalancer(std::string_view strategy) {
    if (strategy == "least_conn")
        return std::make_unique<LeastConnBalancer>();
    if (strategy == "random")
        return std::make_unique<RandomBalancer>();
    if (strategy == "consistent_hash")
        return std::make_unique<ConsistentHashBalancer>();
    return std::make_unique<RoundRobinBalancer>();
}

} // namespace switchboard
