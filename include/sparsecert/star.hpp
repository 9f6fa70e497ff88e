// Compatibility name: this header moved to sparsecert/conditions/star.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/conditions/star.hpp"
