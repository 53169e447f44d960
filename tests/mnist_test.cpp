#include "instnn/data/mnist.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "instnn/core/error.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::idx_bytes;
using testing::TempDir;
using testing::write_bytes;
using testing::write_gzip;

struct FakeSplit {
  std::uint32_t count, height, width;
};

std::vector<std::uint8_t> pixels(const FakeSplit& s, std::uint8_t seed) {
  std::vector<std::uint8_t> v(std::size_t{s.count} * s.height * s.width);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(seed + 3 * i);
  return v;
}

std::vector<std::uint8_t> labels_for(std::uint32_t count) {
  std::vector<std::uint8_t> v(count);
  for (std::uint32_t i = 0; i < count; ++i) v[i] = static_cast<std::uint8_t>(i % 10);
  return v;
}

// Writes the four MNIST files named "<stem><sep>idxN-ubyte[.gz]".
void write_mnist(const std::filesystem::path& dir, char sep, bool gz, FakeSplit train,
                 FakeSplit test) {
  auto write = [&](const std::string& stem, const std::string& tag,
                   const std::vector<std::uint8_t>& bytes) {
    const std::filesystem::path path = dir / (stem + sep + tag + "-ubyte" + (gz ? ".gz" : ""));
    gz ? write_gzip(path, bytes) : write_bytes(path, bytes);
  };
  write("train-images", "idx3", idx_bytes({train.count, train.height, train.width}, pixels(train, 1)));
  write("train-labels", "idx1", idx_bytes({train.count}, labels_for(train.count)));
  write("t10k-images", "idx3", idx_bytes({test.count, test.height, test.width}, pixels(test, 2)));
  write("t10k-labels", "idx1", idx_bytes({test.count}, labels_for(test.count)));
}

TEST(Mnist, LoadsGzippedDashNames) {
  TempDir dir;
  write_mnist(dir.path(), '-', true, {12, 28, 28}, {5, 28, 28});
  const MnistData data = load_mnist(dir.path());
  EXPECT_EQ(data.train.count, 12);
  EXPECT_EQ(data.train.height, 28);
  EXPECT_EQ(data.train.width, 28);
  EXPECT_EQ(data.train.images, pixels({12, 28, 28}, 1));
  EXPECT_EQ(data.train.labels, labels_for(12));
  EXPECT_EQ(data.test.count, 5);
  EXPECT_EQ(data.test.images, pixels({5, 28, 28}, 2));
}

TEST(Mnist, LoadsRawDotNamesAndNonSquareImages) {
  TempDir dir;
  write_mnist(dir.path(), '.', false, {7, 4, 6}, {3, 4, 6});
  const MnistData data = load_mnist(dir.path());
  EXPECT_EQ(data.train.height, 4);
  EXPECT_EQ(data.train.width, 6);
  EXPECT_EQ(data.train.pixels_per_image(), 24u);
  EXPECT_EQ(data.test.labels, labels_for(3));
}

TEST(Mnist, FindPrefersUncompressedAndListsNamesTried) {
  TempDir dir;
  write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes({1}, {0}));
  write_gzip(dir / "train-labels-idx1-ubyte.gz", idx_bytes({1}, {0}));
  EXPECT_EQ(find_mnist_file(dir.path(), "train-labels", "idx1"), dir / "train-labels-idx1-ubyte");
  try {
    find_mnist_file(dir.path(), "t10k-images", "idx3");
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("t10k-images-idx3-ubyte"),
                                HasSubstr("t10k-images.idx3-ubyte.gz"), HasSubstr(dir.path().string())));
  }
}

TEST(Mnist, MissingDirectoryOrFileIsIoError) {
  TempDir dir;
  EXPECT_THROW(load_mnist(dir / "absent"), IoError);
  write_mnist(dir.path(), '-', false, {4, 2, 2}, {2, 2, 2});
  std::filesystem::remove(dir / "t10k-labels-idx1-ubyte");
  EXPECT_THROW(load_mnist(dir.path()), IoError);
}

