// Compatibility name: this header moved to sparsecert/construction/contextual_mapping.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/construction/contextual_mapping.hpp"
