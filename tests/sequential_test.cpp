// Sequential: training, evaluation, configs, summary, checkpoints, callbacks
// and the no-allocation guarantee of the training loop.
#include "instnn/core/sequential.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>

#include "instnn/core/error.hpp"
#include "instnn/core/file_util.hpp"
#include "instnn/layers/activation.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/dropout.hpp"

#include "support/allocation_counter.hpp"

namespace instnn {
namespace {

namespace fs = std::filesystem;

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / ("instnn_seq_" + std::to_string(::getpid()) + "_" + name);
}

// Points in [-1,1]^2 labelled by quadrant (4 classes).
struct Quadrants {
  Tensor x;
  std::vector<std::int32_t> labels;
  explicit Quadrants(int n, std::uint64_t seed = 1) : x(Shape{n, 2}) {
    Rng rng(seed);
    for (int i = 0; i < n; ++i) {
      const float a = rng.uniform(-1, 1), b = rng.uniform(-1, 1);
      x[2 * i] = a;
      x[2 * i + 1] = b;
      labels.push_back((a > 0 ? 1 : 0) + (b > 0 ? 2 : 0));
    }
  }
  TensorDataSource source() const { return TensorDataSource(x, labels); }
};

Sequential quadrant_model(const std::string& backend = "blas") {
  Sequential m(Shape{2});
  m.add<Dense>(16, "tanh");
  m.add<Dense>(4);
  CompileOptions o;
  o.optimizer = {{"type", "adam"}, {"learning_rate", 0.02}};
  o.metrics = {"accuracy"};
  o.backend = backend;
  o.seed = 5;
  m.compile(o);
  return m;
}

std::vector<float> all_weights(Sequential& m) {
  std::vector<float> w;
  for (Parameter* p : m.params()) w.insert(w.end(), p->value.span().begin(), p->value.span().end());
  return w;
}

TEST(Sequential, XorConvergesWithMse) {
  Tensor x = Tensor::from(Shape{4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  Tensor y = Tensor::from(Shape{4, 1}, {0, 1, 1, 0});
  Sequential m;
  m.add<Dense>(8, "tanh");
  m.add<Dense>(1, "sigmoid");
  CompileOptions o;
  o.optimizer = {{"type", "adam"}, {"learning_rate", 0.05}};
  o.loss = "mse";
  o.metrics = {"binary_accuracy"};
  m.compile(o);
  TensorDataSource data(x, y);
  FitOptions f;
  f.epochs = 500;
  f.batch_size = 4;
  f.verbose = 0;
  m.fit(data, f);
  Tensor p = m.predict(x);
  EXPECT_LT(p[0], 0.5f);
  EXPECT_GT(p[1], 0.5f);
  EXPECT_GT(p[2], 0.5f);
  EXPECT_LT(p[3], 0.5f);
  EXPECT_EQ(m.evaluate(data).at("binary_accuracy"), 1.0);
}

TEST(Sequential, LearnsQuadrantsOnBothBackendsWithValidationSplit) {
  Quadrants q(512);
  auto data = q.source();
  for (const char* backend : {"reference", "blas"}) {
    Sequential m = quadrant_model(backend);
    FitOptions f;
    f.epochs = 20;
    f.batch_size = 32;
    f.validation_split = 0.25;
    f.verbose = 0;
    History h = m.fit(data, f);
    ASSERT_EQ(h.epochs.size(), 20u);
    EXPECT_GT(h.epochs.back().logs.at("val_accuracy"), 0.9) << backend;
    EXPECT_LT(h.epochs.back().logs.at("loss"), h.epochs.front().logs.at("loss"));
    EXPECT_TRUE(h.epochs.back().logs.count("seconds"));
    EXPECT_TRUE(h.epochs.back().logs.count("lr"));
  }
}

TEST(Sequential, ConfigRoundTripAndSummary) {
  nlohmann::json config = {
      {"input_shape", {784}},
      {"layers",
       {{{"type", "Dense"}, {"units", 128}, {"activation", "relu"}},
        {{"type", "LeakyReLU"}, {"alpha", 0.1}},
        {{"type", "Dense"}, {"units", 10}},
        {{"type", "Softmax"}}}}};
  Sequential m = Sequential::from_config(config);
  m.compile({});
  EXPECT_EQ(Sequential::from_config(m.config()).config(), m.config());
  const std::string s = m.summary();
  EXPECT_NE(s.find("dense_1 (Dense)"), std::string::npos) << s;
  EXPECT_NE(s.find("(None, 128)"), std::string::npos) << s;
  EXPECT_NE(s.find("100480"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 101770"), std::string::npos) << s;
  EXPECT_EQ(m.param_count(), 101770u);
}

TEST(Sequential, BadConfigsAndMisuseAreClearErrors) {
  EXPECT_THROW(Sequential::from_config({{"layers", {{{"type", "Dense2"}}}}}), ConfigError);
  EXPECT_THROW(Sequential::from_config({{"layer", nlohmann::json::array()}}), ConfigError);
  try {
    Sequential::from_config({{"layers", {{{"type", "Dense"}, {"units", -1}}}}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("layers[0]"), std::string::npos) << e.what();
  }
  Sequential m;
  m.add<Dense>(3, "relu", "same");
  EXPECT_THROW(m.add<Dense>(3, "relu", "same"), ConfigError);
  Quadrants q(8);
  auto data = q.source();
  EXPECT_THROW(m.fit(data), ConfigError);  // not compiled
  Sequential wrong_input = quadrant_model();
  Tensor x3(Shape{4, 3});
  std::vector<std::int32_t> labels(4, 0);
  TensorDataSource bad(x3, labels);
  EXPECT_THROW(wrong_input.fit(bad), ShapeError);
  FitOptions f;
  f.epochs = 0;
  EXPECT_THROW(wrong_input.fit(data, f), ConfigError);
}

TEST(Sequential, DivergenceStopsWithNumericError) {
  Quadrants q(64);
  q.x[77] = std::nanf("");  // sample 38 of 64: batch 2 of 2 without shuffling
  auto data = q.source();
  Sequential m = quadrant_model();
  FitOptions f;
  f.epochs = 5;
  f.shuffle = false;
  f.verbose = 0;
  try {
    m.fit(data, f);
    FAIL() << "expected NumericError";
  } catch (const NumericError& e) {
    EXPECT_NE(std::string(e.what()).find("epoch"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("epoch 1, batch 2 of 2"), std::string::npos) << e.what();
  }
}

TEST(Sequential, CheckpointRoundTripAndBitwiseResume) {
  Quadrants q(300);
  auto data = q.source();
  FitOptions f;
  f.batch_size = 16;
  f.verbose = 0;

  Sequential straight = quadrant_model();
  f.epochs = 4;
  straight.fit(data, f);

  Sequential first = quadrant_model();
  f.epochs = 2;
  first.fit(data, f);
  const auto path = temp_path("resume.ckpt");
  first.save(path.string());
  EXPECT_FALSE(fs::exists(path.string() + ".tmp." + std::to_string(::getpid())));

  Sequential resumed = Sequential::load(path.string());
  EXPECT_EQ(all_weights(resumed), all_weights(first));
  EXPECT_EQ(resumed.epochs_done(), 2);
  EXPECT_EQ(resumed.target_epochs(), 2);
  f.epochs = 4;
  f.initial_epoch = resumed.epochs_done();
  History h = resumed.fit(data, f);
  EXPECT_EQ(h.epochs.size(), 4u);
  EXPECT_EQ(all_weights(resumed), all_weights(straight)) << "resume is not bitwise identical";

  const auto json_path = temp_path("resume.json");
  resumed.save_json(json_path.string());
  std::ifstream in(json_path);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("magic"), "INSTNN-CHECKPOINT");
  EXPECT_EQ(j.at("epochs_done"), 4);
  EXPECT_EQ(j.at("fit").at("batch_size"), 16);
  fs::remove(path);
  fs::remove(json_path);
}

TEST(Sequential, CheckpointsKeepTheFitSettingsAndVersionOneFilesStillLoad) {
  Quadrants q(64);
  auto data = q.source();
  Sequential m = quadrant_model();
  FitOptions f;
  f.batch_size = 7;
  f.validation_split = 0.25;
  f.shuffle = false;
  f.verbose = 0;
  m.fit(data, f);
  const nlohmann::json metadata = {{"label", {{"name", "class"}, {"classes", {"bad", "good"}}}},
                                   {"means", {{"age", 35.5}}}};
  m.set_metadata(metadata);
  const auto path = temp_path("fit_settings.ckpt");
  m.save(path.string());
  Sequential loaded = Sequential::load(path.string());
  EXPECT_EQ(loaded.fit_settings().batch_size, 7);
  EXPECT_EQ(loaded.fit_settings().validation_split, 0.25);
  EXPECT_FALSE(loaded.fit_settings().shuffle);
  EXPECT_EQ(loaded.fit_settings().accumulate, 1);
  EXPECT_EQ(loaded.metadata(), metadata);

  // Version 3 had no metadata, version 2 no model kind, version 1 no fit
  // settings either: the same bytes without the trailing strings (8-byte
  // length + text), with the version field set to 3, 2 or 1. It follows
  // cereal's endianness byte, the magic's 8-byte length and its 17 bytes.
  constexpr std::size_t kVersionAt = 1 + 8 + 17;
  std::string bytes = read_file(path.string());
  const std::string metadata_text = metadata.dump();
  ASSERT_EQ(bytes.substr(bytes.size() - metadata_text.size()), metadata_text);
  bytes.resize(bytes.size() - metadata_text.size() - 8);
  ASSERT_EQ(bytes[kVersionAt], '\x04');
  bytes[kVersionAt] = '\x03';
  std::ofstream(path, std::ios::binary) << bytes;
  Sequential v3 = Sequential::load(path.string());
  EXPECT_TRUE(v3.metadata().is_null());
  EXPECT_EQ(v3.fit_settings().batch_size, 7);
  EXPECT_EQ(all_weights(v3), all_weights(loaded));
  const std::string kind = "sequential";
  ASSERT_EQ(bytes.substr(bytes.size() - kind.size()), kind);
  bytes.resize(bytes.size() - kind.size() - 8);
  bytes[kVersionAt] = '\x02';
  std::ofstream(path, std::ios::binary) << bytes;
  Sequential v2 = Sequential::load(path.string());
  EXPECT_EQ(v2.fit_settings().batch_size, 7);
  EXPECT_TRUE(v2.metadata().is_null());
  EXPECT_EQ(all_weights(v2), all_weights(loaded));
  const std::string settings = R"({"accumulate":1,"batch_size":7,"shuffle":false,"validation_split":0.25})";
  ASSERT_EQ(bytes.substr(bytes.size() - settings.size()), settings);
  bytes.resize(bytes.size() - settings.size() - 8);
  bytes[kVersionAt] = '\x01';
  std::ofstream(path, std::ios::binary) << bytes;
  Sequential old = Sequential::load(path.string());
  EXPECT_EQ(old.fit_settings().batch_size, 0);  // unknown
  EXPECT_TRUE(old.metadata().is_null());
  EXPECT_EQ(all_weights(old), all_weights(loaded));
  bytes[kVersionAt] = '\x05';
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_THROW(Sequential::load(path.string()), FormatError);
  fs::remove(path);
}

TEST(Sequential, MetadataIsNullByDefaultAndShownBySaveJson) {
  Sequential m = quadrant_model();
  EXPECT_TRUE(m.metadata().is_null());
  const auto path = temp_path("no_metadata.ckpt");
  m.save(path.string());
  EXPECT_TRUE(Sequential::load(path.string()).metadata().is_null());
  m.set_metadata({{"vocabulary", {"red", "green"}}});
  m.save(path.string());
  EXPECT_EQ(Sequential::load(path.string()).metadata(), (nlohmann::json{{"vocabulary", {"red", "green"}}}));
  const auto json_path = temp_path("metadata.json");
  m.save_json(json_path.string());
  std::ifstream in(json_path);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("version"), 4);
  EXPECT_EQ(j.at("metadata"), m.metadata());
  fs::remove(path);
  fs::remove(json_path);
}

TEST(Sequential, CorruptCheckpointsAreFormatErrors) {
  Sequential m = quadrant_model();
  Quadrants q(32);
  auto data = q.source();
  FitOptions f;
  f.verbose = 0;
  m.fit(data, f);
  const auto path = temp_path("corrupt.ckpt");
  m.save(path.string());
  const std::string bytes = read_file(path.string());
  auto write = [&](const std::string& b) { std::ofstream(path, std::ios::binary) << b; };
  write(bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(Sequential::load(path.string()), FormatError);
  write("not a checkpoint at all");
  EXPECT_THROW(Sequential::load(path.string()), FormatError);
  std::string huge = bytes;
  // The model-config length field follows cereal's endianness byte, the
  // magic (8 + 17 bytes) and the version (4).
  for (int i = 0; i < 8; ++i) huge[1 + 8 + 17 + 4 + i] = '\x7f';
  write(huge);
  try {
    Sequential::load(path.string());
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("model config claims"), std::string::npos) << e.what();
  }
  write(bytes + "x");
  EXPECT_THROW(Sequential::load(path.string()), FormatError);
  EXPECT_THROW(Sequential::load(temp_path("missing").string()), IoError);
  fs::remove(path);
}

// A checkpoint of a 4-input model whose one sample row is declared as
// (2^62 + 1, 4): the row count times 4 wraps around to the 4 values it holds,
// so before the load checked the rows, `instnn export` embedded 8 rows read
// from past the 4-float buffer.
TEST(Sequential, CheckpointSampleRowsMustFitTheModelInput) {
  Sequential m(Shape{4});
  m.add<Dense>(2);
  m.compile({.optimizer = "sgd", .backend = "reference", .threads = 1});
  Tensor x = Tensor::from(Shape{1, 4}, {1, 2, 3, 4});
  const std::vector<std::int32_t> labels{1};
  TensorDataSource data(x, labels);
  m.fit(data, {.epochs = 1, .batch_size = 1, .verbose = 0});
  ASSERT_EQ(m.sample_inputs().shape(), (Shape{1, 4}));
  const auto path = temp_path("sample_rows.ckpt");
  m.save(path.string());
  const std::string bytes = read_file(path.string());
  // The record: name "sample_inputs", rank 2, extents (1, 4), 4 values.
  const std::string name = "sample_inputs";
  const std::size_t rows_at = bytes.find(name) + name.size() + 8;
  ASSERT_NE(bytes.find(name), std::string::npos);
  auto patched = [&](std::int64_t rows, std::int64_t features) {
    std::string b = bytes;
    for (int i = 0; i < 8; ++i) {
      b[rows_at + i] = static_cast<char>(static_cast<std::uint64_t>(rows) >> (8 * i));
      b[rows_at + 8 + i] = static_cast<char>(static_cast<std::uint64_t>(features) >> (8 * i));
    }
    std::ofstream(path, std::ios::binary) << b;
    return path.string();
  };
  EXPECT_EQ(Sequential::load(patched(1, 4)).sample_inputs().to_vector(), x.to_vector());
  try {
    Sequential::load(patched((std::int64_t{1} << 62) + 1, 4));
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("sample inputs of shape [4611686018427387905,4] do not fit "
                                         "the model input (4,): expected 1 to 16 rows of it"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(Sequential::load(patched(17, 4)), FormatError);  // more rows than fit() keeps
  EXPECT_THROW(Sequential::load(patched(0, 4)), FormatError);
  EXPECT_THROW(Sequential::load(patched(2, 2)), FormatError);   // same size, other shape
  EXPECT_THROW(Sequential::load(patched(2, 4)), FormatError);   // 8 values declared, 4 held
  EXPECT_THROW(Sequential::load(patched(-1, -4)), FormatError);
  fs::remove(path);
}

TEST(Sequential, ConfigWithAHugeInputShapeIsAShapeError) {
  // 2^72 inputs per sample: the product wrapped to 0 and Flatten reported
  // (None, 0).
  const nlohmann::json config = {{"input_shape", {1 << 24, 1 << 24, 1 << 24}},
                                 {"layers", {{{"type", "Flatten"}}, {{"type", "Dense"}, {"units", 2}}}}};
  try {
    Sequential::from_config(config);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("(16777216, 16777216, 16777216)"), std::string::npos) << e.what();
  }
}

// Counts the batches of each fit() epoch.
struct BatchCounter : Callback {
  int batches = 0;
  void on_batch_end(Model&, TrainingState&) override { ++batches; }
};

TEST(Sequential, ValidationSplitKeepsTheFirstIntOfNTimesOneMinusFForTraining) {
  // Keras: n = 10, validation_split 0.25 -> int(7.5) = 7 train, 3 validate
  // (the same cut as data's split()).
  Quadrants q(10);
  auto data = q.source();
  Sequential m = quadrant_model();
  BatchCounter counter;
  m.fit(data, {.epochs = 1, .batch_size = 1, .validation_split = 0.25, .shuffle = false,
               .callbacks = {&counter}, .verbose = 0});
  EXPECT_EQ(counter.batches, 7);
  EXPECT_EQ(m.sample_inputs().dim(0), 7);
}

TEST(Sequential, EarlyStoppingEndsFitAndHistoryLoggerWrites) {
  Quadrants q(200);
  auto data = q.source();
  Sequential m = quadrant_model();
  EarlyStopping stop("loss", 0, 10.0, true);  // min_delta 10: never "improves" after epoch 1
  const auto log_path = temp_path("history.json");
  HistoryLogger logger(log_path.string());
  FitOptions f;
  f.epochs = 10;
  f.verbose = 0;
  f.callbacks = {&stop, &logger};
  History h = m.fit(data, f);
  EXPECT_EQ(h.epochs.size(), 2u);
  EXPECT_EQ(stop.stopped_epoch(), 2);
  std::ifstream in(log_path);
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_TRUE(j[0].contains("loss") && j[0].contains("accuracy") && j[0].contains("seconds"));
  fs::remove(log_path);
}

TEST(Sequential, TrainingThroughASoftmaxLayerAndTheSoftmaxLossIsAClearError) {
  Quadrants q(64);
  auto data = q.source();
  Sequential m(Shape{2});
  m.add<Dense>(4);
  m.add<Softmax>();
  m.compile({});
  FitOptions f;
  f.verbose = 0;
  try {
    m.fit(data, f);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("remove the final Softmax layer"), std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(m.predict(q.x));  // inference through the Softmax layer stays fine
}

// Drives EarlyStopping epoch by epoch with a given monitored series, calling
// before_epoch_end(epoch) first; returns the epoch it stopped at (0: never).
int early_stop_epoch(EarlyStopping& stop, Sequential& m, const std::vector<double>& series,
                     const std::function<void(int)>& before_epoch_end = {}, const std::string& key = "val_loss") {
  TrainingState s;
  s.epochs = static_cast<int>(series.size());
  stop.on_train_begin(m, s);
  for (std::size_t i = 0; i < series.size() && !s.stop_training; ++i) {
    s.epoch = static_cast<int>(i) + 1;
    if (before_epoch_end) before_epoch_end(s.epoch);
    stop.on_epoch_end(m, s, EpochLogs{{key, series[i]}});
  }
  stop.on_train_end(m, s);
  return stop.stopped_epoch();
}

TEST(Sequential, EarlyStoppingWaitsPatienceEpochsInARowAsKerasDoes) {
  Sequential m = quadrant_model();
  // Best at epoch 2, then no improvement: patience p stops at epoch 2 + p
  // (patience 0 stops at the first epoch without improvement, like 1).
  const std::vector<double> series{1.0, 0.5, 0.6, 0.55, 0.7, 0.8, 0.9};
  for (const auto& [patience, expected] : std::vector<std::pair<int, int>>{{0, 3}, {1, 3}, {2, 4}, {3, 5}}) {
    EarlyStopping stop("val_loss", patience);
    EXPECT_EQ(early_stop_epoch(stop, m, series), expected) << "patience " << patience;
  }
  // An improvement resets the count; min_delta decides what improves.
  EarlyStopping stop("val_loss", 2);
  EXPECT_EQ(early_stop_epoch(stop, m, {1.0, 0.9, 0.95, 0.8, 0.85, 0.9}), 6);
  EarlyStopping coarse("val_loss", 1, 0.15);
  EXPECT_EQ(early_stop_epoch(coarse, m, {1.0, 0.9, 0.8}), 2);
  // AUC, like accuracy, improves upwards.
  const std::vector<double> auc{0.6, 0.7, 0.65, 0.68};
  for (const char* monitor : {"val_auc", "val_accuracy"}) {
    EarlyStopping up(monitor, 2);
    EXPECT_EQ(early_stop_epoch(up, m, auc, {}, monitor), 4) << monitor;
  }
}

TEST(Sequential, EarlyStoppingRestoresTheBestEpochsWeights) {
  Sequential m = quadrant_model();
  auto set_weights = [&](float v) {
    for (Parameter* p : m.params()) p->value.fill(v);
  };
  auto first_weight = [&] { return m.params().front()->value.data()[0]; };
  // Weights are set to the epoch number before each epoch ends; the best
  // epoch (2) must come back, whether training stops early or not.
  for (const std::vector<double>& series : {std::vector<double>{1.0, 0.5, 0.7, 0.9},
                                            std::vector<double>{1.0, 0.5, 0.7}}) {
    EarlyStopping stop("val_loss", 2, 0.0, true);
    early_stop_epoch(stop, m, series, [&](int epoch) { set_weights(static_cast<float>(epoch)); });
    EXPECT_EQ(first_weight(), 2.0f) << series.size() << " epochs";
  }
  EarlyStopping no_restore("val_loss", 1);
  set_weights(7.0f);
  early_stop_epoch(no_restore, m, {1.0, 2.0});
  EXPECT_EQ(first_weight(), 7.0f);
}

TEST(Sequential, MovedModelKeepsWorkingAfterTheSourceIsGone) {
  Quadrants q(64);
  auto data = q.source();
  Sequential moved;
  {
    Sequential original(Shape{2});
    original.add<Dense>(8, "relu");
    original.add<Dropout>(0.5f);
    original.add<Dense>(4);
    original.compile({});
    moved = std::move(original);
  }
  FitOptions f;
  f.verbose = 0;
  EXPECT_NO_THROW(moved.fit(data, f));  // Dropout draws from the model's generator
}

TEST(Sequential, TrainingLoopDoesNotAllocatePerBatch) {
  Quadrants q(1024);
  auto data = q.source();
  auto allocations_for = [&](int batch_size) {
    Sequential m = quadrant_model();
    FitOptions f;
    f.batch_size = batch_size;
    f.verbose = 0;
    f.shuffle = true;
    m.fit(data, f);  // warm up
    const std::size_t before = g_allocations.load();
    m.fit(data, f);
    return g_allocations.load() - before;
  };
  // 8x more batches must not mean more allocations.
  const std::size_t few = allocations_for(128);
  const std::size_t many = allocations_for(16);
  EXPECT_EQ(few, many);
}

// AUC keeps every row it has seen, but in vectors that keep their
// capacity: a warmed-up epoch allocates no more with 8x more batches.
TEST(Sequential, TrainingWithAucDoesNotAllocatePerBatch) {
  Quadrants q(1024);
  Tensor y(Shape{1024, 1});
  for (std::size_t i = 0; i < 1024; ++i) y[i] = q.labels[i] >= 2 ? 1.0f : 0.0f;
  TensorDataSource data(q.x, y);
  auto allocations_for = [&](int batch_size) {
    Sequential m(Shape{2});
    m.add<Dense>(8, "tanh");
    m.add<Dense>(1);
    CompileOptions o;
    o.loss = {{"type", "binary_cross_entropy"}, {"from_logits", true}};
    o.metrics = {"auc"};
    o.seed = 5;
    m.compile(o);
    FitOptions f;
    f.batch_size = batch_size;
    f.verbose = 0;
    m.fit(data, f);  // warm up
    const std::size_t before = g_allocations.load();
    const History h = m.fit(data, f);
    const std::size_t allocations = g_allocations.load() - before;
    EXPECT_GT(h.values("auc").back(), 0.9);
    return allocations;
  };
  EXPECT_EQ(allocations_for(128), allocations_for(16));
}

}  // namespace
}  // namespace instnn
