#include "instnn/data/dataset.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "instnn/core/error.hpp"
#include "instnn/data/normalizer.hpp"

namespace instnn {
namespace {

// n samples of `features` uint8 values: sample i holds i*features + f (mod 256);
// class id i % classes.
Dataset uint8_dataset(std::size_t n, std::size_t features, int classes = 10) {
  std::vector<std::uint8_t> x(n * features);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<std::uint8_t>(i);
  std::vector<std::int32_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = static_cast<std::int32_t>(i % classes);
  return Dataset::from_uint8(std::move(x), Shape{static_cast<std::int64_t>(features)},
                             1.0f / 255.0f, Labels::class_ids(std::move(ids), classes));
}

// Sample id of each row of a batch from a dataset whose first feature is i (float).
Dataset float_dataset(std::size_t n) {
  std::vector<float> x(n * 2);
  std::vector<float> y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[2 * i] = static_cast<float>(i);
    x[2 * i + 1] = -static_cast<float>(i);
    y[i] = 0.5f * static_cast<float>(i);
  }
  return Dataset::from_float(std::move(x), Shape{2}, Labels::targets(std::move(y), Shape{1}));
}

std::vector<std::size_t> sample_ids(const Batch& batch) {
  std::vector<std::size_t> ids;
  for (std::size_t b = 0; b < batch.size(); ++b)
    ids.push_back(static_cast<std::size_t>(batch.x[b * batch.x.shape().size_per_sample()]));
  return ids;
}

std::vector<std::vector<std::size_t>> epoch_orders(BatchIterator& it, int epochs) {
  std::vector<std::vector<std::size_t>> orders;
  Batch batch;
  for (int e = 0; e < epochs; ++e) {
    it.start_epoch();
    std::vector<std::size_t> order;
    while (it.next(batch)) {
      const auto ids = sample_ids(batch);
      order.insert(order.end(), ids.begin(), ids.end());
    }
    orders.push_back(order);
  }
  return orders;
}

TEST(Dataset, Uint8GatherScalesAndShapes) {
  Dataset ds = uint8_dataset(5, 6);
  EXPECT_EQ(ds.size(), 5u);
  EXPECT_TRUE(ds.is_uint8());
  EXPECT_TRUE(ds.has_class_ids());
  EXPECT_EQ(ds.num_classes(), 10);
  ds.set_sample_shape(Shape{1, 2, 3});
  Batch batch;
  const std::vector<std::size_t> indices = {4, 1};
  ds.gather(indices, batch);
  EXPECT_EQ(batch.x.shape(), (Shape{2, 1, 2, 3}));
  for (std::size_t f = 0; f < 6; ++f) {
    EXPECT_FLOAT_EQ(batch.x[f], static_cast<float>(24 + f) / 255.0f);
    EXPECT_FLOAT_EQ(batch.x[6 + f], static_cast<float>(6 + f) / 255.0f);
  }
  EXPECT_EQ(batch.y.shape(), (Shape{2}));
  EXPECT_EQ(batch.class_ids, (std::vector<std::int32_t>{4, 1}));
  EXPECT_FLOAT_EQ(batch.y[0], 4.0f);
  EXPECT_THROW(ds.set_sample_shape(Shape{7}), ShapeError);
}

TEST(Dataset, FloatTargetsGather) {
  Dataset ds = float_dataset(4);
  EXPECT_TRUE(ds.has_targets());
  EXPECT_EQ(ds.target_shape(), (Shape{1}));
  Batch batch;
  const std::vector<std::size_t> indices = {3, 0};
  ds.gather(indices, batch);
  EXPECT_EQ(batch.x.to_vector(), (std::vector<float>{3, -3, 0, 0}));
  EXPECT_EQ(batch.y.shape(), (Shape{2, 1}));
  EXPECT_EQ(batch.y.to_vector(), (std::vector<float>{1.5f, 0.0f}));
  EXPECT_TRUE(batch.class_ids.empty());
}

TEST(Dataset, FromTensorsCopiesAndChecksCounts) {
  const Tensor x = Tensor::from(Shape{3, 2}, {1, 2, 3, 4, 5, 6});
  const Tensor y = Tensor::from(Shape{3}, {7, 8, 9});
  Dataset ds = Dataset::from_tensors(x, y);
  EXPECT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.sample_shape(), (Shape{2}));
  const Batch all = ds.all();
  EXPECT_EQ(all.x.to_vector(), x.to_vector());
  EXPECT_EQ(all.y.shape(), (Shape{3}));
  EXPECT_EQ(all.y.to_vector(), y.to_vector());

