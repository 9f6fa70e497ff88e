// Compatibility name: this header moved to sparsecert/certify/verify.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/certify/verify.hpp"
