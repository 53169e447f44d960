// Two models training at the same time on the blas backend, each from its
// own std::thread, end with bitwise the weights each gets when trained
// alone: a backend's thread count and workspaces are its own, nothing
// process-wide is changed under the other model.
#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "instnn/core/random.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/layers/conv2d.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/flatten.hpp"

namespace instnn {
namespace {

struct ToyImages {
  Tensor x;
  std::vector<std::int32_t> labels;
  explicit ToyImages(int n) : x(Shape{n, 1, 8, 8}) {
    Rng rng(7);
    for (float& v : x.span()) v = rng.uniform(-1.0f, 1.0f);
    for (int i = 0; i < n; ++i) labels.push_back(x.at({i, 0, 0, 0}) > 0 ? 1 : 0);
  }
};

// A direct-kernel conv (9 taps), an im2col conv (36 taps) and a Dense whose
// GEMMs (batch 256 x 256 x 512) are large enough to be split over threads.
std::vector<float> train(int threads, std::uint64_t seed, const ToyImages& data) {
  Sequential model(Shape{1, 8, 8});
  model.add<Conv2D>(Conv2DOptions(4, 3).padding("same").activation("relu"), "conv1");
  model.add<Conv2D>(Conv2DOptions(4, 3).padding("same").activation("relu"), "conv2");
  model.add<Flatten>("flatten");
  model.add<Dense>(512, "relu", "hidden");
  model.add<Dense>(2, "linear", "head");
  CompileOptions compile;
  compile.backend = "blas";
  compile.seed = seed;
  compile.threads = threads;
  model.compile(compile);
  FitOptions fit;
  fit.epochs = 2;
  fit.batch_size = 256;
  fit.verbose = 0;
  model.fit(TensorDataSource(data.x, data.labels), fit);
  std::vector<float> weights;
  for (const Parameter* p : model.params())
    weights.insert(weights.end(), p->value.span().begin(), p->value.span().end());
  return weights;
}

TEST(ConcurrentTraining, TwoModelsOnTwoThreadsMatchTrainingAlone) {
  const ToyImages data(512);
  for (const int threads : {1, 2, 3}) {
    const std::vector<float> alone_a = train(threads, 11, data);
    const std::vector<float> alone_b = train(threads == 1 ? 2 : 1, 12, data);
    std::vector<float> together_a, together_b;
    std::thread a([&] { together_a = train(threads, 11, data); });
    std::thread b([&] { together_b = train(threads == 1 ? 2 : 1, 12, data); });
    a.join();
    b.join();
    EXPECT_EQ(together_a, alone_a) << "model A at " << threads << " threads";
    EXPECT_EQ(together_b, alone_b) << "model B";
  }
}

}  // namespace
}  // namespace instnn
