// Compatibility name: this header moved to sparsecert/proofs/smt.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/proofs/smt.hpp"
