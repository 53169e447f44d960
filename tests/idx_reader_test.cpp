#include "instnn/data/idx_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "instnn/core/error.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::idx_bytes;
using testing::ramp;
using testing::TempDir;
using testing::write_bytes;
using testing::write_gzip;

// Runs read_idx expecting ErrorType and returns its message.
template <typename ErrorType>
std::string read_error(const std::filesystem::path& path) {
  try {
    read_idx(path);
  } catch (const ErrorType& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "read_idx(" << path << ") did not throw";
  return {};
}

TEST(IdxReader, ReadsRawThreeDimensional) {
  TempDir dir;
  write_bytes(dir / "images", idx_bytes({2, 3, 4}, ramp(24)));
  const IdxArray array = read_idx(dir / "images");
  EXPECT_EQ(array.dims, (std::vector<std::int64_t>{2, 3, 4}));
  EXPECT_EQ(array.data, ramp(24));
}

TEST(IdxReader, ReadsGzippedAndDetectsByMagicNotName) {
  TempDir dir;
  write_gzip(dir / "labels.gz", idx_bytes({5}, ramp(5, 7)));
  write_gzip(dir / "no-extension", idx_bytes({2, 2}, ramp(4)));
  write_bytes(dir / "raw-but-named.gz", idx_bytes({3}, ramp(3)));

  const IdxArray labels = read_idx(dir / "labels.gz");
  EXPECT_EQ(labels.dims, (std::vector<std::int64_t>{5}));
  EXPECT_EQ(labels.data, ramp(5, 7));
  EXPECT_EQ(read_idx(dir / "no-extension").data, ramp(4));
  EXPECT_EQ(read_idx(dir / "raw-but-named.gz").data, ramp(3));
}

TEST(IdxReader, ReadsLargerGzipAcrossChunksAndFourDims) {
  TempDir dir;
  const std::vector<std::uint8_t> data = ramp(3 * 1 * 700 * 1000);  // > one 1 MiB chunk
  write_gzip(dir / "big.gz", idx_bytes({3, 1, 700, 1000}, data));
  const IdxArray array = read_idx(dir / "big.gz");
  EXPECT_EQ(array.dims, (std::vector<std::int64_t>{3, 1, 700, 1000}));
  EXPECT_EQ(array.data, data);
}

TEST(IdxReader, MultiMemberGzipWithoutSizeHintStillReads) {
  // Two concatenated gzip members: the trailer's size describes only the
  // second, so the reader must take the incremental path.
  TempDir dir;
  const std::vector<std::uint8_t> whole = idx_bytes({4, 1000}, ramp(4000));
  const std::vector<std::uint8_t> head(whole.begin(), whole.begin() + 100);
  const std::vector<std::uint8_t> tail(whole.begin() + 100, whole.end());
  write_gzip(dir / "a.gz", head);
  write_gzip(dir / "b.gz", tail);
  std::vector<std::uint8_t> joined;
  for (const char* part : {"a.gz", "b.gz"}) {
    std::ifstream in(dir / part, std::ios::binary);
    joined.insert(joined.end(), std::istreambuf_iterator<char>(in), {});
  }
  write_bytes(dir / "multi.gz", joined);
  EXPECT_EQ(read_idx(dir / "multi.gz").data, ramp(4000));
}

TEST(IdxReader, EmptyExtentGivesEmptyArray) {
  TempDir dir;
  write_bytes(dir / "empty", idx_bytes({0, 28, 28}, {}));
  const IdxArray array = read_idx(dir / "empty");
  EXPECT_EQ(array.dims, (std::vector<std::int64_t>{0, 28, 28}));
  EXPECT_TRUE(array.data.empty());
}

TEST(IdxReader, MissingFileIsIoErrorNamingIt) {
  TempDir dir;
  EXPECT_THAT(read_error<IoError>(dir / "nope"), AllOf(HasSubstr("nope"), HasSubstr("does not exist")));
  EXPECT_THAT(read_error<IoError>(dir.path()), HasSubstr("not a regular file"));
}

TEST(IdxReader, RejectsWrongMagic) {
  TempDir dir;
  std::vector<std::uint8_t> bytes = idx_bytes({2}, ramp(2));
  bytes[0] = 0x12;
  write_bytes(dir / "bad", bytes);
  EXPECT_THAT(read_error<FormatError>(dir / "bad"),
              AllOf(HasSubstr("bad"), HasSubstr("magic"), HasSubstr("0x12")));
}

TEST(IdxReader, RejectsUnsupportedElementType) {
  TempDir dir;
  write_bytes(dir / "floats", idx_bytes({1}, {0, 0, 0, 0}, 0x0D));
  EXPECT_THAT(read_error<FormatError>(dir / "floats"),
              AllOf(HasSubstr("0x0d"), HasSubstr("float32"), HasSubstr("0x08")));
}

TEST(IdxReader, RejectsRankOutsideOneToFour) {
  TempDir dir;
  write_bytes(dir / "rank0", {0, 0, 8, 0});
  write_bytes(dir / "rank5", idx_bytes({1, 1, 1, 1, 1}, {9}));
  EXPECT_THAT(read_error<FormatError>(dir / "rank0"), HasSubstr("declares 0"));
  EXPECT_THAT(read_error<FormatError>(dir / "rank5"), HasSubstr("declares 5"));
}

TEST(IdxReader, RejectsTruncatedHeader) {
  TempDir dir;
  write_bytes(dir / "empty-file", {});
  write_bytes(dir / "two-bytes", {0, 0});
  std::vector<std::uint8_t> partial_dims = idx_bytes({60000, 28, 28}, {});
  partial_dims.resize(9);
  write_bytes(dir / "partial-dims", partial_dims);
  EXPECT_THAT(read_error<FormatError>(dir / "empty-file"), HasSubstr("ends after 0 bytes"));
  EXPECT_THAT(read_error<FormatError>(dir / "two-bytes"), HasSubstr("ends after 2 bytes"));
  EXPECT_THAT(read_error<FormatError>(dir / "partial-dims"),
              AllOf(HasSubstr("expected 12 bytes of dimensions"), HasSubstr("ends after 5")));
}

TEST(IdxReader, RejectsTruncatedAndTrailingRaw) {
  TempDir dir;
  write_bytes(dir / "short", idx_bytes({2, 3}, ramp(5)));
  write_bytes(dir / "long", idx_bytes({2, 3}, ramp(7)));
  EXPECT_THAT(read_error<FormatError>(dir / "short"),
              AllOf(HasSubstr("short"), HasSubstr("(2, 3)"), HasSubstr("= 18 bytes"),
                    HasSubstr("file is 17 bytes"), HasSubstr("truncated")));
  EXPECT_THAT(read_error<FormatError>(dir / "long"),
              AllOf(HasSubstr("file is 19 bytes"), HasSubstr("trailing")));
}

TEST(IdxReader, RejectsTruncatedAndTrailingGzip) {
  TempDir dir;
  write_gzip(dir / "short.gz", idx_bytes({2, 3}, ramp(5)));
  write_gzip(dir / "long.gz", idx_bytes({2, 3}, ramp(7)));
  EXPECT_THAT(read_error<FormatError>(dir / "short.gz"),
              AllOf(HasSubstr("short.gz"), HasSubstr("require 6 data bytes"),
                    HasSubstr("ends after 5"), HasSubstr("truncated")));
  EXPECT_THAT(read_error<FormatError>(dir / "long.gz"), HasSubstr("trailing"));
}

TEST(IdxReader, RejectsCutGzipStream) {
  TempDir dir;
  write_gzip(dir / "whole.gz", idx_bytes({50, 1000}, ramp(50000)));
  std::ifstream in(dir / "whole.gz", std::ios::binary);
  std::vector<std::uint8_t> compressed(std::istreambuf_iterator<char>(in), {});
  compressed.resize(compressed.size() / 2);
  write_bytes(dir / "cut.gz", compressed);
  EXPECT_THAT(read_error<FormatError>(dir / "cut.gz"), HasSubstr("cut.gz"));
}

TEST(IdxReader, RejectsBareGzipMagic) {
  TempDir dir;
  write_bytes(dir / "magic-only", {0x1f, 0x8b});
  write_bytes(dir / "header-only", {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
  EXPECT_THROW(read_idx(dir / "magic-only"), FormatError);
  EXPECT_THROW(read_idx(dir / "header-only"), FormatError);
}

TEST(IdxReader, RejectsCorruptGzipData) {
  TempDir dir;
  write_gzip(dir / "whole.gz", idx_bytes({50, 1000}, ramp(50000)));
  std::ifstream in(dir / "whole.gz", std::ios::binary);
  std::vector<std::uint8_t> compressed(std::istreambuf_iterator<char>(in), {});
  for (std::size_t i = 20; i < compressed.size() - 8; i += 7) compressed[i] ^= 0x5a;
  write_bytes(dir / "corrupt.gz", compressed);
  EXPECT_THROW(read_idx(dir / "corrupt.gz"), FormatError);
}

TEST(IdxReader, RejectsDimensionProductOverflow) {
  TempDir dir;
  // 2^32-1 cubed overflows 64 bits; must be caught, not wrapped.
  write_bytes(dir / "overflow", idx_bytes({0xffffffffu, 0xffffffffu, 0xffffffffu}, {1, 2, 3}));
  EXPECT_THAT(read_error<FormatError>(dir / "overflow"),
              AllOf(HasSubstr("(4294967295, 4294967295, 4294967295)"), HasSubstr("limit")));
  // Just over the 2 GiB limit.
  write_bytes(dir / "over-limit", idx_bytes({3, 1u << 30}, {1}));
  EXPECT_THAT(read_error<FormatError>(dir / "over-limit"), HasSubstr("limit"));
}

TEST(IdxReader, HugeDeclaredSizeInTinyFileFailsBeforeAllocating) {
  // 1.9 GB declared, a few bytes present. Allocating first would take
  // gigabytes (and fail under sanitizers' allocation limits); the reader
  // must compare with the file (raw) or the gzip bound (gz) first.
  TempDir dir;
  const std::vector<std::uint32_t> dims = {60000, 180, 180};
  write_bytes(dir / "huge", idx_bytes(dims, ramp(10)));
  write_gzip(dir / "huge.gz", idx_bytes(dims, ramp(10)));
  EXPECT_THAT(read_error<FormatError>(dir / "huge"),
              AllOf(HasSubstr("1944000000 data bytes"), HasSubstr("file is 26 bytes")));
  EXPECT_THAT(read_error<FormatError>(dir / "huge.gz"), HasSubstr("more than a"));
}

TEST(IdxReader, DimsToString) {
  EXPECT_EQ(idx_dims_to_string({60000, 28, 28}), "(60000, 28, 28)");
  EXPECT_EQ(idx_dims_to_string({10}), "(10,)");
}

}  // namespace
}  // namespace instnn
