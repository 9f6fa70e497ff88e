// Compatibility name: this header moved to sparsecert/pattern/pattern_io.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/pattern/pattern_io.hpp"
