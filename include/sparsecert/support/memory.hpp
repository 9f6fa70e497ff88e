// How much memory this process may use: the default for the size limits (docs/reliability.md,
// "Size limits").
#pragma once

#include <cstdint>

namespace sparsecert {

// The smallest of the machine's physical memory, the cgroup's memory limit (v2 memory.max or v1
// memory.limit_in_bytes) and the address-space and data-segment rlimits. Read afresh on each call;
// falls back to 4 GiB when none of them can be read.
std::uint64_t usable_memory_bytes();

}  // namespace sparsecert