TEST(Mnist, RejectsCountMismatchBetweenImagesAndLabels) {
  TempDir dir;
  write_mnist(dir.path(), '-', false, {4, 2, 2}, {2, 2, 2});
  write_bytes(dir / "train-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 3}));
  try {
    load_mnist(dir.path());
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("train-labels-idx1-ubyte"), HasSubstr("has 3 labels"),
                                HasSubstr("has 4 images")));
  }
}

TEST(Mnist, RejectsLabelOutOfRange) {
  TempDir dir;
  write_mnist(dir.path(), '-', false, {4, 2, 2}, {2, 2, 2});
  write_bytes(dir / "t10k-labels-idx1-ubyte", idx_bytes({2}, {9, 10}));
  try {
    load_mnist(dir.path());
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("t10k-labels"), HasSubstr("label 1 is 10"),
                                HasSubstr("expected < 10")));
  }
}

TEST(Mnist, RejectsWrongRanksAndSizeMismatchBetweenSplits) {
  TempDir dir;
  write_mnist(dir.path(), '-', false, {4, 2, 2}, {2, 2, 2});
  write_bytes(dir / "train-images-idx3-ubyte", idx_bytes({4, 4}, std::vector<std::uint8_t>(16)));
  EXPECT_THAT([&] {
    try { load_mnist(dir.path()); } catch (const FormatError& e) { return std::string(e.what()); }
    return std::string();
  }(), HasSubstr("expected 3 dimensions"));

  write_mnist(dir.path(), '-', false, {4, 2, 2}, {2, 3, 3});
  EXPECT_THAT([&] {
    try { load_mnist(dir.path()); } catch (const FormatError& e) { return std::string(e.what()); }
    return std::string();
  }(), AllOf(HasSubstr("2x2"), HasSubstr("3x3")));
}

TEST(Mnist, ToDatasetKeepsUint8AndChecksSampleShape) {
  TempDir dir;
  write_mnist(dir.path(), '-', true, {6, 28, 28}, {2, 28, 28});
  MnistData data = load_mnist(dir.path());
  const std::uint8_t first_pixel = data.train.images[0];
  EXPECT_THROW(to_dataset(std::move(data.test), Shape{783}), ShapeError);

  Dataset train = to_dataset(std::move(data.train), Shape{1, 28, 28});
  EXPECT_TRUE(train.is_uint8());
  EXPECT_EQ(train.size(), 6u);
  EXPECT_EQ(train.num_classes(), 10);
  EXPECT_EQ(train.class_id(3), 3);
  std::vector<std::size_t> first = {0};
  Tensor x;
  train.gather_features(first, x);
  EXPECT_EQ(x.shape(), (Shape{1, 1, 28, 28}));
  EXPECT_FLOAT_EQ(x[0], first_pixel / 255.0f);
}

// The real Fashion-MNIST from Debian when it is installed (not required).
TEST(Mnist, LoadsDebianFashionMnistWhenInstalled) {
  const std::filesystem::path dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir / "train-images-idx3-ubyte.gz")) GTEST_SKIP() << "not installed";
  const MnistData data = load_mnist(dir);
  EXPECT_EQ(data.train.count, 60000);
  EXPECT_EQ(data.test.count, 10000);
  EXPECT_EQ(data.train.height, 28);
  EXPECT_EQ(data.train.width, 28);
}

// MNIST as scripts/fetch-mnist.sh leaves it, when it has been fetched.
TEST(Mnist, LoadsFetchedMnistWhenPresent) {
  const std::filesystem::path dir = std::filesystem::path(INSTNN_SOURCE_DIR) / "datasets" / "mnist";
  if (!std::filesystem::exists(dir / "train-images-idx3-ubyte")) GTEST_SKIP() << "not fetched";
  MnistData data = load_mnist(dir);
  EXPECT_EQ(data.train.count, 60000);
  EXPECT_EQ(data.test.count, 10000);
  EXPECT_EQ(data.train.labels[0], 5);  // MNIST's first training digit is a 5
  const Dataset test = to_dataset(std::move(data.test), Shape{784});
  EXPECT_EQ(test.class_id(0), 7);      // and its first test digit a 7
}

}  // namespace
}  // namespace instnn
