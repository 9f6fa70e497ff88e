// Compatibility name: this header moved to sparsecert/pattern/families.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/pattern/families.hpp"
