#include "instnn/inference/instruction_model.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <thread>

#include "instnn/inference/aligned_buffer.hpp"
#include "instnn/inference/compiled_program.hpp"
#include "instnn/inference/error.hpp"
#include "instnn/inference/worker_pool.hpp"

namespace instnn::inference {

struct InstructionModel::State {
  ModelInfo info;
  ModelLayout layout;
  CompiledProgram program;

  State(ModelInfo model, const ModelLayout& validated)
      : info(std::move(model)), layout(validated), program(info, layout) {}
};

namespace {

// Per-thread working buffer for the one-sample paths: no shared mutable
// state between threads, no allocation per call once warm.
float* thread_buffer(std::size_t floats) {
  thread_local AlignedBuffer buffer;
  if (buffer.size() < floats) buffer.resize(floats);
  return buffer.data();
}

// predict_batch's working buffers, per thread and kept between calls (a
// serving loop calls it thousands of times a second).
struct BlockBuffers {
  AlignedBuffer u, scratch;
};
BlockBuffers& thread_block_buffers(std::size_t u_floats, std::size_t scratch_floats) {
  thread_local BlockBuffers buffers;
  if (buffers.u.size() < u_floats) buffers.u.resize(u_floats);
  if (buffers.scratch.size() < scratch_floats) buffers.scratch.resize(scratch_floats);
  return buffers;
}

// The threads of predict_batch: one pool for every model and every caller,
// started on first use (worker_pool.hpp: concurrent calls are safe; a call
// that finds the workers busy runs its share on its own thread).
WorkerPool& batch_pool() {
  struct Pool {
    WorkerPool pool;
    Pool() { pool.set_threads(int(std::max(1u, std::thread::hardware_concurrency()))); }
  };
  static Pool instance;
  return instance.pool;
}

// NaN prints as "NaN" whatever its sign bit (iostreams would say "-nan").
std::string format_value(float value) {
  if (std::isnan(value)) return "NaN";
  std::ostringstream out;
  out.precision(9);
  out << value;
  return out.str();
}

std::string format_values(const std::vector<float>& values, std::size_t count) {
  std::ostringstream out;
  out << "[";
  const std::size_t shown = std::min<std::size_t>(count, 16);
  for (std::size_t i = 0; i < shown; ++i) out << (i ? ", " : "") << format_value(values[i]);
  if (count > shown) out << ", ... (" << count << " values)";
  out << "]";
  return out.str();
}

bool matches(float expected, float got, float tolerance) {
  if (expected == got) return true;  // includes equal infinities
  if (!std::isfinite(got)) return false;  // NaN/Inf for a finite expected value (docs/format.md, "validation_data")
  return std::fabs(expected - got) <= tolerance;
}

void verify_validation_data(const InstructionModel& model, const ValidationData& data, float tolerance) {
  for (std::size_t i = 0; i < data.inputs.size(); ++i) {
    const auto& input = data.inputs[i];
    const auto& expected = data.expected_outputs[i];
    const std::string path = "validation_data";
    if (input.size() != model.feature_size())
      throw FormatError(path + ".inputs[" + std::to_string(i) +
                        "]: The number of inputs provided must match the feature size: expected " +
                        std::to_string(model.feature_size()) + ", got " + std::to_string(input.size()));
    if (expected.size() != model.output_size())
      throw FormatError(path + ".expected_outputs[" + std::to_string(i) +
                        "]: The size of the outputs must match the output size: expected " +
                        std::to_string(model.output_size()) + ", got " + std::to_string(expected.size()));
    const std::vector<float> got = model.predict(input);
    for (std::size_t j = 0; j < got.size(); ++j) {
      if (matches(expected[j], got[j], tolerance)) continue;
      std::ostringstream message;
      message.precision(9);
      message << path << ".expected_outputs[" << i << "][" << j << "]: validation case " << i << ", output " << j
              << ": expected " << format_value(expected[j]) << " but got " << format_value(got[j]) << " (tolerance " << tolerance
              << "); inputs " << format_values(input, input.size()) << ", expected "
              << format_values(expected, j + 1) << ", computed " << format_values(got, j + 1);
      throw NumericError(message.str());
    }
  }
}

}  // namespace

InstructionModel::InstructionModel(std::shared_ptr<const State> state) : state_(std::move(state)) {}

InstructionModel InstructionModel::load(const std::string& path, const LoadOptions& options) {
  ModelInfo info = read_model_file(path, options.json);
  try {
    return from_model_info(std::move(info), options);
  } catch (const NumericError& e) {
    throw NumericError(path + ": " + e.what());
  } catch (const FormatError& e) {
    throw FormatError(path + ": " + e.what());
  }
}

InstructionModel InstructionModel::load_string(std::string_view json, const LoadOptions& options) {
  return from_model_info(read_model_json(json, options.json), options);
}

InstructionModel InstructionModel::from_model_info(ModelInfo model, const LoadOptions& options) {
  const ModelLayout layout = validate_model(model, options.limits);
  InstructionModel result(std::make_shared<const State>(std::move(model), layout));
  if (options.verify_validation_data && result.state_->info.validation_data)
    verify_validation_data(result, *result.state_->info.validation_data, options.validation_tolerance);
  return result;
}

std::size_t InstructionModel::feature_size() const { return state_->program.feature_size(); }
std::size_t InstructionModel::output_size() const { return state_->program.output_size(); }
std::size_t InstructionModel::required_memory() const {
  return state_->program.total_size() + state_->program.scratch_size();
}
const ModelInfo& InstructionModel::info() const { return state_->info; }

void InstructionModel::check_input(std::span<const float> input) const {
  if (input.size() != feature_size())
    throw ShapeError("predict: the model takes " + std::to_string(feature_size()) + " inputs per sample, got " +
                     std::to_string(input.size()));
}

std::vector<float> InstructionModel::predict(std::span<const float> input) const {
  std::vector<float> output(output_size());
  predict_into(input, output);
  return output;
}

float InstructionModel::predict_single(std::span<const float> input) const {
  if (output_size() != 1)
    throw ShapeError("predict_single: the model has " + std::to_string(output_size()) +
                     " outputs; predict_single needs exactly 1");
  float value = 0.0f;
  predict_into(input, {&value, 1});
  return value;
}

void InstructionModel::predict_into(std::span<const float> input, std::span<float> output) const {
  check_input(input);
  if (output.size() != output_size())
    throw ShapeError("predict_into: the output span has " + std::to_string(output.size()) + " floats, the model has " +
                     std::to_string(output_size()) + " outputs");
  const CompiledProgram& program = state_->program;
  float* u = thread_buffer(required_memory());
  program.run(input, u, u + program.total_size());
  std::copy_n(u + program.output_offset(), program.output_size(), output.data());
}

std::span<const float> InstructionModel::predict_with_buffer(std::span<const float> input,
                                                            std::span<float> buffer) const {
  check_input(input);
  if (buffer.size() < required_memory())
    throw ShapeError("predict_with_buffer: the buffer has " + std::to_string(buffer.size()) +
                     " floats, the model needs " + std::to_string(required_memory()));
  const CompiledProgram& program = state_->program;
  program.run(input, buffer.data(), buffer.data() + program.total_size());
  return buffer.subspan(program.output_offset(), program.output_size());
}

std::vector<float> InstructionModel::predict_batch(std::span<const float> rows, const BatchOptions& options) const {
  const CompiledProgram& program = state_->program;
  const std::size_t features = feature_size();
  if (features == 0) {
    if (!rows.empty()) throw ShapeError("predict_batch: the model takes no inputs but rows were given");
    return {};
  }
  if (rows.size() % features != 0)
    throw ShapeError("predict_batch: " + std::to_string(rows.size()) + " floats is not a whole number of samples of " +
                     std::to_string(features) + " inputs");
  const std::size_t samples = rows.size() / features;
  std::vector<float> result(samples * output_size());
  if (samples == 0) return result;

  // Each sample's U starts on a cache line.
  const std::size_t stride = (program.total_size() + 15) / 16 * 16;
  std::size_t block = options.batch;
  if (block == 0) block = std::clamp<std::size_t>((96 * 1024 / sizeof(float)) / stride / 12 * 12, 12, 240);
  block = std::min(block, samples);
  unsigned threads = options.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : options.threads;
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, (samples + block - 1) / block));

  // Contiguous ranges of samples, one per thread, each run in blocks on the
  // running thread's own buffers.
  const std::size_t per_thread = (samples + threads - 1) / threads;
  auto work = [&](int t) {
    const std::size_t first = std::min(samples, std::size_t(t) * per_thread);
    const std::size_t last = std::min(samples, first + per_thread);
    BlockBuffers& buffers = thread_block_buffers(block * stride, program.scratch_size());
    float* u = buffers.u.data();
    for (std::size_t s = first; s < last; s += block) {
      const std::size_t count = std::min(block, last - s);
      program.run_block(rows.data() + s * features, count, u, stride, buffers.scratch.data());
      for (std::size_t k = 0; k < count; ++k)
        std::copy_n(u + k * stride + program.output_offset(), program.output_size(),
                    result.data() + (s + k) * program.output_size());
    }
  };
  if (threads <= 1)
    work(0);
  else
    batch_pool().run(int(threads), work);
  return result;
}

}  // namespace instnn::inference
