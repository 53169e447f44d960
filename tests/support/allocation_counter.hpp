// Counts heap allocations, to show that a warmed-up loop does not allocate.
// It replaces the global operator new/delete, so include it in exactly one
// source file of a test binary (each *_test.cpp is its own binary).
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

// GCC cannot see that the replaced new/delete below are a matching pair.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
inline std::atomic<std::size_t> g_allocations{0};
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
