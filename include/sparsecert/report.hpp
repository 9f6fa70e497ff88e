// Compatibility name: this header moved to sparsecert/report/report.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/report/report.hpp"
