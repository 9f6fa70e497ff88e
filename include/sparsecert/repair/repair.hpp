// Repair: the fewest connections to add to a pattern so that a sufficient theorem of the registry
// (docs/theory.md sections 2 and 5) applies, with a lower bound beside the count, the repaired pattern
// re-verified, and the trade-off between added connections and the mixing depth s.
//
// Each hypothesis of the theorem is repaired in the theorem's order, each by the procedure of
// docs/repair.md: self-attention by its missing pairs (exact), a Hamiltonian path of the union
// graph by path completion (path_completion.hpp), full mixing by strong connectivity
// (strong_connectivity.hpp), BigBird's star by the cheapest hub. A connection "token k attends to
// token j in pattern l" is one entry j added to A_k^l.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sparsecert/certify/verify.hpp"
#include "sparsecert/pattern/pattern.hpp"

namespace sparsecert {

struct RepairOptions {
    std::string theorem = "yun2020";     // a sufficient theorem of the registry with a repair procedure
    // Only connections j in A_k with j <= k may be added (a causal mask stays causal).
    bool keep_causal = false;
    // At most this many connections added to any one attended set A_k^l (empty: no limit).
    std::optional<std::uint64_t> budget;
    token_t exact_max_n = 18;            // the exact subset search for the path runs up to this n
    VerifyOptions verify;                // for verifying the original and the repaired pattern
};

// One added connection: token `token` attends to `attends` in pattern `pattern`.
struct AddedConnection {
    std::size_t pattern = 0;
    token_t token = 0, attends = 0;
    std::string check;                   // the hypothesis it repairs
    friend auto operator<=>(const AddedConnection& a, const AddedConnection& b) {
        return std::tie(a.pattern, a.token, a.attends) <=> std::tie(b.pattern, b.token, b.attends);
    }
    friend bool operator==(const AddedConnection& a, const AddedConnection& b) {
        return std::tie(a.pattern, a.token, a.attends) == std::tie(b.pattern, b.token, b.attends);
    }
};

// One hypothesis of the theorem and what its repair added.
struct HypothesisRepair {
    std::string check, text;             // as in theorems/*.json
    std::optional<bool> held;            // on the original pattern
    std::uint64_t added = 0;
    std::uint64_t lower_bound = 0;       // no repair of this hypothesis alone adds fewer
    bool exact = false;                  // added == the minimum for this hypothesis (given the steps before)
    std::string method;                  // how the connections were chosen
    std::string bound;                   // what proves lower_bound
};

// One row of the trade-off between the connections added for full mixing and the mixing depth.
struct MixingOption {
    std::string strategy;
    std::uint64_t added = 0;             // connections on top of the self-attention and path steps
    std::optional<std::uint64_t> s;      // the exact s of the result (check_reachability)
    bool fits = true;                    // within --keep-causal and the budget
    std::string note;
    std::optional<std::uint64_t> s_lower, s_upper;  // when only bounds on s were proven in the budget
};

enum class RepairStatus {
    already_holds,   // the theorem applies to the pattern as it is
    repaired,        // `repaired` satisfies the theorem (re-verified: `verified`)
    impossible,      // no repair exists under the constraints (`reason` says why; a proof)
    not_found,       // the constructions do not fit the constraints; no proof that none exists
};

struct RepairResult {
    std::string theorem, citation;
    RepairStatus status = RepairStatus::repaired;
    std::string reason;                  // impossible / not_found: one line
    std::vector<HypothesisRepair> steps; // one per hypothesis, in the theorem's order
    std::vector<AddedConnection> added;  // sorted by (pattern, token, attends)
    std::uint64_t lower_bound = 0;       // every repair under the constraints adds at least this many
    bool exact = false;                  // added.size() is the minimum
    std::string bound;                   // how the lower bound and exactness follow
    std::vector<MixingOption> mixing;    // when full mixing was repaired
    std::optional<Pattern> repaired;
    std::optional<VerifyResult> verified;  // verify(repaired)
    std::vector<token_t> path;           // the Hamiltonian path built for the repaired pattern (yun2020)
    // BigBird's star: a new extra token (the hub) appended to the pattern as this token, n.
    std::optional<token_t> extra_token_added;
};

// The theorems repair() knows how to satisfy (the ids of the registry).
std::vector<std::string> repairable_theorems();

// Repairs `pattern` toward options.theorem. `original` is verify(pattern, options.verify) (taken
// as given, so a caller that has it does not verify twice). Throws std::invalid_argument for a
// theorem that is not registered or cannot be repaired.
RepairResult repair(const Pattern& pattern, const VerifyResult& original, const RepairOptions& options = {});

// The pattern with the connections added (each pattern's rows merged, CSR rebuilt).
Pattern with_connections(const Pattern& pattern, const std::vector<AddedConnection>& added);

std::string status_name(RepairStatus status);

// The text of `sparsecert repair` for one theorem: the steps with their counts and bounds, the
// first `max_listed` added connections, the trade-off table and the repaired pattern's verdict.
std::string describe(const RepairResult& result, std::size_t max_listed = 20);

// The JSON of `sparsecert repair --json` (keys in docs/repair.md).
nlohmann::json to_json(const RepairResult& result);

}  // namespace sparsecert
