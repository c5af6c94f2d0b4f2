// SPDX-License-Identifier: Apache-2.0
#include "switchboard/balance/consistent_hash.h"

#include <algorithm>
#include <cmath>

namespace switchboard {

namespace {

std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

}  // namespace

std::uint64_t hashKey(std::string_view bytes) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
    for (unsigned char byte : bytes) {
        hash ^= byte;
        hash *= 0x100000001b3ULL;  // FNV-1a 64 prime
    }
    return mix64(hash);
}

bool ConsistentHashBalancer::builtFor(const UpstreamList& upstreams) const {
    if (members_.size() != upstreams.size())
        return false;
    for (std::size_t i = 0; i < upstreams.size(); ++i) {
        const auto& member = members_[i];
        if (member.upstream.owner_before(upstreams[i]) ||
            upstreams[i].owner_before(member.upstream) || member.weight != upstreams[i]->weight())
            return false;
    }
    return true;
}

void ConsistentHashBalancer::build(const UpstreamList& upstreams) {
    ++builds_;
    ring_.clear();
    members_.clear();
    std::int64_t total_weight = 0;
    for (const auto& upstream : upstreams) {
        members_.push_back({upstream, upstream->weight()});
        total_weight += upstream->weight();
    }
    double scale = 1.0;
    if (total_weight * kPointsPerWeight > kMaxRingPoints)
        scale = static_cast<double>(kMaxRingPoints) /
                static_cast<double>(total_weight * kPointsPerWeight);
    for (std::size_t index = 0; index < upstreams.size(); ++index) {
        const auto& upstream = upstreams[index];
        auto points = std::max<std::int64_t>(
            1, std::llround(static_cast<double>(upstream->weight() * kPointsPerWeight) * scale));
        // Point i of an upstream depends on its address and i only: the same address gets
        // the same points in every ring it is part of.
        std::uint64_t base = hashKey(upstream->name());
        for (std::int64_t i = 1; i <= points; ++i)
            ring_.push_back({mix64(base + static_cast<std::uint64_t>(i) * kGoldenGamma),
                             static_cast<std::uint32_t>(index)});
    }
    std::sort(ring_.begin(), ring_.end(), [](const Point& a, const Point& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.index < b.index;
    });
}

std::shared_ptr<Upstream> ConsistentHashBalancer::pick(const UpstreamList& upstreams,
                                                       const PickContext& context) {
    if (!builtFor(upstreams))
        build(upstreams);
    // Without any candidate, the walk below would go round the whole ring for nothing.
    if (std::none_of(upstreams.begin(), upstreams.end(),
                     [&](const auto& upstream) { return context.isCandidate(*upstream); }))
        return nullptr;

    std::string_view key = context.hash_value.empty() ? context.client_ip : context.hash_value;
    std::uint64_t hash = hashKey(key);
    auto start = std::lower_bound(
                     ring_.begin(), ring_.end(), hash,
                     [](const Point& point, std::uint64_t value) { return point.hash < value; }) -
                 ring_.begin();
    for (std::size_t step = 0; step < ring_.size(); ++step) {
        const auto& point = ring_[(static_cast<std::size_t>(start) + step) % ring_.size()];
        const auto& upstream = upstreams[point.index];
        if (context.isCandidate(*upstream))
            return upstream;
    }
    return nullptr;  // unreachable: some candidate owns at least one point
}

}  // namespace switchboard
