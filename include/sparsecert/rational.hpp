// Compatibility name: this header moved to sparsecert/construction/rational.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/construction/rational.hpp"
