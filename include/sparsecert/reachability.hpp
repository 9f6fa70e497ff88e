// Compatibility name: this header moved to sparsecert/conditions/reachability.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/conditions/reachability.hpp"
