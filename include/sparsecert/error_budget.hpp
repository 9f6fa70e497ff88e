// Compatibility name: this header moved to sparsecert/numerics/error_budget.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/numerics/error_budget.hpp"
