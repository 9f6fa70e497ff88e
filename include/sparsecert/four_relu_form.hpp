// Compatibility name: this header moved to sparsecert/numerics/four_relu_form.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/numerics/four_relu_form.hpp"
