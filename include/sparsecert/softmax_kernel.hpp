// Compatibility name: this header moved to sparsecert/numerics/softmax_kernel.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/numerics/softmax_kernel.hpp"
