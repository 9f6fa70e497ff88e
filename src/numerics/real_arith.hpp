// Internal: the two arithmetics of the real-network kernel (softmax_kernel.hpp), behind one set of
// in-place functions so that the kernel is written once: MPFR at a chosen precision (every
// operation correctly rounded to nearest, relative error <= 2^-p), and IEEE binary64 (the
// "double fails" comparison). Mp is a thin RAII handle on mpfr_t; its precision is fixed at
// construction and copies keep it.
#pragma once

#include <cmath>
#include <utility>

#include <gmp.h>
#include <mpfr.h>

#include "sparsecert/construction/rational.hpp"

namespace sparsecert::detail {

class Mp {
public:
    explicit Mp(mpfr_prec_t precision) {
        mpfr_init2(v_, precision);
        mpfr_set_zero(v_, 1);
    }
    Mp(const Mp& o) {
        mpfr_init2(v_, mpfr_get_prec(o.v_));
        mpfr_set(v_, o.v_, MPFR_RNDN);
    }
    Mp(Mp&& o) noexcept {
        // Steal o's limbs; o gets a fresh minimal value so that its destructor stays valid.
        mpfr_init2(v_, mpfr_get_prec(o.v_));
        mpfr_swap(v_, o.v_);
    }
    Mp& operator=(const Mp& o) {
        if (this != &o) mpfr_set(v_, o.v_, MPFR_RNDN);
        return *this;
    }
    Mp& operator=(Mp&& o) noexcept {
        mpfr_swap(v_, o.v_);
        return *this;
    }
    ~Mp() { mpfr_clear(v_); }
    mpfr_ptr get() noexcept { return v_; }
    mpfr_srcptr get() const noexcept { return v_; }

private:
    mpfr_t v_;
};

// Construction of a number in the arithmetic: precision is ignored for double.
template <class R>
R make_real(long precision);
template <>
inline double make_real<double>(long) { return 0.0; }
template <>
inline Mp make_real<Mp>(long precision) { return Mp(precision); }

inline void set(double& r, const Rational& a) { r = a.to_double(); }
inline void set(Mp& r, const Rational& a) { mpfr_set_q(r.get(), a.get(), MPFR_RNDN); }
inline void set(double& r, const double& a) { r = a; }
inline void set(Mp& r, const Mp& a) { mpfr_set(r.get(), a.get(), MPFR_RNDN); }
inline void set_zero(double& r) { r = 0; }
inline void set_zero(Mp& r) { mpfr_set_zero(r.get(), 1); }
inline void set_one(double& r) { r = 1; }
inline void set_one(Mp& r) { mpfr_set_ui(r.get(), 1, MPFR_RNDN); }

inline void add(double& r, const double& a, const double& b) { r = a + b; }
inline void add(Mp& r, const Mp& a, const Mp& b) { mpfr_add(r.get(), a.get(), b.get(), MPFR_RNDN); }
inline void sub(double& r, const double& a, const double& b) { r = a - b; }
inline void sub(Mp& r, const Mp& a, const Mp& b) { mpfr_sub(r.get(), a.get(), b.get(), MPFR_RNDN); }
inline void mul(double& r, const double& a, const double& b) { r = a * b; }
inline void mul(Mp& r, const Mp& a, const Mp& b) { mpfr_mul(r.get(), a.get(), b.get(), MPFR_RNDN); }
inline void div(double& r, const double& a, const double& b) { r = a / b; }
inline void div(Mp& r, const Mp& a, const Mp& b) { mpfr_div(r.get(), a.get(), b.get(), MPFR_RNDN); }
// r += a * b
inline void addmul(double& r, const double& a, const double& b) { r += a * b; }
inline void addmul(Mp& r, const Mp& a, const Mp& b) { mpfr_fma(r.get(), a.get(), b.get(), r.get(), MPFR_RNDN); }
inline void exp(double& r, const double& a) { r = std::exp(a); }
inline void exp(Mp& r, const Mp& a) { mpfr_exp(r.get(), a.get(), MPFR_RNDN); }
inline int cmp(const double& a, const double& b) { return (a > b) - (a < b); }
inline int cmp(const Mp& a, const Mp& b) { return mpfr_cmp(a.get(), b.get()); }
inline int sgn(const double& a) { return (a > 0) - (a < 0); }
inline int sgn(const Mp& a) { return mpfr_sgn(a.get()); }
inline bool finite(const double& a) { return std::isfinite(a); }
inline bool finite(const Mp& a) { return mpfr_number_p(a.get()) != 0; }

// The exact value of a finite number.
inline Rational to_rational(const double& a) {
    mpq_t q;
    mpq_init(q);
    mpq_set_d(q, a);
    Rational r(q);
    mpq_clear(q);
    return r;
}
inline Rational to_rational(const Mp& a) {
    mpq_t q;
    mpq_init(q);
    mpfr_get_q(q, a.get());
    Rational r(q);
    mpq_clear(q);
    return r;
}

}  // namespace sparsecert::detail
