// Crash safety of training: stopping after the current batch (the mechanism
// behind Ctrl-C in `instnn train`), resuming an interrupted run, and
// Inf/NaN gradients stopping fit() without touching the last checkpoint.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>

#include "instnn/core/error.hpp"
#include "instnn/core/file_util.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/layers/dense.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using testing::TempDir;

// Points in [-1,1]^2 labelled by quadrant.
struct Quadrants {
  Tensor x;
  std::vector<std::int32_t> labels;
  explicit Quadrants(int n) : x(Shape{n, 2}) {
    Rng rng(3);
    for (int i = 0; i < n; ++i) {
      x[2 * i] = rng.uniform(-1, 1);
      x[2 * i + 1] = rng.uniform(-1, 1);
      labels.push_back((x[2 * i] > 0 ? 1 : 0) + (x[2 * i + 1] > 0 ? 2 : 0));
    }
  }
};

Sequential small_model() {
  Sequential m(Shape{2});
  m.add<Dense>(8, "tanh");
  m.add<Dense>(4);
  m.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 0.01}}, .seed = 9});
  return m;
}

std::vector<float> weights(Sequential& m) {
  std::vector<float> w;
  for (Parameter* p : m.params()) w.insert(w.end(), p->value.span().begin(), p->value.span().end());
  return w;
}

// Raises a flag at a chosen (epoch, batch), as a signal handler would.
class RaiseAt : public Callback {
 public:
  RaiseAt(std::atomic<bool>& flag, int epoch, int batch) : flag_(flag), epoch_(epoch), batch_(batch) {}
  void on_batch_end(Model&, TrainingState& s) override {
    if (s.epoch == epoch_ && s.batch == batch_) flag_ = true;
  }

 private:
  std::atomic<bool>& flag_;
  int epoch_, batch_;
};

// Counts on_epoch_end calls and the batches seen.
class Counter : public Callback {
 public:
  void on_batch_end(Model&, TrainingState&) override { ++batches; }
  void on_epoch_end(Model&, TrainingState&, const EpochLogs&) override { ++epochs; }
  int batches = 0, epochs = 0;
};

TEST(CrashSafety, StopOnFlagEndsFitAfterTheCurrentBatchWithoutCountingTheEpoch) {
  Quadrants q(64);
  TensorDataSource data(q.x, q.labels);
  Sequential m = small_model();
  std::atomic<bool> flag{false};
  RaiseAt raise(flag, 2, 3);
  StopOnFlag stop(flag);
  Counter counter;
  // RaiseAt runs before StopOnFlag, so the stop happens after batch 3 itself.
  FitOptions f{.epochs = 4, .batch_size = 8, .verbose = 0};
  f.callbacks = {&raise, &stop, &counter};
  History h = m.fit(data, f);

  EXPECT_TRUE(stop.stopped());
  EXPECT_EQ(stop.stopped_epoch(), 2);
  EXPECT_EQ(stop.stopped_batch(), 3);
  EXPECT_EQ(stop.batches(), 8);
  EXPECT_EQ(counter.batches, 8 + 3);
  EXPECT_EQ(counter.epochs, 1) << "the unfinished epoch must not reach on_epoch_end";
  EXPECT_EQ(m.epochs_done(), 1);
  EXPECT_EQ(m.target_epochs(), 4);
  EXPECT_EQ(h.epochs.size(), 1u);
}

TEST(CrashSafety, InterruptedCheckpointResumesTheUnfinishedEpochUpToTheTarget) {
  TempDir dir;
  const std::string ckpt = (dir / "run.ckpt").string();
  Quadrants q(64);
  TensorDataSource data(q.x, q.labels);
  Sequential m = small_model();
  std::atomic<bool> flag{false};
  RaiseAt raise(flag, 3, 5);
  StopOnFlag stop(flag);
  ModelCheckpoint checkpoint(ckpt);
  FitOptions f{.epochs = 5, .batch_size = 8, .verbose = 0};
  f.callbacks = {&raise, &stop, &checkpoint};
  m.fit(data, f);
  ASSERT_TRUE(stop.stopped());
  // What `instnn train` does on Ctrl-C: save the partly trained weights.
  m.save(ckpt);
  const auto interrupted_weights = weights(m);

  Sequential resumed = Sequential::load(ckpt);
  EXPECT_EQ(resumed.epochs_done(), 2);
  EXPECT_EQ(resumed.target_epochs(), 5);
  EXPECT_EQ(weights(resumed), interrupted_weights) << "the finished batches are kept";
  Counter counter;
  FitOptions r{.epochs = resumed.target_epochs(), .batch_size = 8, .verbose = 0,
               .initial_epoch = resumed.epochs_done()};
  r.callbacks = {&counter};
  History h = resumed.fit(data, r);
  EXPECT_EQ(counter.epochs, 3) << "epochs 3 (again), 4 and 5";
  EXPECT_EQ(resumed.epochs_done(), 5);
  ASSERT_EQ(h.epochs.size(), 5u);
  for (int e = 0; e < 5; ++e) EXPECT_EQ(h.epochs[static_cast<std::size_t>(e)].epoch, e + 1);
}

