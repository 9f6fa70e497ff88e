// Compatibility name: this header moved to sparsecert/construction/targets.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/construction/targets.hpp"
