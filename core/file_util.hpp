// Writing files without ever leaving a half-written one behind.
#pragma once

#include <string>
#include <string_view>

namespace instnn {

// Writes to "<path>.tmp.<pid>" in the same directory, flushes, then renames
// over path. Throws IoError naming the path on any failure (and removes the
// temporary).
void write_file_atomically(const std::string& path, std::string_view contents);
// Whole file as bytes; IoError naming the path if it cannot be read.
std::string read_file(const std::string& path);

}  // namespace instnn
