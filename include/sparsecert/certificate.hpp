// Compatibility name: this header moved to sparsecert/certify/certificate.hpp (see README.md, "Layout").
#pragma once
#include "sparsecert/certify/certificate.hpp"
