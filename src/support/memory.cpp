#include "sparsecert/support/memory.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>

namespace sparsecert {

namespace {

// A byte count from a cgroup file: a number, or "max" (no limit) / unreadable (nothing).
std::optional<std::uint64_t> cgroup_limit(const char* path) {
    std::ifstream in(path);
    std::string text;
    if (!(in >> text) || text.empty() || text == "max") return std::nullopt;
    try {
        std::size_t used = 0;
        const unsigned long long value = std::stoull(text, &used);
        if (used != text.size()) return std::nullopt;
        return value;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

std::optional<std::uint64_t> rlimit_bytes(int resource) {
    rlimit limit{};
    if (::getrlimit(resource, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
    return std::uint64_t(limit.rlim_cur);
}

}  // namespace

std::uint64_t usable_memory_bytes() {
    std::optional<std::uint64_t> bytes;
    auto take = [&](std::optional<std::uint64_t> candidate) {
        if (candidate && *candidate > 0) bytes = bytes ? std::min(*bytes, *candidate) : *candidate;
    };
    const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGESIZE);
    if (pages > 0 && page_size > 0) take(std::uint64_t(pages) * std::uint64_t(page_size));
    take(cgroup_limit("/sys/fs/cgroup/memory.max"));
    take(cgroup_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    take(rlimit_bytes(RLIMIT_AS));
    take(rlimit_bytes(RLIMIT_DATA));
    return bytes ? *bytes : std::uint64_t{4} << 30;
}

}  // namespace sparsecert
