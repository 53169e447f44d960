// Export checks shared by the layer tests: train a model briefly, export
// it, and check that instnn's engine gives model.predict row by row.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "instnn/core/exporter.hpp"
#include "instnn/core/model.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"

namespace instnn::testing {

// Trains `m` briefly on random regression data (so the parameters leave
// their initial values), exports it with `rows` as the validation inputs,
// and checks that instnn's engine gives the model's predictions, row by row
// (within 1e-5). `train_x` (default `rows`) is what it trains on.
inline ExportResult train_and_export(Model& m, const Tensor& rows, const std::string& backend,
                                     ExportTarget target = ExportTarget::Auto, const Tensor* train_x = nullptr) {
  m.compile({.optimizer = nlohmann::json{{"type", "adam"}, {"learning_rate", 0.05}}, .loss = "mse",
             .backend = backend, .seed = 5});
  const Tensor& x = train_x ? *train_x : rows;
  Tensor y(Shape{x.dim(0), std::int64_t(m.output_size())});
  Rng rng(9);
  for (float& v : y.span()) v = rng.uniform(-1.0f, 1.0f);
  FitOptions fit;
  fit.epochs = 5;
  fit.batch_size = 4;
  fit.verbose = 0;
  m.fit(TensorDataSource(x, y), fit);
  ExportOptions o;
  o.target = target;
  o.validation_inputs = &rows;
  ExportResult r = export_instructions(m, o);
  auto engine = inference::InstructionModel::load_string(inference::write_model_json(r.model));
  const Tensor expected = m.predict(rows);
  const std::size_t F = rows.size() / std::size_t(rows.dim(0)), out = m.output_size();  // any rank
  for (std::int64_t i = 0; i < rows.dim(0); ++i) {
    const std::vector<float> got = engine.predict(std::span<const float>(rows.data() + std::size_t(i) * F, F));
    EXPECT_EQ(got.size(), out);
    for (std::size_t j = 0; j < std::min(out, got.size()); ++j)
      EXPECT_NEAR(got[j], expected[std::size_t(i) * out + j], 1e-5 + 1e-5 * std::fabs(expected[std::size_t(i) * out + j]))
          << "row " << i << " output " << j;
  }
  return r;
}

inline Tensor random_rows(std::int64_t n, std::int64_t f, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(Shape{n, f});
  Rng rng(seed);
  for (float& v : t.span()) v = rng.uniform(lo, hi);
  return t;
}

inline std::size_t count_type(const ExportResult& r, inference::InstructionType type) {
  return std::size_t(std::count_if(r.model.instructions.begin(), r.model.instructions.end(),
                                   [&](const inference::Instruction& i) { return i.type == type; }));
}

}  // namespace instnn::testing
