// Inputs the fuzzers (fuzz/, scripts/fuzz.sh) once crashed on, one directory
// per target under tests/data/fuzz_regressions/. Each must now load or fail
// with an instnn::Error; a crash, a sanitizer report or any other exception
// fails the test. The file names say what each input broke.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include <nlohmann/json.hpp>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/core/file_util.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/data/csv_reader.hpp"
#include "instnn/data/idx_reader.hpp"
#include "instnn/inference/instruction_model.hpp"

namespace instnn {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs(const std::string& target) {
  const fs::path dir = fs::path(INSTNN_SOURCE_DIR) / "tests/data/fuzz_regressions" / target;
  std::vector<fs::path> files;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Runs `load` on every input of the target; only instnn::Error may escape.
void check_all(const std::string& target, const std::function<void(const fs::path&)>& load) {
  for (const fs::path& file : inputs(target)) {
    SCOPED_TRACE(file.filename().string());
    try {
      load(file);
    } catch (const Error&) {
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not an instnn::Error: " << e.what();
    }
  }
}

TEST(FuzzRegressions, InstructionJson) {
  check_all("instruction_json", [](const fs::path& f) {
    const auto model = inference::InstructionModel::load_string(read_file(f.string()));
    model.predict(std::vector<float>(model.feature_size(), 0.5f));
  });
}

TEST(FuzzRegressions, ModelConfig) {
  check_all("model_config", [](const fs::path& f) {
    const auto config = nlohmann::json::parse(read_file(f.string()), nullptr, false);
    if (config.is_discarded()) return;
    Sequential m = Sequential::from_config(config);
    if (!m.input_shape()) return;
    m.compile({.optimizer = "sgd", .backend = "reference", .threads = 1});
    Shape batch{2};
    for (int i = 0; i < m.input_shape()->rank(); ++i) batch.push_back((*m.input_shape())[i]);
    m.forward(Tensor(batch, 0.25f), Mode::Infer);
  });
}

TEST(FuzzRegressions, Idx) {
  check_all("idx", [](const fs::path& f) { read_idx(f); });
}

TEST(FuzzRegressions, Csv) {
  check_all("csv", [](const fs::path& f) {
    for (CsvLabelKind kind : {CsvLabelKind::ClassIds, CsvLabelKind::Targets, CsvLabelKind::None}) {
      try {
        read_csv(f, {.labels = kind});
      } catch (const Error&) {
      }
    }
  });
}

// As fuzz/fuzz_checkpoint.cpp: a model that loads is also run and exported.
TEST(FuzzRegressions, Checkpoint) {
  check_all("checkpoint", [](const fs::path& f) {
    Sequential model = Sequential::load(f.string());
    model.summary();
    if (!model.sample_inputs().empty()) model.predict(model.sample_inputs());
    export_instructions(model);
  });
}

}  // namespace
}  // namespace instnn
