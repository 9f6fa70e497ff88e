// Compatibility name: this header moved to sparsecert/construction/network.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/construction/network.hpp"
