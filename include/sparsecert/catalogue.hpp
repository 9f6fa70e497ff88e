// Compatibility name: this header moved to sparsecert/pattern/catalogue.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/pattern/catalogue.hpp"
