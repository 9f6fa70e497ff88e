// Compatibility name: this header moved to sparsecert/construction/construction.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/construction/construction.hpp"
