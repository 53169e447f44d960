// The engine API: predict variants, caller buffers, batched and threaded
// execution equal to one-at-a-time, the packed dense kernels against a plain
// reference, the builder, logistic regression, JSON round trip, thread safety.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <thread>

#include "instnn/inference/dense_kernel.hpp"
#include "instnn/inference/error.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_reader.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/inference/model_builder.hpp"
#include "support/inference_models.hpp"

namespace instnn::inference {
namespace {

WeightMatrix random_matrix(std::size_t rows, std::size_t cols, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  WeightMatrix m(rows, std::vector<float>(cols));
  for (auto& row : m)
    for (float& v : row) v = dist(rng);
  return m;
}
std::vector<float> random_vector(std::size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// A model with every kind of step the batched path handles specially (DOT,
// ATTENTION, CONV2D) and several that it runs per sample.
InstructionModel mixed_model(std::mt19937& rng) {
  ModelBuilder b;
  b.features({"img[18]", "k[5]"});
  const auto img = b.buffer(18), key = b.buffer(5);
  const auto conv = b.buffer(2 * 2 * 4), pooled = b.buffer(2 * 1 * 2);
  const auto hidden = b.buffer(37), att = b.buffer(37), gathered = b.buffer(6), out = b.buffer(3);
  b.conv2d(img, conv, 2, 3, 3, {2, 2}, {1, 1}, {0, 1}, random_matrix(2, 8, rng), random_vector(2, rng),
           Activation::Relu);
  b.max_pool2d(conv, pooled, 2, 2, 4, {2, 2}, {2, 2});
  b.dot(key, hidden, random_matrix(37, 5, rng), random_vector(37, rng), Activation::Tanh);
  b.attention(hidden, pooled, att, random_matrix(37, 4, rng), random_vector(37, rng));
  b.copy_masked(att, gathered, {0, 36, 5, 5, 17});
  b.map_transform(img, gathered, 0, 5, {{0, {2.0f}}, {1, {-2.0f}}}, {0.5f});
  b.dot(gathered, out, random_matrix(3, 6, rng), random_vector(3, rng), Activation::Softmax);
  return b.build();
}

TEST(DenseKernel, MatchesPlainLoopsForManyShapes) {
  std::mt19937 rng(7);
  for (std::size_t rows : {1u, 7u, 16u, 17u, 33u, 100u, 131u, 300u})
    for (std::size_t cols : {0u, 1u, 5u, 31u, 250u}) {
      const WeightMatrix w = random_matrix(rows, cols, rng);
      const std::vector<float> bias = random_vector(rows, rng);
      const PackedDense dense(w, bias, cols);
      const std::size_t samples = 29;
      const std::size_t stride = cols + rows + 3;
      std::vector<float> block(samples * stride);
      for (float& v : block) v = std::uniform_real_distribution<float>(-1, 1)(rng);
      std::vector<float> single_out(rows);
      dense.apply_block(block.data(), stride, block.data() + cols, stride, samples);
      for (std::size_t s = 0; s < samples; ++s) {
        const float* x = block.data() + s * stride;
        dense.apply(x, single_out.data());
        for (std::size_t r = 0; r < rows; ++r) {
          double want = bias[r];
          for (std::size_t c = 0; c < cols; ++c) want += double(w[r][c]) * x[c];
          ASSERT_NEAR(single_out[r], want, 1e-4) << rows << "x" << cols << " row " << r;
          // Block and one-sample kernels accumulate in the same order.
          ASSERT_EQ(single_out[r], x[cols + r]) << rows << "x" << cols << " sample " << s << " row " << r;
        }
      }
    }
}

TEST(Engine, SizesAndRequiredMemory) {
  const InstructionModel model = testing::load_json(testing::base_model());
  EXPECT_EQ(model.feature_size(), 2u);
  EXPECT_EQ(model.output_size(), 1u);
  EXPECT_EQ(model.required_memory(), 6u);
}

TEST(Engine, PredictVariantsAgreeAndCheckShapes) {
  const InstructionModel model = testing::load_json(testing::base_model());
  const std::vector<float> x{0.5f, -0.25f};
  const float want = 1.0f / (1.0f + std::exp(-1.5f));  // hidden relu([0, 0.5, 1.0]), summed
  EXPECT_NEAR(model.predict(x)[0], want, 1e-6);
  EXPECT_EQ(model.predict_single(x), model.predict(x)[0]);
  float out = 0;
  model.predict_into(x, {&out, 1});
  EXPECT_EQ(out, model.predict(x)[0]);
  EXPECT_THROW(model.predict(std::vector<float>{1.0f}), ShapeError);
  EXPECT_THROW(model.predict_into(x, {}), ShapeError);
  EXPECT_THROW(model.predict_batch(std::vector<float>{1, 2, 3}), ShapeError);
}

TEST(Engine, PredictWithBufferIgnoresDirtyContents) {
  // Partial writes and in-place reads: a dirty caller buffer must not leak in.
  const InstructionModel model = InstructionModel::load_string(R"({"feature_size":2,"buffer_sizes":[2,4],"instructions":[
      {"type":"COPY","input":0,"output":1,"internal_index":1},
      {"type":"ACTIVATION","input":1,"activation":"INVERSE"}],"weights":[],"bias":[]})");
  std::vector<float> buffer(model.required_memory(), std::numeric_limits<float>::quiet_NaN());
  const auto out = model.predict_with_buffer(std::vector<float>{5, 6}, buffer);
  EXPECT_EQ(std::vector<float>(out.begin(), out.end()), (std::vector<float>{1, -4, -5, 1}));
  std::vector<float> small(model.required_memory() - 1);
  EXPECT_THROW(model.predict_with_buffer(std::vector<float>{5, 6}, small), ShapeError);
}

TEST(Engine, PredictSingleNeedsOneOutput) {
  const InstructionModel model = InstructionModel::load_string(
      R"({"feature_size":2,"buffer_sizes":[2],"instructions":[{"type":"ACTIVATION","input":0,"activation":"RELU"}],"weights":[],"bias":[]})");
  EXPECT_THROW(model.predict_single(std::vector<float>{1, 2}), ShapeError);
}

TEST(Engine, BatchedEqualsOneAtATimeBitForBit) {
  std::mt19937 rng(99);
  const InstructionModel model = mixed_model(rng);
  for (std::size_t samples : {1u, 13u, 100u, 257u}) {
    std::vector<float> rows(samples * model.feature_size());
    for (float& v : rows) v = std::uniform_real_distribution<float>(-1.5f, 1.5f)(rng);
    for (std::size_t s = 0; s < samples; s += 7) rows[s * model.feature_size()] = static_cast<float>(s % 3);
    std::vector<float> expected;
    for (std::size_t s = 0; s < samples; ++s) {
      const auto one = model.predict({rows.data() + s * model.feature_size(), model.feature_size()});
      expected.insert(expected.end(), one.begin(), one.end());
    }
    for (unsigned threads : {1u, 2u, 3u, 0u})
      for (std::size_t batch : {0u, 1u, 5u, 12u, 64u}) {
        const auto got = model.predict_batch(rows, {threads, batch});
        ASSERT_EQ(got, expected) << samples << " samples, " << threads << " threads, batch " << batch;
      }
  }
}

// One model shared by several threads that all call predict_batch at once
// (as a serving loop's request threads would): the engine's pool is shared,
// and every call still equals predict() per sample, bit for bit.
TEST(Engine, ConcurrentBatchedCallsOnOneModelEqualOneAtATime) {
  std::mt19937 rng(7);
  const InstructionModel model = mixed_model(rng);
  const std::size_t samples = 150;
  std::vector<float> rows(samples * model.feature_size());
  for (float& v : rows) v = std::uniform_real_distribution<float>(-1.5f, 1.5f)(rng);
  std::vector<float> expected;
  for (std::size_t s = 0; s < samples; ++s) {
    const auto one = model.predict({rows.data() + s * model.feature_size(), model.feature_size()});
    expected.insert(expected.end(), one.begin(), one.end());
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> callers;
  for (unsigned c = 0; c < 4; ++c)
    callers.emplace_back([&, c] {
      for (int round = 0; round < 100; ++round) {
        const unsigned threads = 1 + (c + round) % 3;
        const std::size_t batch = std::size_t(1) + std::size_t(round % 4) * 7;
        if (model.predict_batch(rows, {threads, batch}) != expected) mismatches.fetch_add(1);
      }
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Engine, BatchedEmptyInput) {
  const InstructionModel model = testing::load_json(testing::base_model());
  EXPECT_TRUE(model.predict_batch({}).empty());
}

TEST(Engine, RandomMlpMatchesDoublePrecisionReference) {
  std::mt19937 rng(5);
  const WeightMatrix w1 = random_matrix(45, 30, rng), w2 = random_matrix(9, 45, rng);
  const auto b1 = random_vector(45, rng), b2 = random_vector(9, rng);
  ModelBuilder b;
  const auto in = b.buffer(30), h = b.buffer(45), out = b.buffer(9);
  b.dot(in, h, w1, b1, Activation::Relu).dot(h, out, w2, b2, Activation::Sigmoid);
  const InstructionModel model = b.build();
  for (int trial = 0; trial < 20; ++trial) {
    const auto x = random_vector(30, rng);
    std::vector<double> hidden(45);
    for (int r = 0; r < 45; ++r) {
      double s = b1[r];
      for (int c = 0; c < 30; ++c) s += double(w1[r][c]) * x[c];
      hidden[r] = std::max(0.0, s);
    }
    const auto got = model.predict(x);
    for (int r = 0; r < 9; ++r) {
      double s = b2[r];
      for (int c = 0; c < 45; ++c) s += double(w2[r][c]) * hidden[c];
      EXPECT_NEAR(got[r], 1.0 / (1.0 + std::exp(-s)), 1e-6);
    }
  }
}

TEST(Engine, SharedBetweenThreads) {
  std::mt19937 rng(3);
  const InstructionModel model = mixed_model(rng);
  std::vector<std::vector<float>> inputs;
  std::vector<std::vector<float>> expected;
  for (int i = 0; i < 64; ++i) {
    inputs.push_back(random_vector(model.feature_size(), rng));
    expected.push_back(model.predict(inputs.back()));
  }
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round)
        for (std::size_t i = 0; i < inputs.size(); ++i)
          if (model.predict(inputs[i]) != expected[i]) ++mismatches[t];
    });
  for (auto& t : threads) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(Engine, LoadsFixtureFiles) {
  const std::string dir = std::string(INSTNN_SOURCE_DIR) + "/tests/data/inference/";
  const InstructionModel model = InstructionModel::load(dir + "small_mlp.json");
  EXPECT_EQ(model.feature_size(), 3u);
  EXPECT_EQ(model.output_size(), 2u);
  try {
    InstructionModel::load(dir + "bad_validation.json");
    FAIL();
  } catch (const NumericError& e) {
    EXPECT_NE(std::string(e.what()).find("bad_validation.json"), std::string::npos) << e.what();
  }
}

// instmodel's ModelGraph.create_instruction_model() without feature names
// writes "features": [] and no feature_size (an MLP 4 -> 8 -> 1 here, with
// "maps": [] and "parameters": [] as that exporter writes them). The NumPy
// reference runs it; the input is buffer 0, whole (format section 12).
TEST(Engine, InstmodelDefaultExportInfersTheInputFromBufferZero) {
  const std::string dir = std::string(INSTNN_SOURCE_DIR) + "/tests/data/inference/";
  const InstructionModel model = InstructionModel::load(dir + "instmodel_default_export.json");
  const ModelInfo& info = model.info();
  ASSERT_TRUE(info.features.has_value());
  EXPECT_TRUE(info.features->empty());
  EXPECT_FALSE(info.feature_size.has_value());
  EXPECT_TRUE(feature_size_inferred(info));
  EXPECT_EQ(model.feature_size(), 4u);
  EXPECT_EQ(model.output_size(), 1u);
  // Its validation_data (three cases) passed on load; the same by hand.
  ASSERT_TRUE(info.validation_data.has_value());
  ASSERT_EQ(info.validation_data->inputs.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_NEAR(model.predict_single(info.validation_data->inputs[i]), info.validation_data->expected_outputs[i][0],
                1e-5f);
  EXPECT_THROW(model.predict(std::vector<float>(5, 0.0f)), ShapeError);
  // Written back, the file keeps its (empty) features and loads again.
  const InstructionModel again = InstructionModel::load_string(write_model_json(info));
  EXPECT_TRUE(feature_size_inferred(again.info()));
  EXPECT_EQ(again.feature_size(), 4u);
}

TEST(Engine, FeatureCountIsInferredOnlyFromAnEmptyListWithoutFeatureSize) {
  ModelBuilder b;
  const std::size_t in = b.buffer(3), out = b.buffer(1);
  b.reduce_sum(in, out);
  ModelInfo info = b.info();
  info.features = std::vector<std::string>{};
  info.feature_size.reset();
  EXPECT_TRUE(feature_size_inferred(info));
  EXPECT_EQ(InstructionModel::from_model_info(info).feature_size(), 3u);
  info.feature_size = 3;  // stated: taken from feature_size
  EXPECT_FALSE(feature_size_inferred(info));
  EXPECT_EQ(InstructionModel::from_model_info(info).feature_size(), 3u);
  info.features.reset();
  EXPECT_FALSE(feature_size_inferred(info));
  info.features = std::vector<std::string>{"x[3]"};
  info.feature_size.reset();
  EXPECT_FALSE(feature_size_inferred(info));
}

TEST(Builder, LogisticRegression) {
  const InstructionModel model = from_logistic_regression({{"age", 0.5f}, {"income", -2.0f}}, {"income", "age"}, 0.25f);
  EXPECT_EQ(model.feature_size(), 2u);
  const float z = -2.0f * 1.0f + 0.5f * 3.0f + 0.25f;
  EXPECT_NEAR(model.predict_single(std::vector<float>{1.0f, 3.0f}), 1.0f / (1.0f + std::exp(-z)), 1e-7);
  EXPECT_THROW(from_logistic_regression({{"age", 1.0f}}, {"age", "income"}), ConfigError);
  EXPECT_THROW(from_logistic_regression({{"age", 1.0f}, {"x", 1.0f}}, {"age"}), ConfigError);
  const ModelInfo info = logistic_regression_info({{"a", 1.0f}}, {"a"});
  ASSERT_TRUE(info.features);
  EXPECT_EQ(info.instructions.size(), 1u);
  EXPECT_TRUE(info.parameters.has_value());
}

TEST(Builder, ValidationDataFromTheModelItself) {
  std::mt19937 rng(11);
  ModelBuilder b;
  b.features({"x[4]"});
  const auto in = b.buffer(4), out = b.buffer(2);
  b.dot(in, out, random_matrix(2, 4, rng), random_vector(2, rng), Activation::Gelu);
  b.validation_data_from({random_vector(4, rng), random_vector(4, rng)});
  const ModelInfo info = b.info();
  ASSERT_TRUE(info.validation_data);
  EXPECT_EQ(info.validation_data->expected_outputs.size(), 2u);
  EXPECT_NO_THROW(b.build());
}

TEST(JsonWriter, RoundTripKeepsEveryFieldAndOutput) {
  std::mt19937 rng(21);
  ModelBuilder b;
  b.features({"a", "e[3]"}).feature_size(4);
  const auto in = b.buffer(4), wide = b.buffer(6), h = b.buffer(6), out = b.buffer(2);
  b.copy(in, wide, 2)
      .map_transform(in, wide, 0, 0, {{1, {0.1f, 0.2f}}, {-4, {3, 4}}}, {9, 8})
      .dot(wide, h, random_matrix(6, 6, rng), random_vector(6, rng), Activation::Relu)
      .add_elementwise(h, random_vector(6, rng))
      .clip_elementwise(h, std::vector<float>(6, -0.5f), std::nullopt)
      .attention(h, h, wide, random_matrix(6, 6, rng), random_vector(6, rng));
  b.add_buffers({wide, h}, h);
  b.reduce_sum(h, out);
  b.validation_data_from({{1, 2, 3, 4}, {-4, 0, 0.5f, 1}});
  const ModelInfo info = b.info();
  const std::string text = write_model_json(info, 2);
  EXPECT_NE(text.find("0.1,"), std::string::npos);  // shortest float form
  const ModelInfo back = read_model_json(text);
  EXPECT_EQ(write_model_json(back), write_model_json(info));
  const InstructionModel a = InstructionModel::from_model_info(info);
  const InstructionModel c = InstructionModel::load_string(text);
  const std::vector<float> x{1, -2, 0.5f, 3};
  EXPECT_EQ(a.predict(x), c.predict(x));
}

TEST(JsonWriter, RoundTripKeepsCategoriesAndMissingValues) {
  ModelInfo info = testing::load_json(testing::base_model()).info();
  info.features = {"age", "color"};
  info.categories = std::map<std::string, std::vector<std::string>>{{"color", {"red", "blue, dark", "\"quoted\"", ""}}};
  info.missing_values = std::map<std::string, float>{{"age", 0.1f}};
  const std::string text = write_model_json(info);
  EXPECT_NE(text.find(R"("categories":{"color":["red","blue, dark","\"quoted\"",""]})"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("missing_values":{"age":0.1})"), std::string::npos) << text;
  const ModelInfo back = InstructionModel::load_string(text).info();
  EXPECT_EQ(back.categories, info.categories);
  EXPECT_EQ(back.missing_values, info.missing_values);
  EXPECT_EQ(write_model_json(back), text);
  // Absent stays absent.
  info.categories.reset();
  info.missing_values.reset();
  const std::string plain = write_model_json(info);
  EXPECT_EQ(plain.find("categories"), std::string::npos);
  EXPECT_EQ(plain.find("missing_values"), std::string::npos);
}

TEST(JsonWriter, RejectsNonFiniteValues) {
  ModelInfo info = testing::load_json(testing::base_model()).info();
  info.weights[0][1][1] = std::numeric_limits<float>::infinity();
  try {
    write_model_json(info);
    FAIL();
  } catch (const NumericError& e) {
    EXPECT_NE(std::string(e.what()).find("weights[0][1][1]"), std::string::npos) << e.what();
  }
}

TEST(JsonWriter, WritesFilesAtomically) {
  const std::string path = std::string(INSTNN_BINARY_DIR) + "/inference_writer_test.json";
  const ModelInfo info = testing::load_json(testing::base_model()).info();
  write_model_file(info, path);
  EXPECT_EQ(InstructionModel::load(path).predict(std::vector<float>{1, 1}),
            InstructionModel::from_model_info(info).predict(std::vector<float>{1, 1}));
  EXPECT_THROW(write_model_file(info, "/nonexistent-dir/x.json"), IoError);
}

}  // namespace
}  // namespace instnn::inference
