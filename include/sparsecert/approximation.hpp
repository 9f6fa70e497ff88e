// Compatibility name: this header moved to sparsecert/numerics/approximation.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/numerics/approximation.hpp"
