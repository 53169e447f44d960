#include "instnn/data/idx_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {

constexpr std::uint8_t kTypeUint8 = 0x08;
constexpr int kMaxIdxRank = 4;
// Deflate cannot expand data by more than about 1032:1, so a gzip file of C
// bytes cannot hold more than this many bytes per compressed byte (plus
// slack for tiny files). Lets us reject an absurd declared size up front.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
constexpr std::uint64_t kDeflateSlack = 1 << 16;

const char* idx_type_name(std::uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

std::string hex_byte(std::uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  out.push_back(kDigits[b >> 4]);
  out.push_back(kDigits[b & 15]);
  return out;
}

std::string quoted(const std::filesystem::path& path) {
  // Built by appending: GCC 12 warns (-Wrestrict, falsely) on "'" + string.
  std::string out(1, '\'');
  out.append(path.string()).push_back('\'');
  return out;
}

// A byte source the header parser reads from; returns the bytes actually read.
using ReadFn = std::function<std::size_t(std::uint8_t* dst, std::size_t n)>;

struct IdxHeader {
  std::vector<std::int64_t> dims;
  std::uint64_t header_bytes = 0;
  std::uint64_t payload_bytes = 0;
};

std::uint32_t big_endian_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

IdxHeader parse_header(const std::filesystem::path& path, const ReadFn& read) {
  std::array<std::uint8_t, 4> magic{};
  const std::size_t got_magic = read(magic.data(), magic.size());
  INSTNN_CHECK(got_magic == magic.size(), FormatError, "IDX file ", quoted(path),
               ": expected a 4-byte magic number but the file ends after ", got_magic, " bytes");
  INSTNN_CHECK(magic[0] == 0 && magic[1] == 0, FormatError, "IDX file ", quoted(path),
               ": bad magic number ", hex_byte(magic[0]), " ", hex_byte(magic[1]), " ",
               hex_byte(magic[2]), " ", hex_byte(magic[3]),
               ": expected two zero bytes, a type code and a dimension count (e.g. 00 00 08 03)");
  INSTNN_CHECK(magic[2] == kTypeUint8, FormatError, "IDX file ", quoted(path), ": element type ",
               hex_byte(magic[2]), " (", idx_type_name(magic[2]),
               ") is not supported; expected 0x08 (unsigned byte)");
  const int rank = magic[3];
  INSTNN_CHECK(rank >= 1 && rank <= kMaxIdxRank, FormatError, "IDX file ", quoted(path),
               ": expected 1 to ", kMaxIdxRank, " dimensions but the header declares ", rank);

  std::array<std::uint8_t, 4 * kMaxIdxRank> dim_bytes{};
  const std::size_t want = 4 * static_cast<std::size_t>(rank);
  const std::size_t got = read(dim_bytes.data(), want);
  INSTNN_CHECK(got == want, FormatError, "IDX file ", quoted(path), ": expected ", want,
               " bytes of dimensions after the magic number but the file ends after ", got);

  IdxHeader header;
  header.header_bytes = 4 + want;
  std::uint64_t product = 1;
  for (int axis = 0; axis < rank; ++axis) {
    const std::uint32_t extent = big_endian_u32(dim_bytes.data() + 4 * axis);
    header.dims.push_back(extent);
    // Each extent is < 2^32 and the running product stays <= 2^31, so the
    // multiplication cannot overflow 64 bits.
    product *= extent;
    if (product > kMaxIdxPayloadBytes) {
      // Report the full declared shape; finish reading the extents for it.
      for (int rest = axis + 1; rest < rank; ++rest)
        header.dims.push_back(big_endian_u32(dim_bytes.data() + 4 * rest));
      throw FormatError(detail::concat(
          "IDX file ", quoted(path), ": dimensions ", idx_dims_to_string(header.dims),
          " declare more than ", kMaxIdxPayloadBytes, " bytes (the limit); the header is corrupt"));
    }
  }
  header.payload_bytes = product;
  return header;
}

IdxArray read_raw_idx(const std::filesystem::path& path) {
  std::error_code ec;
  const std::uintmax_t file_bytes = std::filesystem::file_size(path, ec);
  INSTNN_CHECK(!ec, IoError, "cannot read IDX file ", quoted(path), ": ", ec.message());
  std::ifstream in(path, std::ios::binary);
  INSTNN_CHECK(in, IoError, "cannot open IDX file ", quoted(path), ": ", std::strerror(errno));

  const ReadFn read = [&in](std::uint8_t* dst, std::size_t n) {
    in.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(n));
    return static_cast<std::size_t>(in.gcount());
  };
  IdxHeader header = parse_header(path, read);
  const std::uint64_t expected = header.header_bytes + header.payload_bytes;
  INSTNN_CHECK(file_bytes == expected, FormatError, "IDX file ", quoted(path), ": dimensions ",
               idx_dims_to_string(header.dims), " require ", header.header_bytes,
               " header bytes + ", header.payload_bytes, " data bytes = ", expected,
               " bytes, but the file is ", file_bytes, " bytes (",
               file_bytes < expected ? "truncated" : "trailing bytes", ")");

  IdxArray array;
  array.dims = std::move(header.dims);
  array.data.resize(header.payload_bytes);
  const std::size_t got = read(array.data.data(), array.data.size());
  INSTNN_CHECK(got == array.data.size(), IoError, "IDX file ", quoted(path), ": read only ", got,
               " of ", array.data.size(), " data bytes: ", std::strerror(errno));
  return array;
}

