// Compatibility name: this header moved to sparsecert/support/input_error.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/support/input_error.hpp"
