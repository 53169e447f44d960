// Callbacks and what fit() logs: the progress display on a non-terminal, the
// learning-rate scheduler, the CSV/JSON history logger, periodic
// checkpoints, and validation figures that agree with evaluate().
#include "instnn/core/callback.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "instnn/core/error.hpp"
#include "instnn/core/file_util.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/layers/dense.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// n points (sin 1.3i, cos 0.7i) labelled by quadrant (4 classes).
struct Points {
  Tensor x;
  std::vector<std::int32_t> labels;
  explicit Points(int n, int first = 0) : x(Shape{n, 2}) {
    for (int i = 0; i < n; ++i) {
      const float a = std::sin(1.3f * (i + first)), b = std::cos(0.7f * (i + first));
      x[2 * i] = a;
      x[2 * i + 1] = b;
      labels.push_back((a > 0 ? 1 : 0) + (b > 0 ? 2 : 0));
    }
  }
  TensorDataSource source() const { return TensorDataSource(x, labels); }
};

// Dense 2 -> 8 (tanh) -> 4 logits, Adam, on the reference backend.
Sequential small_model() {
  Sequential m = Sequential::from_config(
      {{"input_shape", {2}},
       {"layers", {{{"type", "Dense"}, {"units", 8}, {"activation", "tanh"}},
                   {{"type", "Dense"}, {"units", 4}}}}});
  m.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 0.01}},
             .metrics = {"accuracy"},
             .backend = "reference",
             .seed = 3});
  return m;
}

FitOptions quiet(int epochs, int batch_size = 4) {
  FitOptions f;
  f.epochs = epochs;
  f.batch_size = batch_size;
  f.verbose = 0;
  return f;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string four_places(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

// One line per epoch, no carriage returns or escape codes: "Epoch e/E - N
// batches - <seconds>s" then " - key: value" for each logged figure but the
// timing ones.
void expect_progress_lines(const std::string& out, const History& h, int batches) {
  EXPECT_EQ(out.find('\r'), std::string::npos) << out;
  EXPECT_EQ(out.find('\033'), std::string::npos) << out;
  const auto lines = lines_of(out);
  ASSERT_EQ(lines.size(), h.epochs.size()) << out;
  const int epochs = static_cast<int>(h.epochs.size());
  for (int e = 0; e < epochs; ++e) {
    const auto& logs = h.epochs[static_cast<std::size_t>(e)].logs;
    const std::string& line = lines[static_cast<std::size_t>(e)];
    const std::string prefix = "Epoch " + std::to_string(e + 1) + "/" + std::to_string(epochs) +
                               " - " + std::to_string(batches) + " batches - ";
    std::string suffix;
    for (const auto& [key, value] : logs)
      if (key != "seconds" && key != "lr") suffix += " - " + key + ": " + four_places(value);
    ASSERT_TRUE(line.starts_with(prefix) && line.ends_with(suffix) &&
                line.size() >= prefix.size() + suffix.size())
        << line << "\ndoes not read\n" << prefix << "<seconds>" << suffix;
    // Between them, the seconds: digits, a point, two digits, "s".
    const std::string seconds = line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
    const std::size_t point = seconds.size() >= 5 ? seconds.size() - 4 : 0;
    bool well_formed = point > 0 && seconds[point] == '.' && seconds.back() == 's';
    for (std::size_t i = 0; well_formed && i + 1 < seconds.size(); ++i)
      well_formed = i == point || std::isdigit(static_cast<unsigned char>(seconds[i]));
    EXPECT_TRUE(well_formed) << "seconds '" << seconds << "' in " << line;
  }
}

TEST(ProgressBar, OneLinePerEpochWhenNotATerminal) {
  Points train(10), val(6, 100);
  auto data = train.source();
  auto val_data = val.source();
  TempDir dir;
  const fs::path log = dir / "progress.txt";
  std::FILE* out = std::fopen(log.c_str(), "w");
  ASSERT_NE(out, nullptr);
  ProgressBar bar(out);
  Sequential m = small_model();
  FitOptions f = quiet(3);  // 10 samples in batches of 4: 3 batches
  f.validation_data = &val_data;
  f.callbacks = {&bar};
  const History h = m.fit(data, f);
  std::fclose(out);
  const std::string text = read_file(log.string());
  ASSERT_NE(text.find("val_loss: "), std::string::npos) << text;
  ASSERT_NE(text.find("accuracy: "), std::string::npos) << text;
  expect_progress_lines(text, h, 3);
}

TEST(ProgressBar, VerboseFitPrintsItToStandardOutput) {
  Points train(12);
  auto data = train.source();
  Sequential m = small_model();
  FitOptions f = quiet(2, 5);  // 12 samples in batches of 5: 3 batches
  f.verbose = 1;
  ::testing::internal::CaptureStdout();
  const History h = m.fit(data, f);
  expect_progress_lines(::testing::internal::GetCapturedStdout(), h, 3);
}

// A model whose one weight and bias start at 0: Dense(1) on x = 1 with target
// 1 and MSE. The gradient of (w + b - 1)^2 is 2 (w + b - 1) for both.
Sequential one_weight_model() {
  Sequential m(Shape{1});
  m.add<Dense>(DenseOptions(1).kernel_initializer("zeros"));
  CompileOptions o;
  o.optimizer = {{"type", "sgd"}, {"learning_rate", 1.0}};
  o.loss = "mse";
  o.backend = "reference";
  m.compile(o);
  return m;
}

TEST(LearningRateScheduler, SetsTheRateEachEpochAndHistoryRecordsIt) {
  Tensor x = Tensor::from(Shape{1, 1}, {1});
  Tensor y = Tensor::from(Shape{1, 1}, {1});
  TensorDataSource data(x, y);
  Sequential m = one_weight_model();
  std::vector<std::pair<int, float>> calls;
  LearningRateScheduler halve([&](int epoch, float lr) {
    calls.emplace_back(epoch, lr);
    return epoch == 0 ? 0.1f : lr / 2;
  });
  FitOptions f = quiet(3, 1);
  f.callbacks = {&halve};
  const History h = m.fit(data, f);

  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0], std::make_pair(0, 1.0f));  // 0-based epoch, the compiled rate
  EXPECT_EQ(calls[1], std::make_pair(1, 0.1f));
  EXPECT_EQ(calls[2], std::make_pair(2, 0.05f));
  const std::vector<double> lr = h.values("lr");
  ASSERT_EQ(lr.size(), 3u);
  EXPECT_FLOAT_EQ(lr[0], 0.1f);
  EXPECT_FLOAT_EQ(lr[1], 0.05f);
  EXPECT_FLOAT_EQ(lr[2], 0.025f);

  // The rates were used: w = b; epoch 1: w = 0 - 0.1 * 2 (0 - 1) = 0.2;
  // epoch 2: 0.2 - 0.05 * 2 (0.4 - 1) = 0.26; epoch 3: 0.26 - 0.025 * 2
  // (0.52 - 1) = 0.284.
  for (Parameter* p : m.params()) EXPECT_NEAR(p->value[0], 0.284, 1e-6) << p->name;
  // The losses are those before each update of the epoch: 1, 0.36, 0.2304.
  const std::vector<double> loss = h.values("loss");
  EXPECT_NEAR(loss[0], 1.0, 1e-6);
  EXPECT_NEAR(loss[1], 0.36, 1e-6);
  EXPECT_NEAR(loss[2], 0.2304, 1e-6);
}

