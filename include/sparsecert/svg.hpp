// Compatibility name: this header moved to sparsecert/report/svg.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/report/svg.hpp"
