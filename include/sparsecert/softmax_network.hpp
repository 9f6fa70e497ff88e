// Compatibility name: this header moved to sparsecert/numerics/softmax_network.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/numerics/softmax_network.hpp"