struct LoggedRun {
  History history;
  std::string file;
};

// Trains small_model() for `epochs` with validation, logging to dir/name.
LoggedRun logged_run(const TempDir& dir, const std::string& name, int epochs) {
  Points train(16), val(8, 50);
  auto data = train.source();
  auto val_data = val.source();
  Sequential m = small_model();
  HistoryLogger logger((dir / name).string());
  FitOptions f = quiet(epochs);
  f.validation_data = &val_data;
  f.callbacks = {&logger};
  LoggedRun run{m.fit(data, f), {}};
  run.file = read_file((dir / name).string());
  return run;
}

const std::vector<std::string> kLoggedKeys = {"accuracy", "loss",         "lr",
                                              "seconds",  "val_accuracy", "val_loss"};

TEST(HistoryLogger, WritesCsvWithAHeaderAndOneRowPerEpoch) {
  TempDir dir;
  const LoggedRun run = logged_run(dir, "history.csv", 3);
  const auto lines = lines_of(run.file);
  ASSERT_EQ(lines.size(), 4u) << run.file;
  EXPECT_EQ(lines[0], "epoch,accuracy,loss,lr,seconds,val_accuracy,val_loss");
  for (std::size_t e = 0; e < 3; ++e) {
    std::istringstream row(lines[e + 1]);
    std::vector<std::string> cells;
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 7u) << lines[e + 1];
    EXPECT_EQ(cells[0], std::to_string(e + 1));
    for (std::size_t k = 0; k < kLoggedKeys.size(); ++k) {
      const double logged = run.history.epochs[e].logs.at(kLoggedKeys[k]);
      EXPECT_NEAR(std::stod(cells[k + 1]), logged, 1e-8 * std::max(1.0, std::fabs(logged)))
          << kLoggedKeys[k] << " of epoch " << e + 1;
    }
  }
}

TEST(HistoryLogger, WritesJsonRecords) {
  TempDir dir;
  const LoggedRun run = logged_run(dir, "history.json", 2);
  const auto j = nlohmann::json::parse(run.file);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  for (std::size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(j[e].at("epoch"), e + 1);
    EXPECT_EQ(j[e].size(), kLoggedKeys.size() + 1) << j[e].dump();
    for (const auto& key : kLoggedKeys)
      EXPECT_DOUBLE_EQ(j[e].at(key).get<double>(), run.history.epochs[e].logs.at(key)) << key;
  }
  EXPECT_EQ(History::from_json(j).to_json(), run.history.to_json());
}