// The gzip trailer's ISIZE field: the uncompressed size modulo 2^32 of the
// last member. Only a hint (used to size the buffer once); never trusted.
std::uint64_t gzip_size_hint(const std::filesystem::path& path, std::uintmax_t file_bytes) {
  if (file_bytes < 18) return 0;
  std::ifstream in(path, std::ios::binary);
  std::array<std::uint8_t, 4> trailer{};
  in.seekg(static_cast<std::streamoff>(file_bytes - 4));
  if (!in.read(reinterpret_cast<char*>(trailer.data()), 4)) return 0;
  return std::uint64_t{trailer[0]} | (std::uint64_t{trailer[1]} << 8) |
         (std::uint64_t{trailer[2]} << 16) | (std::uint64_t{trailer[3]} << 24);
}

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

IdxArray read_gzip_idx(const std::filesystem::path& path) {
  std::error_code ec;
  const std::uintmax_t file_bytes = std::filesystem::file_size(path, ec);
  INSTNN_CHECK(!ec, IoError, "cannot read IDX file ", quoted(path), ": ", ec.message());
  std::unique_ptr<gzFile_s, GzCloser> gz(gzopen(path.c_str(), "rb"));
  INSTNN_CHECK(gz, IoError, "cannot open gzipped IDX file ", quoted(path), ": ",
               std::strerror(errno));
  gzbuffer(gz.get(), 1 << 17);

  auto gz_message = [&gz]() {
    int code = Z_OK;
    const char* message = gzerror(gz.get(), &code);
    return std::string(code == Z_OK ? "" : message ? message : "unknown zlib error");
  };
  // Reads until n bytes or the end of the stream; a zlib error (corrupt
  // data) is a FormatError.
  const ReadFn read = [&](std::uint8_t* dst, std::size_t n) {
    std::size_t total = 0;
    while (total < n) {
      const unsigned ask = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 30));
      const int got = gzread(gz.get(), dst + total, ask);
      if (got < 0) {
        throw FormatError(detail::concat("gzipped IDX file ", quoted(path),
                                         ": corrupt compressed data: ", gz_message()));
      }
      if (got == 0) break;
      total += static_cast<std::size_t>(got);
    }
    return total;
  };

  IdxHeader header = parse_header(path, read);
  const std::uint64_t expected = header.header_bytes + header.payload_bytes;
  const std::uint64_t most_possible = file_bytes * kMaxDeflateRatio + kDeflateSlack;
  INSTNN_CHECK(expected <= most_possible, FormatError, "gzipped IDX file ", quoted(path),
               ": dimensions ", idx_dims_to_string(header.dims), " declare ", expected,
               " bytes, more than a ", file_bytes,
               "-byte gzip file can hold; the file is truncated or its header is corrupt");

  IdxArray array;
  array.dims = std::move(header.dims);
  // Size the buffer once when the trailer agrees with the header; otherwise
  // grow it as data actually arrives, never past the declared size.
  if (gzip_size_hint(path, file_bytes) == (expected & 0xffffffffu)) {
    array.data.resize(header.payload_bytes);
    const std::size_t got = read(array.data.data(), array.data.size());
    array.data.resize(got);
  } else {
    constexpr std::size_t kChunk = std::size_t{1} << 20;
    std::size_t filled = 0;
    while (filled < header.payload_bytes) {
      const std::size_t step =
          std::min<std::size_t>(std::max(kChunk, filled), header.payload_bytes - filled);
      array.data.resize(filled + step);
      const std::size_t got = read(array.data.data() + filled, step);
      filled += got;
      if (got < step) break;
    }
    array.data.resize(filled);
  }
  if (array.data.size() != header.payload_bytes) {
    const std::string zlib_note = gz_message();
    throw FormatError(detail::concat(
        "gzipped IDX file ", quoted(path), ": dimensions ", idx_dims_to_string(array.dims),
        " require ", header.payload_bytes, " data bytes after the header, but the stream ends after ",
        array.data.size(), " (truncated)", zlib_note.empty() ? "" : ": ", zlib_note));
  }
  std::uint8_t extra = 0;
  const std::size_t trailing = read(&extra, 1);
  INSTNN_CHECK(trailing == 0, FormatError, "gzipped IDX file ", quoted(path), ": dimensions ",
               idx_dims_to_string(array.dims), " require ", expected,
               " uncompressed bytes, but the stream has trailing bytes after them");
  return array;
}

}  // namespace

std::string idx_dims_to_string(const std::vector<std::int64_t>& dims) {
  std::string out = "(";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(dims[i]);
  }
  return out + (dims.size() == 1 ? ",)" : ")");
}

IdxArray read_idx(const std::filesystem::path& path) {
  std::error_code ec;
  const bool is_regular = std::filesystem::is_regular_file(path, ec);
  INSTNN_CHECK(std::filesystem::exists(path, ec), IoError, "IDX file ", quoted(path),
               " does not exist");
  INSTNN_CHECK(is_regular, IoError, "IDX file ", quoted(path), " is not a regular file");

  std::array<std::uint8_t, 2> first{};
  {
    std::ifstream probe(path, std::ios::binary);
    INSTNN_CHECK(probe, IoError, "cannot open IDX file ", quoted(path), ": ",
                 std::strerror(errno));
    probe.read(reinterpret_cast<char*>(first.data()), 2);
  }
  const bool gzipped = first[0] == 0x1f && first[1] == 0x8b;
  return gzipped ? read_gzip_idx(path) : read_raw_idx(path);
}

}  // namespace instnn
