// Compatibility name: this header moved to sparsecert/report/plot.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/report/plot.hpp"
