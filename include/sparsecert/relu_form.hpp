// Compatibility name: this header moved to sparsecert/numerics/relu_form.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/numerics/relu_form.hpp"
