// Metrics on small batches worked out by hand: accuracy (sparse labels,
// one-hot targets, one output), binary accuracy and its threshold, MAE, MSE;
// accumulation over batches, and the reduction evaluate() reports.
#include "instnn/core/metric.hpp"

#include <gtest/gtest.h>

#include "instnn/core/error.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/losses.hpp"

namespace instnn {
namespace {

const MeanSquaredError kMse;

// The metric `name` (for `loss`) after one update with dense targets.
double dense_result(const std::string& name, Shape shape, std::initializer_list<float> pred,
                    std::initializer_list<float> target, const Loss& loss = kMse) {
  auto metric = make_metric(name, loss);
  Tensor p = Tensor::from(shape, pred);
  Tensor t = Tensor::from(shape, target);
  metric->update(p, Targets{{}, &t});
  return metric->result();
}

TEST(Metrics, AccuracyWithSparseLabels) {
  const SoftmaxCrossEntropy ce;
  auto acc = make_metric("accuracy", ce);
  EXPECT_EQ(acc->name(), "accuracy");
  // Argmax per row: 1, 0, 1, 2 against labels 1, 1, 1, 2: 3 of 4.
  Tensor p = Tensor::from(Shape{4, 3}, {0.1f, 0.8f, 0.1f,  //
                                        0.6f, 0.3f, 0.1f,  //
                                        -1, 2, 1,          //
                                        0, 0, 5});
  const std::vector<std::int32_t> labels{1, 1, 1, 2};
  acc->update(p, Targets{labels, nullptr});
  EXPECT_DOUBLE_EQ(acc->result(), 0.75);
  // A second batch of 2 with 0 right: 3 of 6 overall (not the mean of 3/4 and 0).
  Tensor q = Tensor::from(Shape{2, 3}, {1, 0, 0, 0, 1, 0});
  const std::vector<std::int32_t> wrong{2, 2};
  acc->update(q, Targets{wrong, nullptr});
  EXPECT_DOUBLE_EQ(acc->result(), 0.5);
  acc->reset();
  EXPECT_DOUBLE_EQ(acc->result(), 0.0);
  acc->update(q, Targets{std::vector<std::int32_t>{0, 1}, nullptr});
  EXPECT_DOUBLE_EQ(acc->result(), 1.0);
}

TEST(Metrics, AccuracyWithOneHotTargets) {
  const SoftmaxCrossEntropy ce;
  // Row argmaxes 1, 0, 2 against one-hot targets 1, 2, 2: 2 of 3.
  const auto shape = Shape{3, 3};
  const auto pred = {0.1f, 0.8f, 0.1f, 0.6f, 0.3f, 0.1f, 0.0f, 0.2f, 0.9f};
  const auto target = {0.0f, 1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f, 1.0f};
  EXPECT_NEAR(dense_result("accuracy", shape, pred, target, ce), 2.0 / 3, 1e-12);
  EXPECT_NEAR(dense_result("categorical_accuracy", shape, pred, target, ce), 2.0 / 3, 1e-12);
  // Soft targets count by their argmax.
  EXPECT_NEAR(dense_result("accuracy", Shape{1, 3}, {0.2f, 0.5f, 0.3f}, {0.1f, 0.6f, 0.3f}, ce),
              1.0, 1e-12);
}

// Predictions 0.2, 0.8, -0.5, 0.5 for one output against targets 1, 1, 0, 1.
double on_threshold_batch(const std::string& name, const Loss& loss) {
  return dense_result(name, Shape{4, 1}, {0.2f, 0.8f, -0.5f, 0.5f}, {1, 1, 0, 1}, loss);
}

TEST(Metrics, BinaryAccuracyOnProbabilitiesThresholdsAtOneHalf) {
  const BinaryCrossEntropy probabilities(false);
  // 0.2 -> 0 (target 1: wrong), 0.8 -> 1 (right), -0.5 -> 0 (right),
  // 0.5 -> 0 (strictly greater than 0.5 is 1, as Keras; target 1: wrong).
  EXPECT_DOUBLE_EQ(on_threshold_batch("binary_accuracy", probabilities), 0.5);
  // "accuracy" with one output and float targets is binary accuracy.
  EXPECT_DOUBLE_EQ(on_threshold_batch("accuracy", probabilities), 0.5);
  EXPECT_DOUBLE_EQ(on_threshold_batch("accuracy", kMse), 0.5);
  // Several outputs per sample: every value counts (3 of 4 here).
  EXPECT_DOUBLE_EQ(dense_result("binary_accuracy", Shape{2, 2}, {0.9f, 0.1f, 0.6f, 0.7f},
                                {1, 0, 1, 0}, probabilities),
                   0.75);
}

TEST(Metrics, BinaryAccuracyOnLogitsThresholdsAtZero) {
  const BinaryCrossEntropy logits(true);
  // Logits 0.2 and 0.5 are probabilities above 1/2: now 4 of 4.
  EXPECT_DOUBLE_EQ(on_threshold_batch("binary_accuracy", logits), 1.0);
  EXPECT_DOUBLE_EQ(on_threshold_batch("accuracy", logits), 1.0);
  EXPECT_DOUBLE_EQ(dense_result("binary_accuracy", Shape{2, 1}, {-0.1f, 0.0f}, {1, 1}, logits), 0.0);
}

TEST(Metrics, MeanAbsoluteAndSquaredError) {
  // Differences 1, 2, -2, 0: |.| sums to 5, squares to 9, over 4 values.
  const auto pred = {1.0f, 2.0f, 3.0f, 4.0f};
  const auto target = {0.0f, 0.0f, 5.0f, 4.0f};
  EXPECT_DOUBLE_EQ(dense_result("mae", Shape{2, 2}, pred, target), 1.25);
  EXPECT_DOUBLE_EQ(dense_result("mean_absolute_error", Shape{2, 2}, pred, target), 1.25);
  EXPECT_DOUBLE_EQ(dense_result("mse", Shape{2, 2}, pred, target), 2.25);
  EXPECT_DOUBLE_EQ(dense_result("mean_squared_error", Shape{4, 1}, pred, target), 2.25);

  // Over two batches: the mean over all values (3 values in all).
  auto mae = make_metric("mae", kMse);
  Tensor a = Tensor::from(Shape{2, 1}, {1, 1});
  Tensor b = Tensor::from(Shape{1, 1}, {4});
  Tensor zeros2(Shape{2, 1}), zeros1(Shape{1, 1});
  mae->update(a, Targets{{}, &zeros2});
  mae->update(b, Targets{{}, &zeros1});
  EXPECT_DOUBLE_EQ(mae->result(), 2.0);  // (1 + 1 + 4) / 3, not (1 + 4) / 2
}

TEST(Metrics, WrongTargetsAndNamesAreConfigErrors) {
  const SoftmaxCrossEntropy ce;
  Tensor p(Shape{2, 1});
  const std::vector<std::int32_t> labels{0, 1};
  for (const char* name : {"binary_accuracy", "mae", "mse"}) {
    auto m = make_metric(name, ce);
    EXPECT_THROW(m->update(p, Targets{labels, nullptr}), ConfigError) << name;
  }
  try {
    make_metric("f1", ce);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'f1'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("binary_accuracy"), std::string::npos) << e.what();
  }
}

// ROC AUC by counting every (positive, negative) pair: 1 when the positive
// scores higher, 1/2 on a tie.
double brute_force_auc(const std::vector<float>& scores, const std::vector<float>& labels) {
  double wins = 0, pairs = 0;
  for (std::size_t i = 0; i < scores.size(); ++i)
    for (std::size_t j = 0; j < scores.size(); ++j)
      if (labels[i] == 1 && labels[j] == 0) {
        pairs += 1;
        wins += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
      }
  return wins / pairs;
}

TEST(Metrics, AucOfSmallCasesWorkedOutByHand) {
  const BinaryCrossEntropy bce;
  EXPECT_EQ(make_metric("auc", bce)->name(), "auc");
  // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs.
  EXPECT_DOUBLE_EQ(dense_result("auc", Shape{4, 1}, {0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}, bce), 0.75);
  // A tie between a positive and a negative counts one half: 3.5 of 4.
  EXPECT_DOUBLE_EQ(dense_result("auc", Shape{4, 1}, {0.5f, 0.5f, 0.2f, 0.9f}, {1, 0, 0, 1}, bce), 0.875);
  // Every score equal: 0.5; perfectly reversed: 0; targets of shape [B].
  EXPECT_DOUBLE_EQ(dense_result("auc", Shape{3}, {2, 2, 2}, {1, 0, 1}, bce), 0.5);
  EXPECT_DOUBLE_EQ(dense_result("auc", Shape{3}, {3, 2, 1}, {0, 1, 1}, bce), 0.0);
  // One class only: no ranking to judge, 0.5 (not NaN).
  EXPECT_DOUBLE_EQ(dense_result("auc", Shape{2, 1}, {0.1f, 0.9f}, {1, 1}, bce), 0.5);
  EXPECT_DOUBLE_EQ(dense_result("auc", Shape{2, 1}, {0.1f, 0.9f}, {0, 0}, bce), 0.5);
  auto empty = make_metric("auc", bce);
  EXPECT_DOUBLE_EQ(empty->result(), 0.5);
}

TEST(Metrics, AucOverBatchesEqualsABruteForcePairCountWithTies) {
  const BinaryCrossEntropy logits(true);
  auto auc = make_metric("auc", logits);
  Rng rng(17);
  for (int round = 0; round < 2; ++round) {  // the second after a reset
    auc->reset();
    std::vector<float> scores, labels;
    for (int batch = 0; batch < 9; ++batch) {
      const int rows = 1 + batch * 7;
      Tensor p(Shape{rows, 1}), t(Shape{rows, 1});
      for (int r = 0; r < rows; ++r) {
        // Scores on a grid of 12 values (many ties), labels correlated with them.
        p[r] = std::floor(rng.uniform(0, 12)) / 4 - 1.5f;
        t[r] = rng.uniform(0, 1) < 0.3 + 0.04 * p[r] * 4 ? 1.0f : 0.0f;
        scores.push_back(p[r]);
        labels.push_back(t[r]);
      }
      if (batch % 2 == 0) {
        auc->update(p, Targets{{}, &t});
      } else {
        std::vector<std::int32_t> ids(labels.end() - rows, labels.end());
        auc->update(p, Targets{ids, nullptr});  // sparse 0/1 labels count alike
      }
      if (batch == 4) {
        EXPECT_NEAR(auc->result(), brute_force_auc(scores, labels), 1e-12);
      }
    }
    const double expected = brute_force_auc(scores, labels);
    EXPECT_GT(expected, 0.55);
    EXPECT_LT(expected, 0.95);
    EXPECT_NEAR(auc->result(), expected, 1e-12);
    // The per-batch value fit shows is the exact one once asked for.
    EXPECT_NEAR(auc->running_result(), expected, 1e-12);
  }
}

TEST(Metrics, AucNeedsOneOutputAndZeroOneTargets) {
  const BinaryCrossEntropy bce;
  auto auc = make_metric("auc", bce);
  Tensor wide(Shape{2, 2}), t2(Shape{2, 2});
  try {
    auc->update(wide, Targets{{}, &t2});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("one output value"), std::string::npos) << e.what();
  }
  Tensor p(Shape{3, 1});
  Tensor soft = Tensor::from(Shape{3, 1}, {0, 1, 0.7f});
  try {
    auc->update(p, Targets{{}, &soft});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("0.7"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row 2"), std::string::npos) << e.what();
  }
  const std::vector<std::int32_t> classes{0, 2, 1};
  EXPECT_THROW(auc->update(p, Targets{classes, nullptr}), ConfigError);
}

// "auc" is reported like the other metrics: in every epoch's logs, for the
// validation data as val_auc, and by evaluate(), where it is the AUC of
// the model's outputs over the whole data set (not a mean over batches).
TEST(Metrics, AucAppearsInFitLogsAndEvaluate) {
  const int n = 96;
  Tensor x(Shape{n, 3}), y(Shape{n, 1});
  Rng rng(4);
  for (int i = 0; i < n; ++i) {
    float s = 0;
    for (int f = 0; f < 3; ++f) s += (x[std::size_t(i) * 3 + f] = rng.uniform(-1, 1)) * float(f + 1);
    y[i] = s + rng.uniform(-1.5f, 1.5f) > 0 ? 1.0f : 0.0f;
  }
  TensorDataSource data(x, y);
  Sequential m(Shape{3});
  m.add<Dense>(4, "tanh");
  m.add<Dense>(1);
  CompileOptions o;
  o.loss = {{"type", "binary_cross_entropy"}, {"from_logits", true}};
  o.optimizer = {{"type", "adam"}, {"learning_rate", 0.05}};
  o.metrics = {"accuracy", "auc"};
  o.backend = "reference";
  m.compile(o);
  FitOptions f;
  f.epochs = 8;
  f.batch_size = 10;
  f.validation_split = 0.25;
  f.verbose = 0;
  const History h = m.fit(data, f);
  ASSERT_EQ(h.values("auc").size(), 8u);
  ASSERT_EQ(h.values("val_auc").size(), 8u);
  for (double v : h.values("auc")) EXPECT_TRUE(v >= 0 && v <= 1) << v;

  const EvaluationResult r = m.evaluate(data, 7);
  ASSERT_TRUE(r.contains("auc"));
  const Tensor logits = m.predict(x);
  const std::vector<float> scores = logits.to_vector(), labels = y.to_vector();
  EXPECT_NEAR(r.at("auc"), brute_force_auc(scores, labels), 1e-12);
  EXPECT_GT(r.at("auc"), 0.7);
  // A softmax model's outputs are not one score per sample.
  Sequential wide(Shape{3});
  wide.add<Dense>(2);
  o.loss = "softmax_cross_entropy";
  wide.compile(o);
  const std::vector<std::int32_t> ids(n, 1);
  EXPECT_THROW(wide.evaluate(TensorDataSource(x, ids)), ConfigError);
}

// evaluate() on a model whose output is its input (a 2x2 identity Dense),
// so predictions are known exactly. 5 samples in batches of 2, 2 and 1.
class EvaluateReduction : public ::testing::TestWithParam<int> {
 protected:
  Tensor x = Tensor::from(Shape{5, 2}, {0.9f, 0.1f,  //
                                        0.2f, 0.8f,  //
                                        0.7f, 0.3f,  //
                                        0.6f, 0.4f,  //
                                        0.1f, 0.9f});
  // Classes 0, 1, 1, 1, 1: rows 0, 1 and 4 are right.
  Tensor y = Tensor::from(Shape{5, 2}, {1, 0, 0, 1, 0, 1, 0, 1, 0, 1});

