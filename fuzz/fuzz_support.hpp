// Shared by the fuzz targets: the input as a temporary file (for readers
// that take a path) and the rule every target checks: bad input may only end
// in an instnn::Error, never in a crash, a hang or another exception.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace instnn::fuzz {

// One file per process, rewritten for every input.
inline const std::string& write_input(const std::uint8_t* data, std::size_t size, const char* suffix) {
  static const std::string path = (std::filesystem::temp_directory_path() /
                                   ("instnn-fuzz-" + std::to_string(::getpid()) + suffix))
                                      .string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  return path;
}

}  // namespace instnn::fuzz
