// Compatibility name: this header moved to sparsecert/pattern/pattern.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/pattern/pattern.hpp"
