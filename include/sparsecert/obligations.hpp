// Compatibility name: this header moved to sparsecert/proofs/obligations.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/proofs/obligations.hpp"
