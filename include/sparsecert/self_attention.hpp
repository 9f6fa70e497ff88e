// Compatibility name: this header moved to sparsecert/conditions/self_attention.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/conditions/self_attention.hpp"
