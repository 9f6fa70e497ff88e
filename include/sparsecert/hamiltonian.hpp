// Compatibility name: this header moved to sparsecert/conditions/hamiltonian.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/conditions/hamiltonian.hpp"
