#include "instnn/core/tensor.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace instnn {
namespace {

TEST(Shape, SizeRankAndString) {
  Shape s{64, 1, 28, 28};
  EXPECT_EQ(s.rank(), 4);
  EXPECT_EQ(s.size(), 64u * 28 * 28);
  EXPECT_EQ(s.size_per_sample(), 784u);
  EXPECT_EQ(s.to_string(), "(64, 1, 28, 28)");
  EXPECT_EQ(Shape{3}.to_string(), "(3,)");
  EXPECT_EQ(Shape{}.size(), 1u);
  EXPECT_EQ(s.with_batch(8), (Shape{8, 1, 28, 28}));
}

TEST(Shape, RejectsFifthDimensionAndNegativeExtent) {
  EXPECT_THROW((Shape{1, 2, 3, 4, 5}), ShapeError);
  EXPECT_THROW((Shape{2, -1}), ShapeError);
  EXPECT_THROW((void)Shape{2}[1], ShapeError);
}

TEST(Shape, RejectsMoreElementsThanMemoryCanHold) {
  constexpr std::int64_t k31 = std::int64_t{1} << 31, k62 = std::int64_t{1} << 62;
  // 2^63 elements; the unchecked product read 2^63, (2^62 + 1) * 4 read 4.
  EXPECT_THROW((Shape{k31, k31, 2}), ShapeError);
  EXPECT_THROW((Shape{k62 + 1, 4}), ShapeError);
  EXPECT_THROW((Shape{k31, k31, k31, k31}), ShapeError);
  try {
    Shape{k62 + 1, 4};
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(4611686018427387905,)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(std::to_string(Shape::kMaxElements)), std::string::npos);
  }
  EXPECT_EQ((Shape{Shape::kMaxElements}).size(), static_cast<std::size_t>(Shape::kMaxElements));
  EXPECT_THROW((Shape{Shape::kMaxElements, 2}), ShapeError);
  // Zero extents count as one, so no batch can make the per-sample product wrap.
  constexpr std::int64_t k30 = std::int64_t{1} << 30;
  const Shape empty_batch{0, k30, k30};
  EXPECT_EQ(empty_batch.size(), 0u);
  EXPECT_EQ(empty_batch.size_per_sample(), std::size_t{1} << 60);
  EXPECT_THROW((Shape{0, k30, k30, 4}), ShapeError);
  EXPECT_THROW(empty_batch.with_batch(2), ShapeError);
  EXPECT_THROW(empty_batch.with_batch(-1), ShapeError);
}

TEST(Tensor, HugeShapeIsAShapeErrorNotAnEmptyBuffer) {
  constexpr std::int64_t k31 = std::int64_t{1} << 31;
  // Reported size 2^63 with capacity 0 before the shape checked its product.
  EXPECT_THROW(Tensor(Shape{k31, k31, 2}), ShapeError);
  Tensor t(Shape{2, 2});
  EXPECT_THROW(t.resize(Shape{k31, k31, 2}), ShapeError);
  EXPECT_EQ(t.shape(), (Shape{2, 2}));
}

TEST(Tensor, ZeroFilledAndAligned) {
  Tensor t(Shape{3, 5});
  EXPECT_EQ(t.size(), 15u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % Tensor::kAlignment, 0u);
  for (float v : t.span()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, MoveLeavesSourceEmptyAndCloneIsDeep) {
  Tensor a = Tensor::from(Shape{2, 2}, {1, 2, 3, 4});
  Tensor b = a.clone();
  b[0] = 10;
  EXPECT_EQ(a[0], 1.0f);
  Tensor c = std::move(a);
  EXPECT_EQ(c.at({1, 1}), 4.0f);
  EXPECT_TRUE(a.empty());  // moved-from: shape (0,), no storage
  EXPECT_TRUE(Tensor().empty());
  EXPECT_EQ(a.data(), nullptr);
}

TEST(Tensor, ResizeReusesStorageWhenItFits) {
  Tensor t(Shape{10, 10});
  const float* before = t.data();
  t.resize(Shape{5, 10});
  EXPECT_EQ(t.data(), before);
  t.resize(Shape{10, 10});
  EXPECT_EQ(t.data(), before);
  t.resize(Shape{20, 10});
  EXPECT_EQ(t.size(), 200u);
}

TEST(Tensor, ReshapeAndCheckedAccessNameShapes) {
  Tensor t(Shape{2, 6});
  t.reshape(Shape{3, 4});
  EXPECT_EQ(t.shape(), (Shape{3, 4}));
  try {
    t.reshape(Shape{5, 5});
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(3, 4)"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(5, 5)"), std::string::npos);
  }
  EXPECT_THROW(t.at({3, 0}), ShapeError);
  EXPECT_THROW(t.at({0}), ShapeError);
  EXPECT_THROW(Tensor::from(Shape{2}, {1.0f, 2.0f, 3.0f}), ShapeError);
}

TEST(Tensor, CheckShapeNamesBothSides) {
  try {
    check_shape(Shape{4, 10}, Shape{4, 9}, "Dense 'd1' input");
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "Dense 'd1' input: expected shape (4, 10) but got (4, 9)");
  }
}

}  // namespace
}  // namespace instnn
