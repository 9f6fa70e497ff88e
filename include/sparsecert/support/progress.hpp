// Progress reports for long work. The library never prints: a caller passes a Progress callback
// (the tools draw a status line on a terminal and stay silent otherwise).
#pragma once

#include <functional>
#include <string_view>

namespace sparsecert {

// stage: a short description ("reachability: step 12"); fraction in [0, 1], or < 0 if unknown.
using Progress = std::function<void(std::string_view stage, double fraction)>;

inline void report(const Progress& progress, std::string_view stage, double fraction = -1.0) {
    if (progress) progress(stage, fraction);
}

}  // namespace sparsecert
