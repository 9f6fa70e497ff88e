// Compatibility name: this header moved to sparsecert/proofs/prove.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/proofs/prove.hpp"
