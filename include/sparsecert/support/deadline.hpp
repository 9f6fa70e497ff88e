// A time budget as a point on the steady clock, for the runs that --timeout bounds
// (docs/reliability.md, "Time budgets"). Any budget in seconds is accepted: negative and NaN
// budgets are empty, and huge or infinite ones are clamped to max_budget_seconds, so that the
// conversion to clock ticks can never overflow (2^63 nanoseconds are about 292 years).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>

namespace sparsecert {

class Deadline {
public:
    using Clock = std::chrono::steady_clock;
    // About 31.7 years: longer than any run, far below the clock's range.
    static constexpr double max_budget_seconds = 1e9;

    // The deadline `seconds` from now.
    explicit Deadline(double seconds) : at_(Clock::now() + ticks(seconds)) {}

    Clock::time_point time_point() const noexcept { return at_; }
    bool expired() const { return Clock::now() >= at_; }
    // Seconds left, at least 0.
    double remaining_seconds() const {
        return std::max(0.0, std::chrono::duration<double>(at_ - Clock::now()).count());
    }
    // A share of what is left: the earlier of this deadline and `seconds` from now.
    Deadline share(double seconds) const {
        Deadline d(seconds);
        d.at_ = std::min(d.at_, at_);
        return d;
    }

    // `seconds` as clock ticks, clamped to [0, max_budget_seconds] (NaN gives 0).
    static Clock::duration ticks(double seconds) {
        const double clamped = std::isnan(seconds) ? 0.0 : std::clamp(seconds, 0.0, max_budget_seconds);
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(clamped));
    }

private:
    Clock::time_point at_;
};

}  // namespace sparsecert
