// Data-parallel training without MPI: the batch sampler, the single-process
// communicator, metric merging, and fit() over a group of threads (each
// one "process") against one process with the same global batch. The same
// checks run under mpirun in tests/mpi/.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "instnn/core/batch_sampler.hpp"
#include "instnn/core/communicator.hpp"
#include "instnn/core/error.hpp"
#include "instnn/core/metric.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/layers/batch_norm.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/losses.hpp"

#include "support/thread_group.hpp"
#include "support/weight_compare.hpp"

namespace instnn {
namespace {

using testing::all_weights;
using testing::max_relative_difference;
using testing::ThreadGroup;

TEST(BatchSampler, SharesSplitEveryBatchContiguouslyAndAsEvenlyAsPossible) {
  for (int procs : {1, 2, 3, 5}) {
    for (std::size_t n : {1u, 7u, 23u, 64u}) {
      std::vector<BatchSampler> samplers;
      for (int r = 0; r < procs; ++r) {
        samplers.emplace_back(8, r, procs);
        Rng rng(11);
        samplers.back().start_epoch(rng, n, true);
      }
      ASSERT_EQ(samplers[0].batches(), (n + 7) / 8);
      for (std::size_t b = 0; b < samplers[0].batches(); ++b) {
        const std::size_t rows = samplers[0].batch_rows(b);
        std::vector<std::size_t> joined;
        std::size_t smallest = rows, largest = 0;
        for (const BatchSampler& s : samplers) {
          EXPECT_EQ(s.order()[0], samplers[0].order()[0]) << "the epoch order is the same on every process";
          const auto share = s.share(b);
          joined.insert(joined.end(), share.begin(), share.end());
          smallest = std::min(smallest, share.size());
          largest = std::max(largest, share.size());
        }
        // In rank order the shares are exactly the global batch.
        const auto global = samplers[0].order().subspan(b * 8, rows);
        EXPECT_EQ(joined, std::vector<std::size_t>(global.begin(), global.end()));
        EXPECT_LE(largest - smallest, 1u);
      }
    }
  }
}

TEST(BatchSampler, OrderIsAPermutationDrawnFromTheGenerator) {
  BatchSampler s(4);
  Rng a(3), b(3);
  s.start_epoch(a, 10, true);
  std::vector<std::size_t> expected;
  b.shuffled_order(expected, 10, true);
  EXPECT_EQ(std::vector<std::size_t>(s.order().begin(), s.order().end()), expected);
  s.start_epoch(a, 10, false);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(s.order()[i], i);
  EXPECT_EQ(s.share(2).size(), 2u);
  EXPECT_THROW(s.share(3), ConfigError);
  EXPECT_THROW(BatchSampler(0), ConfigError);
  EXPECT_THROW(BatchSampler(4, 2, 2), ConfigError);
  EXPECT_THROW(BatchSampler(4, -1, 2), ConfigError);
}

TEST(SingleProcess, CollectivesAreIdentities) {
  Communicator& c = single_process();
  EXPECT_EQ(c.rank(), 0);
  EXPECT_EQ(c.size(), 1);
  EXPECT_TRUE(c.is_root());
  std::vector<float> f{1.5f, -2};
  std::vector<double> d{3};
  c.allreduce_sum(std::span<float>(f));
  c.allreduce_sum(std::span<double>(d));
  c.broadcast(std::span<float>(f));
  c.barrier();
  EXPECT_EQ(f, (std::vector<float>{1.5f, -2}));
  EXPECT_EQ(d[0], 3);
  std::string text = "kept";
  c.broadcast_string(text);
  EXPECT_EQ(text, "kept");
  EXPECT_THROW(c.broadcast(std::span<float>(f), 1), ConfigError);
}

TEST(ThreadGroup, SumsAndBroadcastsInRankOrder) {
  ThreadGroup group(3);
  group.run([](Communicator& c) {
    std::vector<float> v{float(c.rank()), 1};
    c.allreduce_sum(std::span<float>(v));
    EXPECT_EQ(v, (std::vector<float>{3, 3}));
    std::string text = c.rank() == 1 ? "from one" : "";
    c.broadcast_string(text, 1);
    EXPECT_EQ(text, "from one");
  });
}

// Random rows and labels; the same on every "process".
struct Blobs {
  Tensor x;
  std::vector<std::int32_t> labels;
  Tensor onehot;
  Blobs(int n, int features, int classes, std::uint64_t seed = 1)
      : x(Shape{n, features}), onehot(Shape{n, classes}) {
    Rng rng(seed);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
    for (int i = 0; i < n; ++i) {
      const int label = static_cast<int>((x[static_cast<std::size_t>(i * features)] > 0) +
                                         2 * (x[static_cast<std::size_t>(i * features + 1)] > 0)) % classes;
      labels.push_back(label);
      onehot[static_cast<std::size_t>(i * classes + label)] = 1;
    }
  }
};

void expect_merged_metric(const std::string& name, const Loss& loss, const Tensor& pred, const Targets& all,
                          const std::function<Targets(std::size_t, std::size_t, Tensor&)>& part) {
  auto single = make_metric(name, loss);
  single->update(pred, all);
  const double expected = single->result();
  const std::size_t n = static_cast<std::size_t>(pred.dim(0));
  ThreadGroup group(2);
  group.run([&](Communicator& c) {
    auto m = make_metric(name, loss);
    const std::size_t begin = BatchSampler::share_begin(n, c.rank(), 2);
    const std::size_t end = BatchSampler::share_begin(n, c.rank() + 1, 2);
    const std::size_t cols = pred.shape().size_per_sample();
    Tensor rows(Shape{static_cast<std::int64_t>(end - begin), static_cast<std::int64_t>(cols)});
    std::copy(pred.data() + begin * cols, pred.data() + end * cols, rows.data());
    Tensor target_rows;
    m->update(rows, part(begin, end, target_rows));
    m->merge(c);
    EXPECT_NEAR(m->result(), expected, 1e-12) << name;
  });
}

TEST(Metric, MergedStateEqualsTheMetricOfAllRows) {
  Blobs data(37, 4, 3);
  Tensor logits(Shape{37, 3});
  Rng rng(9);
  for (std::size_t i = 0; i < logits.size(); ++i) logits[i] = rng.normal();
  SoftmaxCrossEntropy ce;
  Targets all{data.labels, nullptr};
  expect_merged_metric("accuracy", ce, logits, all, [&](std::size_t b, std::size_t e, Tensor&) {
    return Targets{std::span<const std::int32_t>(data.labels).subspan(b, e - b), nullptr};
  });

  Tensor scores(Shape{37, 1}), truth(Shape{37, 1});
  for (std::size_t i = 0; i < 37; ++i) {
    scores[i] = rng.normal();
    truth[i] = (scores[i] + rng.normal() > 0) ? 1.0f : 0.0f;
  }
  BinaryCrossEntropy bce(true);
  Targets dense{{}, &truth};
  auto dense_part = [&](std::size_t b, std::size_t e, Tensor& t) {
    t = Tensor(Shape{static_cast<std::int64_t>(e - b), 1});
    std::copy(truth.data() + b, truth.data() + e, t.data());
    return Targets{{}, &t};
  };
  for (const char* name : {"auc", "binary_accuracy", "mse"}) expect_merged_metric(name, bce, scores, dense, dense_part);
}

Sequential mlp(bool batch_norm, const std::string& optimizer = "adam") {
  Sequential m(Shape{6});
  m.add<Dense>(12, batch_norm ? "linear" : "tanh");
  if (batch_norm) m.add<BatchNorm>();
  m.add<Dense>(3);
  CompileOptions o;
  o.optimizer = {{"type", optimizer}, {"learning_rate", 0.05}};
  o.metrics = {"accuracy"};
  o.seed = 3;
  o.threads = 1;
  m.compile(o);
  return m;
}

struct FitRun {
  std::vector<float> weights;
  std::vector<double> losses, accuracies;
};

FitRun run_single(bool batch_norm, FitOptions f, const std::string& optimizer = "adam") {
  Blobs data(61, 6, 3);
  TensorDataSource source(data.x, data.labels);
  Sequential m = mlp(batch_norm, optimizer);
  History h = m.fit(source, f);
  FitRun r{all_weights(m), {}, {}};
  for (const auto& e : h.epochs) {
    r.losses.push_back(e.logs.at("loss"));
    r.accuracies.push_back(e.logs.at("accuracy"));
  }
  return r;
}

std::vector<FitRun> run_group(int procs, bool batch_norm, FitOptions f, const std::string& optimizer = "adam") {
  std::vector<FitRun> runs(static_cast<std::size_t>(procs));
  ThreadGroup group(procs);
  group.run([&](Communicator& c) {
    FitOptions mine = f;
    mine.communicator = &c;
    runs[static_cast<std::size_t>(c.rank())] = run_single(batch_norm, mine, optimizer);
  });
  return runs;
}

TEST(DataParallelFit, TwoProcessesGiveTheWeightsOfOneWithTheSameGlobalBatch) {
  // 61 rows in batches of 8: the last batch has 5 rows (3 + 2 per process).
  // Adam for one epoch; SGD for three (Adam's normalisation lets float
  // summation order grow past 1e-5 relative over more steps).
  for (const auto& [optimizer, epochs] : {std::pair<std::string, int>{"adam", 1}, {"sgd", 3}})
    for (int procs : {2, 3}) {
      const FitOptions f{.epochs = epochs, .batch_size = 8, .verbose = 0};
      const FitRun one = run_single(false, f, optimizer);
      const std::vector<FitRun> group = run_group(procs, false, f, optimizer);
      for (const FitRun& r : group) {
        EXPECT_LT(max_relative_difference(r.weights, one.weights), 1e-5) << procs << " processes, " << optimizer;
        ASSERT_EQ(r.losses.size(), static_cast<std::size_t>(epochs));
        for (std::size_t e = 0; e < r.losses.size(); ++e) {
          EXPECT_NEAR(r.losses[e], one.losses[e], 1e-5 * one.losses[e]);
          EXPECT_NEAR(r.accuracies[e], one.accuracies[e], 1e-12);
        }
        EXPECT_EQ(r.weights, group[0].weights) << "every process holds the same weights";
      }
    }
}

TEST(DataParallelFit, AProcessWithNoRowsInABatchStillSteps) {
  // 61 rows in batches of 20: the last batch has 1 row, which process 0
  // does not get.
  const FitOptions f{.epochs = 1, .batch_size = 20, .verbose = 0};
  const FitRun one = run_single(false, f);
  for (const FitRun& r : run_group(2, false, f)) EXPECT_LT(max_relative_difference(r.weights, one.weights), 1e-5);
}

TEST(DataParallelFit, BatchNormWeightsEqualOneProcessAccumulatingTheProcessesBatches) {
  // Each process normalises its own share of a batch, as one process does
  // that accumulates N batches of B/N: the same weights.
  // 64 rows: batches of 8 split 4 + 4, as one process's pairs of batches of 4.
  Blobs data(64, 6, 3);
  TensorDataSource source(data.x, data.labels);
  Sequential single = mlp(true);
  History hs = single.fit(source, {.epochs = 1, .batch_size = 4, .verbose = 0, .accumulate = 2});
  std::vector<std::vector<float>> parallel(2);
  std::vector<double> loss(2);
  ThreadGroup group(2);
  group.run([&](Communicator& c) {
    Sequential m = mlp(true);
    History h = m.fit(source, {.epochs = 1, .batch_size = 8, .verbose = 0, .communicator = &c});
    parallel[static_cast<std::size_t>(c.rank())] = all_weights(m);
    loss[static_cast<std::size_t>(c.rank())] = h.epochs.at(0).logs.at("loss");
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_LT(max_relative_difference(parallel[static_cast<std::size_t>(r)], all_weights(single)), 1e-5);
    EXPECT_NEAR(loss[static_cast<std::size_t>(r)], hs.epochs[0].logs.at("loss"), 1e-5);
  }
}

TEST(DataParallelFit, BatchNormMovingStatisticsAreAveragedAcrossProcesses) {
  Blobs data(64, 6, 3);
  TensorDataSource source(data.x, data.labels);
  std::vector<std::vector<float>> stats(2);
  ThreadGroup group(2);
  group.run([&](Communicator& c) {
    Sequential m = mlp(true);
    m.fit(source, {.epochs = 1, .batch_size = 8, .verbose = 0, .communicator = &c});
    for (const NamedTensor& t : m.state())
      stats[static_cast<std::size_t>(c.rank())].insert(stats[static_cast<std::size_t>(c.rank())].end(),
                                                       t.tensor->span().begin(), t.tensor->span().end());
  });
  ASSERT_FALSE(stats[0].empty());
  EXPECT_EQ(stats[0], stats[1]);
}

TEST(DataParallelFit, StartsFromProcessZerosWeights) {
  Blobs data(16, 6, 3);
  TensorDataSource source(data.x, data.labels);
  std::vector<std::vector<float>> after(2);
  ThreadGroup group(2);
  group.run([&](Communicator& c) {
    Sequential m = mlp(false);
    // Process 1 starts from other weights; fit() makes them process 0's.
    if (c.rank() == 1)
      for (Parameter* p : m.params()) p->value.fill(0.25f);
    m.fit(source, {.epochs = 1, .batch_size = 16, .verbose = 0, .communicator = &c});
    after[static_cast<std::size_t>(c.rank())] = all_weights(m);
  });
  EXPECT_EQ(after[0], after[1]);
}

TEST(DataParallelFit, DifferentDataOnTheProcessesIsAConfigErrorEverywhere) {
  Blobs small(16, 6, 3), large(20, 6, 3);
  TensorDataSource a(small.x, small.labels), b(large.x, large.labels);
  ThreadGroup group(2);
  int errors = 0;
  std::mutex mutex;
  group.run([&](Communicator& c) {
    Sequential m = mlp(false);
    try {
      m.fit(c.rank() == 0 ? a : b, {.epochs = 1, .batch_size = 4, .verbose = 0, .communicator = &c});
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("different sizes"), std::string::npos) << e.what();
      std::lock_guard lock(mutex);
      ++errors;
    }
  });
  EXPECT_EQ(errors, 2);
}

struct CountingCallback : Callback {
  bool root = false;
  int epochs = 0;
  void on_epoch_end(Model&, TrainingState&, const EpochLogs&) override { ++epochs; }
  bool root_only() const override { return root; }
};

TEST(DataParallelFit, RootOnlyCallbacksRunOnProcessZeroAndStopsAreCollective) {
  Blobs data(32, 6, 3);
  TensorDataSource source(data.x, data.labels);
  std::vector<int> root_counts(2), all_counts(2), epochs(2);
  ThreadGroup group(2);
  group.run([&](Communicator& c) {
    CountingCallback writer, everywhere;
    writer.root = true;
    // Process 1 alone asks to stop after its second step.
    struct StopOnOne : Callback {
      int rank;
      explicit StopOnOne(int r) : rank(r) {}
      void on_batch_end(Model&, TrainingState& s) override {
        if (rank == 1 && s.epoch == 2 && s.batch == 2) s.stop_after_batch = true;
      }
    } stop(c.rank());
    Sequential m = mlp(false);
    m.fit(source, {.epochs = 3, .batch_size = 4, .callbacks = {&writer, &everywhere, &stop}, .verbose = 0,
                   .communicator = &c});
    const auto r = static_cast<std::size_t>(c.rank());
    root_counts[r] = writer.epochs;
    all_counts[r] = everywhere.epochs;
    epochs[r] = m.epochs_done();
  });
  EXPECT_EQ(root_counts, (std::vector<int>{1, 0}));
  EXPECT_EQ(all_counts, (std::vector<int>{1, 1}));
  EXPECT_EQ(epochs, (std::vector<int>{1, 1}));
}

TEST(Accumulate, KStepsOfBOverKAreOneStepOfBForSgd) {
  Blobs data(48, 6, 3);
  TensorDataSource source(data.x, data.labels);
  Sequential big = mlp(false, "sgd"), small = mlp(false, "sgd");
  History hb = big.fit(source, {.epochs = 2, .batch_size = 16, .verbose = 0});
  History hs = small.fit(source, {.epochs = 2, .batch_size = 4, .verbose = 0, .accumulate = 4});
  EXPECT_LT(max_relative_difference(all_weights(small), all_weights(big)), 1e-5);
  EXPECT_EQ(small.optimizer().iterations(), big.optimizer().iterations());
  EXPECT_NEAR(hs.epochs[1].logs.at("loss"), hb.epochs[1].logs.at("loss"), 1e-5);
  EXPECT_EQ(small.fit_settings().accumulate, 4);
  EXPECT_THROW(small.fit(source, {.epochs = 3, .accumulate = 0}), ConfigError);
}

}  // namespace
}  // namespace instnn