  Sequential identity_model(const nlohmann::json& loss, std::vector<std::string> metrics) {
    Sequential m(Shape{2});
    m.add<Dense>(DenseOptions(2).kernel_initializer("zeros"));
    CompileOptions o;
    o.loss = loss;
    o.metrics = std::move(metrics);
    o.backend = "reference";
    m.compile(o);
    Tensor& kernel = m.params().at(0)->value;
    kernel[0] = kernel[3] = 1.0f;
    return m;
  }
};

TEST_P(EvaluateReduction, MeansOverSamplesNotOverBatches) {
  Sequential m = identity_model("mse", {"accuracy", "mae", "mse"});
  TensorDataSource data(x, y);
  const auto r = m.evaluate(data, GetParam());
  // Absolute differences per row (both columns equal): 0.1, 0.2, 0.7, 0.6,
  // 0.1; over the 10 values MAE = 3.4 / 10 and MSE = 1.82 / 10. (Means of
  // the batch means with batches of 2 would give accuracy 2/3, MAE 0.3,
  // MSE 0.153.)
  EXPECT_NEAR(r.at("accuracy"), 0.6, 1e-12);
  EXPECT_NEAR(r.at("mae"), 0.34, 1e-6);
  EXPECT_NEAR(r.at("mse"), 0.182, 1e-6);
  EXPECT_NEAR(r.at("loss"), 0.182, 1e-6);
}

TEST_P(EvaluateReduction, SparseLabelsWithCrossEntropy) {
  Sequential m = identity_model("softmax_cross_entropy", {"accuracy"});
  const std::vector<std::int32_t> labels{0, 1, 1, 1, 1};
  TensorDataSource data(x, labels);
  const auto r = m.evaluate(data, GetParam());
  EXPECT_NEAR(r.at("accuracy"), 0.6, 1e-12);
  // Each row [a, b] costs ln(1 + e^(other - own)): own-minus-other margins
  // 0.8, 0.6, -0.4, -0.2, 0.8.
  double expected = 0;
  for (double margin : {0.8, 0.6, -0.4, -0.2, 0.8}) expected += std::log1p(std::exp(-margin));
  EXPECT_NEAR(r.at("loss"), expected / 5, 1e-6);
}

// Each metric is reported under the name given to compile(): an alias
// stays the alias, in evaluate() and in fit's history (val_ too).
TEST_P(EvaluateReduction, ResultsUseTheNamesGivenToCompile) {
  Sequential m = identity_model("mse", {"acc", "mean_absolute_error"});
  TensorDataSource data(x, y);
  const auto r = m.evaluate(data, GetParam());
  EXPECT_NEAR(r.at("acc"), 0.6, 1e-12);
  EXPECT_NEAR(r.at("mean_absolute_error"), 0.34, 1e-6);
  EXPECT_EQ(r.count("accuracy"), 0u);
  EXPECT_EQ(r.count("mae"), 0u);
  std::vector<std::string> keys;
  for (const auto& [key, value] : r) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"acc", "loss", "mean_absolute_error"}));

  FitOptions f;
  f.epochs = 1;
  f.batch_size = GetParam();
  f.verbose = 0;
  f.validation_data = &data;
  const History h = m.fit(data, f);
  const auto& logs = h.epochs.back().logs;
  for (const char* key : {"acc", "mean_absolute_error", "val_acc", "val_mean_absolute_error"})
    EXPECT_EQ(logs.count(key), 1u) << key;
  EXPECT_EQ(logs.count("accuracy") + logs.count("val_accuracy"), 0u);
}

