// Catch2 v2 entry point, compiled once.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
