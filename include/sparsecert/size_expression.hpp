// Compatibility name: this header moved to sparsecert/pattern/size_expression.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/pattern/size_expression.hpp"