INSTANTIATE_TEST_SUITE_P(BatchSizes, EvaluateReduction, ::testing::Values(1, 2, 256));

// A metric evaluate() was not asked for is a ConfigError naming it and the
// results there are (std::map::at would say only "map::at").
TEST(EvaluateResult, MissingMetricIsANamedError) {
  Sequential m(Shape{2});
  m.add<Dense>(2);
  CompileOptions o;
  o.loss = "mse";
  o.backend = "reference";
  m.compile(o);
  Tensor x(Shape{3, 2}), y(Shape{3, 2});
  TensorDataSource data(x, y);
  const EvaluationResult r = m.evaluate(data);
  try {
    (void)r.at("accuracy");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no result named 'accuracy'"), std::string::npos) << what;
    EXPECT_NE(what.find("the results are: loss"), std::string::npos) << what;
    EXPECT_NE(what.find("CompileOptions::metrics"), std::string::npos) << what;
  }
  EXPECT_DOUBLE_EQ(r.at("loss"), 0.0);
}

// Code written against std::map<std::string, double> keeps compiling.
double sum_of(const std::map<std::string, double>& values) {
  double total = 0;
  for (const auto& [key, value] : values) total += value;
  return total;
}

TEST(EvaluateResult, ReadsLikeAStdMap) {
  EvaluationResult r({{"loss", 0.5}, {"accuracy", 0.25}});
  const std::map<std::string, double> copy = r;
  EXPECT_EQ(copy.size(), 2u);
  EXPECT_DOUBLE_EQ(sum_of(r), 0.75);
  EXPECT_EQ(r.find("accuracy")->second, 0.25);
  EXPECT_EQ(r.find("mse"), r.end());
  EXPECT_TRUE(r.contains("loss"));
  EXPECT_EQ(r, copy);
  EXPECT_EQ(r, EvaluationResult(copy));
  r["mse"] = 2.0;
  EXPECT_EQ(r.size(), 3u);
  EXPECT_DOUBLE_EQ(r.at("mse"), 2.0);
}

TEST(EvaluateResult, AMetricListedTwiceIsAConfigError) {
  Sequential m(Shape{2});
  m.add<Dense>(2);
  CompileOptions o;
  o.loss = "mse";
  o.metrics = {"mae", "acc", "mae"};
  try {
    m.compile(o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("metric 'mae' is listed twice"), std::string::npos) << e.what();
  }
  o.metrics = {"accuracy", "acc"};  // two names, each reported
  EXPECT_NO_THROW(m.compile(o));
}

}  // namespace
}  // namespace instnn