TEST(HistoryLogger, ContinuedTrainingAppendsToTheEarlierEpochs) {
  Points train(8);
  auto data = train.source();
  TempDir dir;
  const fs::path path = dir / "history.json";
  Sequential m = small_model();
  {
    HistoryLogger logger(path.string());
    FitOptions f = quiet(2);
    f.callbacks = {&logger};
    m.fit(data, f);
  }
  HistoryLogger logger(path.string());
  FitOptions f = quiet(3);
  f.initial_epoch = 2;
  f.callbacks = {&logger};
  m.fit(data, f);
  const auto j = nlohmann::json::parse(read_file(path.string()));
  ASSERT_EQ(j.size(), 3u);
  for (std::size_t e = 0; e < 3; ++e) EXPECT_EQ(j[e].at("epoch"), e + 1);
}

std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Trains small_model() for `epochs` with a ModelCheckpoint(dir/name, every).
Sequential checkpointed_run(const TempDir& dir, const std::string& name, int every, int epochs) {
  Points train(8);
  auto data = train.source();
  ModelCheckpoint checkpoint((dir / name).string(), every);
  Sequential m = small_model();
  FitOptions f = quiet(epochs);
  f.callbacks = {&checkpoint};
  m.fit(data, f);
  return m;
}

int epochs_in(const TempDir& dir, const std::string& name) {
  return Sequential::load((dir / name).string()).epochs_done();
}

TEST(ModelCheckpoint, EveryNEpochsWithAnEpochPattern) {
  TempDir dir;
  Sequential m = checkpointed_run(dir, "model_{epoch}.ckpt", 2, 5);
  // Epochs 2 and 4, and the last one; no temporary files left.
  EXPECT_EQ(files_in(dir.path()),
            (std::vector<std::string>{"model_2.ckpt", "model_4.ckpt", "model_5.ckpt"}));
  EXPECT_EQ(epochs_in(dir, "model_2.ckpt"), 2);
  EXPECT_EQ(epochs_in(dir, "model_4.ckpt"), 4);
  Sequential last = Sequential::load((dir / "model_5.ckpt").string());
  EXPECT_EQ(last.epochs_done(), 5);
  EXPECT_EQ(last.weights_snapshot(), m.weights_snapshot());
}

TEST(ModelCheckpoint, FixedPathHoldsTheLatestSave) {
  TempDir dir;
  checkpointed_run(dir, "model.ckpt", 3, 4);  // saves after epochs 3 and 4
  EXPECT_EQ(files_in(dir.path()), std::vector<std::string>{"model.ckpt"});
  EXPECT_EQ(epochs_in(dir, "model.ckpt"), 4);
  EXPECT_THROW(ModelCheckpoint("x.ckpt", 0), ConfigError);
}

// Compares each epoch's val_* figures with evaluate() on `val` right then.
class CompareWithEvaluate : public Callback {
 public:
  explicit CompareWithEvaluate(const DataSource& val) : val_(val) {}
  void on_epoch_end(Model& model, TrainingState& s, const EpochLogs& logs) override {
    const auto expected = model.evaluate(val_);
    EXPECT_DOUBLE_EQ(logs.at("val_loss"), expected.at("loss")) << "epoch " << s.epoch;
    EXPECT_DOUBLE_EQ(logs.at("val_accuracy"), expected.at("accuracy")) << "epoch " << s.epoch;
    ++epochs;
  }
  int epochs = 0;

 private:
  const DataSource& val_;
};

// Fits small_model() on `train` with `f`, checking every epoch's val_*
// figures against evaluate(expected_val); returns the model.
Sequential fit_comparing(const Points& train, const DataSource& expected_val, FitOptions f) {
  auto data = train.source();
  Sequential m = small_model();
  CompareWithEvaluate compare(expected_val);
  f.callbacks = {&compare};
  m.fit(data, f);
  EXPECT_EQ(compare.epochs, f.epochs);
  return m;
}

TEST(Validation, ValidationDataFiguresEqualEvaluate) {
  Points val(24, 1000);
  auto val_data = val.source();
  FitOptions f = quiet(3, 8);
  f.validation_data = &val_data;
  Sequential m = fit_comparing(Points(40), val_data, f);
  const auto after = m.evaluate(val_data);
  const EpochLogs& last = m.history().epochs.back().logs;
  EXPECT_DOUBLE_EQ(last.at("val_loss"), after.at("loss"));
  EXPECT_DOUBLE_EQ(last.at("val_accuracy"), after.at("accuracy"));
}

TEST(Validation, ValidationSplitHoldsOutTheLastSamples) {
  // 40 samples, split 0.25: samples 30..39 validate (Points(10, 30) are
  // those), 0..29 train.
  Points tail(10, 30);
  auto tail_data = tail.source();
  FitOptions f = quiet(2, 8);
  f.validation_split = 0.25;
  fit_comparing(Points(40), tail_data, f);
}

}  // namespace
}  // namespace instnn
