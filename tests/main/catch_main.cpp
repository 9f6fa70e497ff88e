// The Catch2 main, compiled once (tests/*.cpp only hold test cases).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