// Identity layer whose parameter gradient turns non-finite at one batch,
// while the loss stays finite: only the gradient check can catch it.
class PoisonGradient : public Layer {
 public:
  PoisonGradient(int bad_call, float bad_value) : Layer("poison"), bad_call_(bad_call), bad_(bad_value) {}
  std::string type() const override { return "PoisonGradient"; }
  void build(const Shape& input_shape, Rng&) override {
    w_ = Parameter("poison.w", Shape{3});
    mark_built(input_shape);
  }
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode) override {
    y_.resize(x.shape());
    y_.copy_from(x);
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool) override {
    dx_.resize(dy.shape());
    dx_.copy_from(dy);
    w_.grad_beta();  // marks the gradient written: this layer assigns it
    w_.grad.fill(0);
    if (++calls_ == bad_call_) w_.grad[1] = bad_;
    return dx_;
  }
  std::vector<Parameter*> params() override { return {&w_}; }
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }

 private:
  int bad_call_, calls_ = 0;
  float bad_;
  Parameter w_;
  Tensor y_, dx_;
};

class GradientPoisoning : public ::testing::TestWithParam<float> {};

TEST_P(GradientPoisoning, StopsWithNumericErrorAndKeepsTheLastCheckpoint) {
  TempDir dir;
  const std::string ckpt = (dir / "good.ckpt").string();
  Quadrants q(32);
  TensorDataSource data(q.x, q.labels);
  Sequential m(Shape{2});
  m.add<Dense>(4);
  // 4 batches per epoch: call 7 is epoch 2, batch 3.
  m.add(std::make_unique<PoisonGradient>(7, GetParam()));
  m.compile({.optimizer = "sgd", .seed = 1});
  ModelCheckpoint checkpoint(ckpt);
  // Keeps the checkpoint's bytes as written at the end of each epoch.
  struct Snapshot : Callback {
    std::string path, bytes;
    int epoch = 0;
    void on_epoch_end(Model&, TrainingState& s, const EpochLogs&) override {
      bytes = read_file(path);
      epoch = s.epoch;
    }
  } snapshot;
  snapshot.path = ckpt;
  FitOptions f{.epochs = 3, .batch_size = 8, .shuffle = false, .verbose = 0};
  f.callbacks = {&checkpoint, &snapshot};
  try {
    m.fit(data, f);
    FAIL() << "expected NumericError";
  } catch (const NumericError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'poison.w'"), std::string::npos) << what;
    EXPECT_NE(what.find("epoch 2, batch 3 of 4"), std::string::npos) << what;
  }
  EXPECT_EQ(m.epochs_done(), 1);
  // The checkpoint of epoch 1 is still there, byte for byte; the bad step
  // was never applied to the weights either.
  EXPECT_EQ(snapshot.epoch, 1);
  EXPECT_EQ(read_file(ckpt), snapshot.bytes);
  for (Parameter* p : m.params())
    for (float v : p->value.span()) ASSERT_TRUE(std::isfinite(v)) << p->name;
  const auto leftovers = std::distance(std::filesystem::directory_iterator(dir.path()),
                                       std::filesystem::directory_iterator{});
  EXPECT_EQ(leftovers, 1) << "no temporary file is left behind";
}

INSTANTIATE_TEST_SUITE_P(Values, GradientPoisoning,
                         ::testing::Values(std::numeric_limits<float>::quiet_NaN(),
                                           std::numeric_limits<float>::infinity(),
                                           -std::numeric_limits<float>::infinity()));

}  // namespace
}  // namespace instnn
