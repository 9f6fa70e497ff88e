// Compatibility name: this header moved to sparsecert/certify/theorems.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/certify/theorems.hpp"
