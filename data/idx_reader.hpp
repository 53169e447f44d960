// Reader for the IDX format of the MNIST family of data sets, raw or gzipped.
// Every size field is validated against the file (and against a hard limit)
// before any memory is allocated for the payload.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace instnn {

// An IDX array of unsigned bytes: `dims` (1 to 4 extents, row-major) and the
// product(dims) values.
struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;

  std::size_t size() const { return data.size(); }
};

// Largest payload read_idx accepts (2 GiB); a header declaring more is
// rejected as malformed rather than trusted.
inline constexpr std::uint64_t kMaxIdxPayloadBytes = std::uint64_t{1} << 31;

// Reads an IDX file. Gzip compression is detected from the magic bytes
// (1f 8b), not from the file name. Only element type 0x08 (unsigned byte) is
// supported.
// Throws IoError when the file is missing or unreadable, FormatError when its
// content is not a well-formed uint8 IDX array of exactly the declared size
// (wrong magic, unsupported type, bad rank, truncated, trailing bytes, too
// large). Messages name the file, what was expected and what was found.
IdxArray read_idx(const std::filesystem::path& path);

// "(60000, 28, 28)"
std::string idx_dims_to_string(const std::vector<std::int64_t>& dims);

}  // namespace instnn