  Dataset classes = Dataset::from_tensors(x, {0, 2, 1});
  EXPECT_EQ(classes.num_classes(), 3);
  EXPECT_THROW(Dataset::from_tensors(x, Tensor::from(Shape{2}, {1, 2})), ShapeError);
  EXPECT_THROW(Dataset::from_tensors(x, {0, 1}), ShapeError);
  EXPECT_THROW(Dataset::from_tensors(x, {0, -1, 1}), ConfigError);
  EXPECT_THROW(Dataset::from_tensors(x, {0, 5, 1}, 3), ConfigError);
  EXPECT_THROW(Dataset::from_float({1, 2, 3}, Shape{2}, Labels()), ShapeError);
}

TEST(Dataset, OutOfRangeIndexThrows) {
  Dataset ds = uint8_dataset(3, 2);
  Tensor x;
  const std::vector<std::size_t> bad = {0, 3};
  EXPECT_THROW(ds.gather_features(bad, x), ShapeError);
  EXPECT_THROW(Dataset().gather_features(bad, x), ConfigError);
}

TEST(Dataset, SplitTakesLastFractionAsViews) {
  Dataset ds = float_dataset(10);
  const TrainValidationSplit parts = split(ds, 0.25);  // floor(10 * 0.75) = 7
  EXPECT_EQ(parts.train.size(), 7u);
  EXPECT_EQ(parts.validation.size(), 3u);
  EXPECT_EQ(sample_ids(parts.validation.all()), (std::vector<std::size_t>{7, 8, 9}));
  EXPECT_EQ(sample_ids(parts.train.all()), (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(split(ds, 0.0).validation.size(), 0u);
  EXPECT_THROW(split(ds, 1.0), ConfigError);
  EXPECT_THROW(split(ds, -0.1), ConfigError);
  EXPECT_EQ(split(ds, 0.01).validation.size(), 1u);  // floor(9.9) = 9
  EXPECT_THROW(split(ds, 1e-18), ConfigError);       // 1 - 1e-18 == 1: no validation sample
}

TEST(Dataset, SplitAndFitCutWhereKerasDoes) {
  // Keras: split_at = int(n * (1 - validation_split)); the first split_at
  // samples train. fit() and split() share validation_split_point().
  EXPECT_EQ(validation_split_point(10, 0.25), 7u);
  EXPECT_EQ(validation_split_point(10, 0.0), 10u);
  EXPECT_EQ(validation_split_point(3, 0.5), 1u);  // int(1.5)
  EXPECT_THROW(validation_split_point(1, 0.5), ConfigError);    // no training sample
  EXPECT_THROW(validation_split_point(10, 1e-18), ConfigError); // no validation sample
  EXPECT_THROW(validation_split_point(10, 1.0), ConfigError);
}

TEST(Dataset, SubsetAndSliceCompose) {
  Dataset ds = float_dataset(10);
  Dataset sub = ds.subset({9, 2, 5, 7});
  EXPECT_EQ(sample_ids(sub.all()), (std::vector<std::size_t>{9, 2, 5, 7}));
  EXPECT_EQ(sample_ids(sub.slice(1, 2).all()), (std::vector<std::size_t>{2, 5}));
  EXPECT_EQ(sample_ids(ds.slice(3, 4).subset({3, 0}).all()), (std::vector<std::size_t>{6, 3}));
  EXPECT_THROW(ds.slice(8, 3), ShapeError);
  EXPECT_THROW(ds.subset({10}), ShapeError);
}

TEST(Dataset, NormalizedViewAppliesAffineAfterUint8Scale) {
  Dataset ds = uint8_dataset(6, 3);
  ZScoreNormalizer norm;
  norm.fit(ds);
  Dataset normalized = ds.normalized(norm);
  const Batch raw = ds.all();
  const Batch out = normalized.all();
  Tensor expected = norm.transform(raw.x);
  ASSERT_EQ(out.x.shape(), expected.shape());
  for (std::size_t i = 0; i < out.x.size(); ++i) EXPECT_NEAR(out.x[i], expected[i], 1e-5f);
  // Each feature of the normalised view has mean 0.
  for (std::size_t f = 0; f < 3; ++f) {
    double sum = 0;
    for (std::size_t r = 0; r < 6; ++r) sum += out.x[r * 3 + f];
    EXPECT_NEAR(sum / 6, 0.0, 1e-5);
  }
  MinMaxNormalizer wrong_width;
  wrong_width.fit(Tensor::from(Shape{2, 2}, {0, 1, 2, 3}));
  EXPECT_THROW(ds.normalized(wrong_width), ShapeError);
}

// ---- BatchIterator ----

TEST(BatchIterator, EverySampleExactlyOncePerEpochWithPartialLastBatch) {
  Dataset ds = float_dataset(10);
  BatchIterator it(ds, {.batch_size = 4, .seed = 7});
  EXPECT_EQ(it.batches_per_epoch(), 3u);
  Batch batch;
  for (int epoch = 0; epoch < 3; ++epoch) {
    it.start_epoch();
    std::vector<std::size_t> sizes, seen;
    while (it.next(batch)) {
      sizes.push_back(batch.size());
      EXPECT_EQ(batch.y.dim(0), static_cast<std::int64_t>(batch.size()));
      const auto ids = sample_ids(batch);
      seen.insert(seen.end(), ids.begin(), ids.end());
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{4, 4, 2}));
    std::sort(seen.begin(), seen.end());
    std::vector<std::size_t> all(10);
    std::iota(all.begin(), all.end(), std::size_t{0});
    EXPECT_EQ(seen, all);
  }
  EXPECT_EQ(it.epoch(), 3u);
}

TEST(BatchIterator, DropLastSkipsPartialBatch) {
  Dataset ds = float_dataset(10);
  BatchIterator it(ds, {.batch_size = 4, .drop_last = true, .seed = 7});
  EXPECT_EQ(it.batches_per_epoch(), 2u);
  Batch batch;
  int batches = 0;
  while (it.next(batch)) {
    EXPECT_EQ(batch.size(), 4u);
    ++batches;
  }
  EXPECT_EQ(batches, 2);
}

TEST(BatchIterator, DeterministicGivenSeedAndShufflesDifferentlyPerEpoch) {
  Dataset ds = float_dataset(50);
  BatchIterator a(ds, {.batch_size = 8, .seed = 123});
  BatchIterator b(ds, {.batch_size = 8, .seed = 123});
  BatchIterator c(ds, {.batch_size = 8, .seed = 124});
  const auto orders_a = epoch_orders(a, 3);
  EXPECT_EQ(orders_a, epoch_orders(b, 3));
  EXPECT_NE(orders_a, epoch_orders(c, 3));
  EXPECT_NE(orders_a[0], orders_a[1]);
  std::vector<std::size_t> identity(50);
  std::iota(identity.begin(), identity.end(), std::size_t{0});
  EXPECT_NE(orders_a[0], identity);
}

TEST(BatchIterator, NoShuffleKeepsOrder) {
  Dataset ds = float_dataset(5);
  BatchIterator it(ds, {.batch_size = 2, .shuffle = false});
  EXPECT_EQ(epoch_orders(it, 2), (std::vector<std::vector<std::size_t>>{{0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}}));
}

TEST(BatchIterator, StateRoundTripResumesExactlyMidEpoch) {
  Dataset ds = float_dataset(23);
  BatchIterator original(ds, {.batch_size = 5, .seed = 99});
  Batch batch;
  epoch_orders(original, 2);  // two finished epochs
  original.start_epoch();
  original.next(batch);
  original.next(batch);
  const BatchIterator::State saved = original.state();
  EXPECT_EQ(saved.epoch, 3u);
  EXPECT_EQ(saved.position, 10u);

  BatchIterator resumed(ds, {.batch_size = 5, .seed = 0});  // seed replaced by the state
  resumed.set_state(saved);
  // The rest of epoch 3, then epochs 4 and 5, are identical.
  for (int step = 0; step < 20; ++step) {
    Batch x, y;
    if (!original.next(x)) {
      EXPECT_FALSE(resumed.next(y));
      original.start_epoch();
      resumed.start_epoch();
      continue;
    }
    ASSERT_TRUE(resumed.next(y));
    EXPECT_EQ(sample_ids(x), sample_ids(y));
  }
  EXPECT_EQ(original.state().rng, resumed.state().rng);

  BatchIterator fresh(ds, {.batch_size = 5, .seed = 99});
  BatchIterator restored(ds, {.batch_size = 5, .seed = 1});
  restored.set_state(fresh.state());  // before any epoch
  EXPECT_EQ(epoch_orders(fresh, 2), epoch_orders(restored, 2));
  EXPECT_THROW(restored.set_state({{}, 1, 24}), ConfigError);
}

TEST(BatchIterator, NoReallocationAcrossBatches) {
  Dataset ds = uint8_dataset(103, 784);
  ds.set_sample_shape(Shape{1, 28, 28});
  BatchIterator it(ds, {.batch_size = 32, .seed = 1});
  Batch batch;
  ASSERT_TRUE(it.next(batch));
  const float* x_data = batch.x.data();
  const float* y_data = batch.y.data();
  const std::int32_t* ids_data = batch.class_ids.data();
  std::size_t batches = 1;
  for (int epoch = 0; epoch < 2; ++epoch) {
    while (it.next(batch)) {
      ++batches;
      EXPECT_EQ(batch.x.data(), x_data);
      EXPECT_EQ(batch.y.data(), y_data);
      EXPECT_EQ(batch.class_ids.data(), ids_data);
      // uint8 -> float happens here, per batch.
      for (float v : batch.x.span()) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
    }
    it.start_epoch();
  }
  EXPECT_EQ(batches, 8u);  // 4 batches (32, 32, 32, 7) x 2 epochs
  EXPECT_EQ(batch.x.shape(), (Shape{7, 1, 28, 28}));  // the last, partial batch
}

TEST(BatchIterator, RejectsZeroBatchSize) {
  EXPECT_THROW(BatchIterator(float_dataset(3), {.batch_size = 0}), ConfigError);
  EXPECT_THROW(BatchIterator(float_dataset(3), {.rank = 2, .processes = 2}), ConfigError);
}

// Data-parallel: with the same seed, the processes' shares of every batch
// are its contiguous, as-even-as-possible parts (BatchSampler, as fit()
// splits them), every process sees the same number of batches, and a
// process without a row of the last batch gets an empty one.
TEST(BatchIterator, ProcessesShareEveryBatchAsFitDoes) {
  Dataset ds = float_dataset(22);
  BatchIterator whole(ds, {.batch_size = 7, .seed = 5});
  std::vector<BatchIterator> parts;
  for (int r = 0; r < 3; ++r) parts.emplace_back(ds, BatchIteratorOptions{.batch_size = 7, .seed = 5, .rank = r, .processes = 3});
  Batch all, share;
  std::vector<std::size_t> sizes;
  while (whole.next(all)) {
    std::vector<std::size_t> joined;
    for (BatchIterator& p : parts) {
      ASSERT_TRUE(p.next(share));
      sizes.push_back(share.size());
      const std::vector<std::size_t> ids = sample_ids(share);
      joined.insert(joined.end(), ids.begin(), ids.end());
    }
    EXPECT_EQ(joined, sample_ids(all));
  }
  for (BatchIterator& p : parts) EXPECT_FALSE(p.next(share));
  // Batches of 7, 7, 7, 1 over 3 processes: 2+2+3 rows thrice, then 0, 0, 1.
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 3, 2, 2, 3, 2, 2, 3, 0, 0, 1}));
  EXPECT_EQ(parts[0].position(), 22u);
  EXPECT_THROW(parts[0].set_state({{}, 1, 3}), ConfigError);  // not at a batch boundary
}

}  // namespace
}  // namespace instnn
