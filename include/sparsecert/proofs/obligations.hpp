// SMT proof obligations for the construction of Yun et al. 2020 (docs/theory.md section 4, Step 2):
// each key step of the network g_bar, stated for every real input (or every integer grid code)
// instead of the grid points `construct` checks, and written as one SMT-LIB 2 file that asserts
// the *negation* of the claim: "unsat" proves the claim, a model is an input that breaks it.
//
// The network's behaviour in every file is generated from the weights of the Network object
// (embedding, w1, b1, phi, w2, the heads' query, bias, key, value, out, and each attention layer's
// pattern), so a wrong constant in the construction shows up as "sat". The claims are the
// theory's: the grid cells 1 + j/m, the offsets along the path (gamma(1) gets n, gamma(i+1) gets
// i), u = (1, m, ..., m^{d-1}), the shift multiplier delta^{-d}, and the construction's stated
// sentinel S and code interval [t_l, t_r] (docs/construction.md, "Constants").
//
// The obligations (docs/prove.md has the encoding of each and how they chain into a proof):
//   quantization/layer-L       one per quantization layer: every real entry of its cell goes to the
//                              cell's grid value (the sentinel layer: every real entry outside
//                              [1, n + 1) goes to S), every other entry and row is left alone;
//   quantization/token-k       the embedding and all quantization layers together, per token:
//                              every real entry of x + o_k lands on its grid value or on S;
//   shift/layer-L              one per selective-shift layer: on every state the sweep reaches for
//                              a valid input (integer grid codes; the tokens before gamma(i) already
//                              shifted as the construction proves), exactly the column whose id is
//                              the layer's value v changes, by delta^{-d} (max - min) in row 0,
//                              with max the id of the previous path token and min its own id;
//   shift/layer-L/monotone     the same layer never decreases an id, on every real state;
//   sweep/injective            two different grid inputs never give the same final id (the path
//                              code is injective over the integer grid codes);
//   all-max/within-input, all-max/across-inputs, all-max/interval: the separation of the all-max
//                              stage: codes pairwise distinct within an input and across inputs,
//                              and inside [t_l, t_r];
//   all-max/sentinel           states whose ids are all >= 1 and one >= S (inputs carrying the
//                              sentinel) get codes >= t_r + delta/2, outside [t_l, t_r];
//   relu/phi-i                 one per distinct phi of the network: its four-ReLU form, built by
//                              relu_form (relu_form.hpp, the function the real network g uses),
//                              equals phi outside its ramps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sparsecert/construction/construction.hpp"
#include "sparsecert/pattern/pattern.hpp"
#include "sparsecert/construction/rational.hpp"

namespace sparsecert {

// How to show one model value as part of the input that breaks a claim: label = scale * value.
struct ShownValue {
    std::string variable;  // the SMT constant
    std::string label;     // e.g. "X[0][2]" (the input) or "out[0]" (what the layer produced)
    Rational scale = 1;    // e.g. 1/m for a grid code g (the entry is g/m)
};

struct Obligation {
    std::string name;                // e.g. "quantization/layer-3"; unique
    std::string claim;               // one line, the claim the file proves when unsat
    std::string logic;               // QF_LRA or QF_LIRA
    std::string smt2;                // the file's text (deterministic)
    std::vector<ShownValue> shown;   // a model, shown as the input that breaks the claim
};

struct ObligationOptions {
    // Ramp width of the four-ReLU form (must be below every gap between breakpoints of the
    // network's phis). Default delta/4; `sparsecert prove` passes the width g gets
    // (planned_relu_width, approximation.hpp), so that its obligations are about g's very form.
    std::optional<Rational> relu_epsilon;
};

// The obligations for a construction (stages (a) and (b): build_contextual_mapping; the value
// mapping is not included). `pattern` is the one the construction was built for. Throws
// std::logic_error when the network does not have the layout build_contextual_mapping documents
// (a bug), std::invalid_argument for a bad epsilon or a head the LRA encoding of sigma_H does not
// cover (key != value with a non-zero output).
std::vector<Obligation> generate_obligations(const Construction& construction, const Pattern& pattern,
                                             const ObligationOptions& options = {});

// How many obligations generate_obligations returns, without building them.
std::size_t obligation_count(const Construction& construction);

// "quantization/layer-3" -> "quantization-layer-3": the file name stem for an obligation.
std::string obligation_file_stem(const std::string& name);

}  // namespace sparsecert
