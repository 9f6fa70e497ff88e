// Compatibility name: this header moved to sparsecert/support/progress.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/support/progress.hpp"
