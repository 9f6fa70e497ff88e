// Predict before you build: the number of connections of every family (families.hpp), computed by
// arithmetic from its parameters in O(1) or O(number of parameters), and the limit that a pattern
// must stay under before anything is materialized (docs/reliability.md, "Size limits").
//
// Each prediction takes the parameters of the family of the same name, with the same preconditions
// (it throws std::invalid_argument where the family does), and is exact unless it says "at most".
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sparsecert/pattern/families.hpp"
#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

namespace predict {

std::uint64_t dense(token_t n);
std::uint64_t sliding_window(token_t n, token_t left, token_t right);
std::uint64_t dilated_window(token_t n, token_t left, token_t right, token_t dilation);
// The local and the strided layer.
std::array<std::uint64_t, 2> strided(token_t n, token_t c);
// The block and the summary layer.
std::array<std::uint64_t, 2> fixed(token_t n, token_t l, token_t c);
std::uint64_t star(token_t n, token_t relay, bool ring);
std::uint64_t global_tokens(token_t n, const std::vector<token_t>& global, bool self_attention);
std::uint64_t longformer(token_t n, token_t left, token_t right, const std::vector<token_t>& global);
std::uint64_t bigbird(token_t n, token_t b, token_t r);
std::uint64_t random(token_t n, token_t r, bool self_attention);
std::uint64_t block_sparse(token_t n, token_t b, const std::vector<std::vector<std::uint8_t>>& layout);
std::uint64_t block_sparse(token_t n, token_t b, token_t nb, const std::vector<families::BlockPair>& pairs);

}  // namespace predict

// Memory a connection costs at the peak of verify-pattern, measured on an unstructured (random)
// pattern: CSR targets, the union graph, its transpose and the search's working sets.
inline constexpr std::uint64_t bytes_per_connection = 40;

// The default limit: what fits in this process's memory (usable_memory_bytes()) at
// bytes_per_connection. Read afresh on each call.
std::uint64_t default_max_connections();

// "1234" below a million, "1000002999998 (about 1.0e12)" above.
std::string connection_count_text(std::uint64_t count);

// Bounds on what loading a pattern may build.
struct LoadLimits {
    // Connections over all layers (a union counts its parts); --max-connections in the tools.
    std::uint64_t max_connections = default_max_connections();
};

// Keeps a running total of the connections a pattern will have, and refuses the part that takes it
// over the limit before that part is built. Readers and importers charge every layer (or every
// part they materialize) with its predicted size; the error is one line for the tools:
//   FILE: PLACE: WHAT gives N connections[, M in total]; the limit is L (--max-connections)
class ConnectionBudget {
public:
    ConnectionBudget(std::string file, std::uint64_t limit) : file_(std::move(file)), limit_(limit) {}

    // Adds `connections` to the total; throws InputError(file, place, ...) when the total exceeds
    // the limit. `what` describes the part with its parameters, e.g. "stride 1 at n = 1000000".
    void charge(std::uint64_t connections, const std::string& place, const std::string& what);

    std::uint64_t total() const noexcept { return total_; }
    std::uint64_t limit() const noexcept { return limit_; }

private:
    std::string file_;
    std::uint64_t limit_;
    std::uint64_t total_ = 0;
};

}  // namespace sparsecert
