// Compatibility name: this header moved to sparsecert/conditions/closure.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/conditions/closure.hpp"
