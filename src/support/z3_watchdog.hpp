// Enforces a wall-clock budget on a Z3 check (internal; shared by the Hamiltonian-path stage and
// the proof obligations of `prove`).
//
// Z3's own "timeout" parameter is deliberately not used: in Z3 4.8.10-4.8.12 (Debian 12 ships
// 4.8.12) the thread-pool scoped_timer behind it can deadlock when a timer fires (Z3Prover/z3
// PR #5371; the test suite hung in Z3_solver_check exactly there). Instead a thread of our own
// calls Z3_interrupt, which is meant to be called from another thread, once the budget is spent,
// and repeats it every 50 ms in case Z3 was not listening yet. It also reports progress
// (elapsed / budget) under `label` twice a second; the caller's thread is blocked in the check
// meanwhile, so the callback is never invoked concurrently.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <z3++.h>

#include "sparsecert/support/deadline.hpp"
#include "sparsecert/support/progress.hpp"

namespace sparsecert::detail {

class Z3Watchdog {
public:
    Z3Watchdog(z3::context& ctx, const Progress& progress, double budget_seconds, std::string label)
        : ctx_(ctx), progress_(progress), budget_(budget_seconds), label_(std::move(label)) {
        thread_ = std::thread([this] { run(); });
    }
    ~Z3Watchdog() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    Z3Watchdog(const Z3Watchdog&) = delete;
    Z3Watchdog& operator=(const Z3Watchdog&) = delete;
    bool fired() const { return fired_.load(); }

private:
    void run() {
        const auto start = std::chrono::steady_clock::now();
        // Clamped: a budget of 1e10 s or infinity must not overflow the clock (Deadline::ticks).
        const auto deadline = start + Deadline::ticks(budget_);
        auto next_report = start + std::chrono::milliseconds(500);
        std::unique_lock<std::mutex> lock(mutex_);
        while (!done_) {
            const auto now = std::chrono::steady_clock::now();
            if (now >= deadline) {
                if (!fired_) ctx_.interrupt();  // repeated below in case Z3 was not listening yet
                fired_ = true;
                wake_.wait_for(lock, std::chrono::milliseconds(50), [this] { return done_; });
                if (!done_) ctx_.interrupt();
                continue;
            }
            if (progress_ && now >= next_report) {
                next_report = now + std::chrono::milliseconds(500);
                const double elapsed = std::chrono::duration<double>(now - start).count();
                report(progress_, label_, budget_ > 0 ? std::min(1.0, elapsed / budget_) : -1.0);
            }
            wake_.wait_until(lock, std::min(deadline, next_report), [this] { return done_; });
        }
    }

    z3::context& ctx_;
    const Progress& progress_;
    double budget_;
    std::string label_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::atomic<bool> fired_{false};
    std::thread thread_;
};

}  // namespace sparsecert::detail
