// Data-parallel fit() over MPI (run by ctest as `mpirun -np 2 ... test_mpi_fit`):
// the collectives, and an MLP and a BatchNorm model trained one epoch by
// the processes against the same model trained by one process (run on each
// process, alone). Prints the largest relative weight difference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "instnn/core/metric.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/distributed/mpi_communicator.hpp"
#include "instnn/layers/batch_norm.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/dropout.hpp"

#include "support/weight_compare.hpp"

namespace instnn {
namespace {

using testing::all_weights;
using testing::max_relative_difference;
using testing::norm_relative_difference;

MpiCommunicator* world = nullptr;

TEST(MpiCommunicator, SumsAndBroadcasts) {
  ASSERT_GE(world->size(), 2) << "run under mpirun -np 2 (or more)";
  std::vector<float> f(1000, float(world->rank() + 1));
  world->allreduce_sum(std::span<float>(f));
  const float expected = float(world->size() * (world->size() + 1) / 2);
  EXPECT_TRUE(std::all_of(f.begin(), f.end(), [&](float v) { return v == expected; }));
  std::vector<double> d{double(world->rank())};
  world->allreduce_sum(std::span<double>(d));
  EXPECT_EQ(d[0], world->size() * (world->size() - 1) / 2.0);
  std::vector<float> b(3, float(world->rank()));
  world->broadcast(std::span<float>(b), 1);
  EXPECT_EQ(b, std::vector<float>(3, 1.0f));
  std::string text = world->is_root() ? "root's" : "";
  world->broadcast_string(text);
  EXPECT_EQ(text, "root's");
  world->barrier();
  EXPECT_NE(world->name().find("mpi"), std::string::npos) << world->name();
}

struct Blobs {
  Tensor x;
  std::vector<std::int32_t> labels;
  explicit Blobs(int n) : x(Shape{n, 8}) {
    Rng rng(17);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = rng.normal();
    for (int i = 0; i < n; ++i) labels.push_back((x[std::size_t(i) * 8] > 0) + 2 * (x[std::size_t(i) * 8 + 1] > 0));
  }
};

Sequential model(bool batch_norm, bool dropout = false, const nlohmann::json& optimizer = {{"type", "adam"}, {"learning_rate", 0.01}}) {
  Sequential m(Shape{8});
  m.add<Dense>(32, batch_norm ? "linear" : "relu");
  if (batch_norm) m.add<BatchNorm>();
  if (dropout) m.add<Dropout>(0.3f);
  m.add<Dense>(4);
  CompileOptions o;
  o.optimizer = optimizer;
  o.metrics = {"accuracy"};
  o.seed = 7;
  o.threads = 1;
  m.compile(o);
  return m;
}

const nlohmann::json kSgd = {{"type", "sgd"}, {"learning_rate", 0.05}, {"momentum", 0.9}};
const nlohmann::json kAdam = {{"type", "adam"}, {"learning_rate", 0.01}};

// One process with the same global batch (or, with BatchNorm, the same
// batches as each process normalises: N accumulated batches of B/N).
// Adam divides by the root of each gradient's second moment, so a weight
// whose gradient is near zero can move by a whole step on a summation-order
// difference: for it the test bounds the norm-wise difference; for SGD
// the element-wise one.
void expect_equivalent(bool batch_norm, int rows, int batch, const nlohmann::json& optimizer) {
  Blobs data(rows);
  TensorDataSource source(data.x, data.labels);
  Sequential parallel = model(batch_norm, false, optimizer);
  const History hp = parallel.fit(source, {.epochs = 1, .batch_size = batch, .verbose = 0, .communicator = world});
  Sequential single = model(batch_norm, false, optimizer);
  const FitOptions alone = batch_norm
                               ? FitOptions{.epochs = 1, .batch_size = batch / world->size(), .verbose = 0,
                                            .accumulate = world->size()}
                               : FitOptions{.epochs = 1, .batch_size = batch, .verbose = 0};
  const History hs = single.fit(source, alone);
  const double diff = max_relative_difference(all_weights(parallel), all_weights(single));
  const double norm_diff = norm_relative_difference(all_weights(parallel), all_weights(single));
  const double loss_p = hp.epochs.at(0).logs.at("loss"), loss_s = hs.epochs.at(0).logs.at("loss");
  if (world->is_root())
    std::printf("%s (%s), %d rows, batch %d: %d processes vs 1: relative weight difference max %.3g, "
                "norm-wise %.3g; epoch loss %.9f vs %.9f\n",
                batch_norm ? "BatchNorm model" : "MLP", optimizer.at("type").get<std::string>().c_str(), rows, batch,
                world->size(), diff, norm_diff, loss_p, loss_s);
  EXPECT_LT(optimizer.at("type") == "adam" ? norm_diff : diff, 1e-5);
  if (batch_norm) {
    // For the record: one process with batch B normalises B rows at once,
    // which N processes do not (README: BatchNorm uses each process's
    // own batch statistics).
    Sequential whole = model(true, false, optimizer);
    whole.fit(source, {.epochs = 1, .batch_size = batch, .verbose = 0});
    if (world->is_root())
      std::printf("  (against one process with batch %d instead: max %.3g, norm-wise %.3g)\n", batch,
                  max_relative_difference(all_weights(parallel), all_weights(whole)),
                  norm_relative_difference(all_weights(parallel), all_weights(whole)));
  }
  EXPECT_NEAR(loss_p, loss_s, 1e-5 * loss_s);
  EXPECT_NEAR(hp.epochs.at(0).logs.at("accuracy"), hs.epochs.at(0).logs.at("accuracy"), 1e-12);
  // Every process ends with the same weights (and BatchNorm statistics).
  std::vector<float> mine = all_weights(parallel);
  for (const NamedTensor& t : parallel.state()) mine.insert(mine.end(), t.tensor->span().begin(), t.tensor->span().end());
  std::vector<float> roots = mine;
  world->broadcast(std::span<float>(roots));
  EXPECT_EQ(mine, roots);
}

TEST(MpiFit, MlpEqualsOneProcessWithTheSameGlobalBatch) {
  for (const nlohmann::json& optimizer : {kSgd, kAdam}) {
    expect_equivalent(false, 512, 32, optimizer);
    expect_equivalent(false, 203, 24, optimizer);  // uneven: the last batch has 11 rows
  }
}

TEST(MpiFit, BatchNormModelEqualsOneProcessAccumulatingTheProcessesBatches) {
  for (const nlohmann::json& optimizer : {kSgd, kAdam}) expect_equivalent(true, 512, 32, optimizer);
}

TEST(MpiFit, DropoutMasksDifferPerProcessButWeightsStayEqual) {
  Blobs data(128);
  TensorDataSource source(data.x, data.labels);
  Sequential m = model(false, true);
  m.fit(source, {.epochs = 1, .batch_size = 32, .verbose = 0, .communicator = world});
  std::vector<float> mine = all_weights(m), roots = mine;
  world->broadcast(std::span<float>(roots));
  EXPECT_EQ(mine, roots);
  // The last mask of each process: different data drew different masks.
  const Tensor& mask = static_cast<const Dropout&>(m.layer(1)).mask(0);
  std::vector<float> masks(mask.span().begin(), mask.span().end()), root_mask = masks;
  world->broadcast(std::span<float>(root_mask));
  if (!world->is_root()) {
    EXPECT_NE(masks, root_mask);
  }
}

}  // namespace
}  // namespace instnn

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  auto comm = std::make_unique<instnn::MpiCommunicator>();
  instnn::world = comm.get();
  const int failed = RUN_ALL_TESTS();
  double any = failed ? 1 : 0;
  comm->allreduce_sum(std::span<double>(&any, 1));
  return any > 0 ? 1 : 0;
}
