#include "instnn/inference/compiled_program.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>

namespace instnn::inference {
namespace {

// The crate's key conversion: round half away from zero, then a saturating
// cast to i32 with NaN -> 0 (Rust `as` semantics).
std::int32_t map_key_of(float value) {
  if (std::isnan(value)) return 0;
  const float rounded = std::round(value);
  if (rounded >= 2147483648.0f) return std::numeric_limits<std::int32_t>::max();
  if (rounded <= -2147483648.0f) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(rounded);
}

// Whether the instruction overwrites every float of its output buffer
// before anything reads it (so that buffer needs no zeroing per sample).
bool writes_whole_output(const Instruction& inst, const ModelInfo& model) {
  switch (inst.type) {
    case InstructionType::Dot:
    case InstructionType::Attention:
    case InstructionType::AddElementwiseBuffers:
    case InstructionType::MultiplyElementwiseBuffers:
    case InstructionType::Conv2D:
    case InstructionType::MaxPool2D:
    case InstructionType::LayerNorm:
      return true;
    case InstructionType::MultiplyBufferHeads:
    case InstructionType::AddBufferHeads:
      return model.buffer_sizes[inst.inputs[0]] == model.buffer_sizes[inst.output];
    default:
      return false;
  }
}

}  // namespace

CompiledProgram::CompiledProgram(const ModelInfo& model, const ModelLayout& layout)
    : feature_size_(layout.feature_size),
      total_size_(layout.total_size),
      output_offset_(layout.output_offset),
      output_size_(layout.output_size) {
  const auto& sizes = model.buffer_sizes;
  const auto& off = layout.offsets;

  // Zero ranges: every buffer beyond the input whose first use is not a
  // complete overwrite (docs/format.md, "Buffers and the unified buffer": every
  // sample starts from a zero U).
  std::vector<int> first_use(sizes.size(), 0);  // 0 unknown, 1 needs zero, 2 overwritten
  std::size_t input_buffers = 0;
  for (std::size_t covered = 0; input_buffers < sizes.size() && covered < feature_size_; ++input_buffers)
    covered += sizes[input_buffers];
  for (std::size_t b = 0; b < input_buffers; ++b) first_use[b] = 2;
  for (const auto& inst : model.instructions) {
    for (std::size_t b : instruction_reads(inst))
      if (first_use[b] == 0) first_use[b] = 1;
    const std::size_t written = instruction_has_output(inst) ? inst.output : inst.input;
    if (first_use[written] == 0) first_use[written] = writes_whole_output(inst, model) ? 2 : 1;
  }
  for (std::size_t b = 0; b < sizes.size(); ++b) {
    if (first_use[b] == 2 || sizes[b] == 0) continue;
    if (!zero_ranges_.empty() && zero_ranges_.back().second == off[b])
      zero_ranges_.back().second = off[b] + sizes[b];
    else
      zero_ranges_.emplace_back(off[b], off[b] + sizes[b]);
  }

  std::map<std::size_t, std::size_t> dense_of_weights;
  auto dense_for = [&](std::size_t weights, std::size_t columns) {
    auto it = dense_of_weights.find(weights);
    if (it != dense_of_weights.end()) return it->second;
    denses_.emplace_back(model.weights[weights], model.bias[weights], columns);
    dense_of_weights.emplace(weights, denses_.size() - 1);
    return denses_.size() - 1;
  };

  std::map<std::size_t, std::size_t> compiled_map_of;
  auto map_for = [&](std::size_t index) {
    auto it = compiled_map_of.find(index);
    if (it != compiled_map_of.end()) return it->second;
    Map compiled;
    for (const auto& [key, vector] : (*model.maps)[index].entries) {
      compiled.keys.emplace_back(*parse_map_key(key), compiled.values.size());
      compiled.values.insert(compiled.values.end(), vector.begin(), vector.end());
    }
    std::sort(compiled.keys.begin(), compiled.keys.end());
    maps_.push_back(std::move(compiled));
    compiled_map_of.emplace(index, maps_.size() - 1);
    return maps_.size() - 1;
  };

  for (const auto& inst : model.instructions) {
    Step step;
    step.type = inst.type;
    step.activation = inst.activation;
    step.in = off[inst.input];
    step.in_size = sizes[inst.input];
    if (instruction_has_output(inst)) {
      step.out = off[inst.output];
      step.out_size = sizes[inst.output];
    }
    switch (inst.type) {
      case InstructionType::Dot:
        step.dense = dense_for(inst.weights, sizes[inst.input]);
        break;
      case InstructionType::Attention:
        step.key = off[inst.key];
        step.dense = dense_for(inst.weights, sizes[inst.key]);
        break;
      case InstructionType::Copy:
        step.position = inst.internal_index;
        break;
      case InstructionType::CopyMasked:
        step.indexes.assign(inst.indexes.begin(), inst.indexes.end());
        break;
      case InstructionType::AddElementwise:
      case InstructionType::MulElementwise:
        step.vector_a = (*model.parameters)[inst.parameters];
        break;
      case InstructionType::ClipElementwise:
        if (inst.parameters_min) {
          step.has_min = true;
          step.vector_a = (*model.parameters)[*inst.parameters_min];
        }
        if (inst.parameters_max) {
          step.has_max = true;
          step.vector_b = (*model.parameters)[*inst.parameters_max];
        }
        break;
      case InstructionType::MapTransform:
        step.position = inst.internal_input_index;
        step.out_position = inst.internal_output_index;
        step.count = inst.size;
        step.vector_a = inst.default_values;
        step.map = map_for(inst.map);
        break;
      case InstructionType::AddElementwiseBuffers:
      case InstructionType::MultiplyElementwiseBuffers:
        for (std::size_t b : inst.inputs) step.inputs.push_back(off[b]);
        break;
      case InstructionType::MultiplyBufferHeads:
      case InstructionType::AddBufferHeads:
        step.inputs = {off[inst.inputs[0]], off[inst.inputs[1]]};
        step.count = sizes[inst.inputs[0]];
        step.head_width = step.count / sizes[inst.inputs[1]];
        break;
      case InstructionType::Conv2D: {
        step.channels = inst.channels;
        step.height = inst.height;
        step.width = inst.width;
        step.kh = inst.kernel[0];
        step.kw = inst.kernel[1];
        step.sh = inst.stride[0];
        step.sw = inst.stride[1];
        step.ph = inst.padding[0];
        step.pw = inst.padding[1];
        step.filters = model.weights[inst.weights].size();
        step.out_height = (step.height + 2 * step.ph - step.kh) / step.sh + 1;
        step.out_width = (step.width + 2 * step.pw - step.kw) / step.sw + 1;
        const std::size_t patch = step.channels * step.kh * step.kw;
        step.dense = dense_for(inst.weights, patch);
        const std::size_t positions = step.out_height * step.out_width;
        scratch_size_ = std::max(scratch_size_, positions * patch + positions * step.filters);
        break;
      }
      case InstructionType::MaxPool2D:
        step.channels = inst.channels;
        step.height = inst.height;
        step.width = inst.width;
        step.kh = inst.pool[0];
        step.kw = inst.pool[1];
        step.sh = inst.stride[0];
        step.sw = inst.stride[1];
        step.out_height = (step.height - step.kh) / step.sh + 1;
        step.out_width = (step.width - step.kw) / step.sw + 1;
        break;
      case InstructionType::LayerNorm:
        step.count = inst.size;
        step.vector_a = (*model.parameters)[inst.parameters_gamma];
        step.vector_b = (*model.parameters)[inst.parameters_beta];
        step.epsilon = inst.epsilon;
        break;
      default:
        break;
    }
    steps_.push_back(std::move(step));
  }
}

void CompiledProgram::prepare(const float* input, float* u) const {
  for (const auto& [begin, end] : zero_ranges_) std::memset(u + begin, 0, (end - begin) * sizeof(float));
  if (feature_size_ != 0) std::memcpy(u, input, feature_size_ * sizeof(float));
}

void CompiledProgram::run(std::span<const float> input, float* u, float* scratch) const {
  prepare(input.data(), u);
  for (const Step& step : steps_) run_step(step, u, scratch);
}

void CompiledProgram::run_block(const float* inputs, std::size_t samples, float* u, std::size_t stride,
                                float* scratch) const {
  for (std::size_t s = 0; s < samples; ++s) prepare(inputs + s * feature_size_, u + s * stride);
  for (const Step& step : steps_) {
    switch (step.type) {
      case InstructionType::Dot:
        denses_[step.dense].apply_block(u + step.in, stride, u + step.out, stride, samples);
        if (step.activation)
          for (std::size_t s = 0; s < samples; ++s)
            apply_activation(*step.activation, {u + s * stride + step.out, step.out_size});
        break;
      case InstructionType::Attention:
        denses_[step.dense].apply_block(u + step.key, stride, u + step.out, stride, samples);
        for (std::size_t s = 0; s < samples; ++s) {
          float* base = u + s * stride;
          softmax_in_place({base + step.out, step.out_size});
          for (std::size_t r = 0; r < step.out_size; ++r) base[step.out + r] *= base[step.in + r];
        }
        break;
      default:
        for (std::size_t s = 0; s < samples; ++s) run_step(step, u + s * stride, scratch);
    }
  }
}

void CompiledProgram::run_step(const Step& step, float* u, float* scratch) const {
  float* out = u + step.out;
  float* in = u + step.in;
  switch (step.type) {
    case InstructionType::Dot:
      denses_[step.dense].apply(in, out);
      if (step.activation) apply_activation(*step.activation, {out, step.out_size});
      return;
    case InstructionType::Activation:
      apply_activation(*step.activation, {in, step.in_size});
      return;
    case InstructionType::Copy:
      // The validator allows in == out only with offset 0.
      std::memmove(out + step.position, in, step.in_size * sizeof(float));
      return;
    case InstructionType::CopyMasked:
      for (std::size_t j = 0; j < step.indexes.size(); ++j) out[j] = in[step.indexes[j]];
      return;
    case InstructionType::AddElementwise:
      for (std::size_t j = 0; j < step.in_size; ++j) in[j] += step.vector_a[j];
      return;
    case InstructionType::MulElementwise:
      for (std::size_t j = 0; j < step.in_size; ++j) in[j] *= step.vector_a[j];
      return;
    case InstructionType::ClipElementwise:
      // NaN stays NaN, as numpy.maximum / numpy.minimum.
      if (step.has_min)
        for (std::size_t j = 0; j < step.in_size; ++j) in[j] = in[j] < step.vector_a[j] ? step.vector_a[j] : in[j];
      if (step.has_max)
        for (std::size_t j = 0; j < step.in_size; ++j) in[j] = in[j] > step.vector_b[j] ? step.vector_b[j] : in[j];
      return;
    case InstructionType::MapTransform: {
      const std::int32_t key = map_key_of(in[step.position]);
      const Map& map = maps_[step.map];
      const auto it = std::lower_bound(map.keys.begin(), map.keys.end(), std::make_pair(key, std::size_t{0}));
      const float* source =
          (it != map.keys.end() && it->first == key) ? map.values.data() + it->second : step.vector_a.data();
      std::copy(source, source + step.count, out + step.out_position);
      return;
    }
    case InstructionType::AddElementwiseBuffers:
      for (std::size_t j = 0; j < step.out_size; ++j) {
        float acc = u[step.inputs[0] + j];
        for (std::size_t k = 1; k < step.inputs.size(); ++k) acc += u[step.inputs[k] + j];
        out[j] = acc;
      }
      return;
    case InstructionType::MultiplyElementwiseBuffers:
      for (std::size_t j = 0; j < step.out_size; ++j) {
        float acc = u[step.inputs[0] + j];
        for (std::size_t k = 1; k < step.inputs.size(); ++k) acc *= u[step.inputs[k] + j];
        out[j] = acc;
      }
      return;
    case InstructionType::MultiplyBufferHeads:
    case InstructionType::AddBufferHeads: {
      const float* data = u + step.inputs[0];
      const float* heads = u + step.inputs[1];
      const bool multiply = step.type == InstructionType::MultiplyBufferHeads;
      for (std::size_t i = 0; i < step.count; ++i) {
        const float h = heads[i / step.head_width];
        out[i] = multiply ? data[i] * h : data[i] + h;
      }
      return;
    }
    case InstructionType::ReduceSum: {
      float sum = 0.0f;
      for (std::size_t j = 0; j < step.in_size; ++j) sum += in[j];
      out[0] = sum;
      return;
    }
    case InstructionType::Attention:
      denses_[step.dense].apply(u + step.key, out);
      softmax_in_place({out, step.out_size});
      for (std::size_t r = 0; r < step.out_size; ++r) out[r] *= in[r];
      return;
    case InstructionType::Conv2D:
      run_conv2d(step, u, scratch);
      return;
    case InstructionType::MaxPool2D:
      run_max_pool2d(step, u);
      return;
    case InstructionType::LayerNorm:
      run_layer_norm(step, u);
      return;
  }
}

// im2col (one row of channels*kh*kw values per output position) and the
// dense block kernel with positions as samples, then a transpose into the
// channel-major output.
void CompiledProgram::run_conv2d(const Step& step, float* u, float* scratch) const {
  const float* in = u + step.in;
  float* out = u + step.out;
  const std::size_t positions = step.out_height * step.out_width;
  const std::size_t patch = step.channels * step.kh * step.kw;
  float* columns = scratch;
  float* products = scratch + positions * patch;
  for (std::size_t oy = 0; oy < step.out_height; ++oy) {
    for (std::size_t ox = 0; ox < step.out_width; ++ox) {
      float* row = columns + (oy * step.out_width + ox) * patch;
      for (std::size_t c = 0; c < step.channels; ++c) {
        for (std::size_t ky = 0; ky < step.kh; ++ky) {
          // Signed arithmetic: padding puts positions before row/column 0.
          const std::ptrdiff_t y = static_cast<std::ptrdiff_t>(oy * step.sh + ky) - static_cast<std::ptrdiff_t>(step.ph);
          for (std::size_t kx = 0; kx < step.kw; ++kx) {
            const std::ptrdiff_t x =
                static_cast<std::ptrdiff_t>(ox * step.sw + kx) - static_cast<std::ptrdiff_t>(step.pw);
            const bool inside = y >= 0 && x >= 0 && y < static_cast<std::ptrdiff_t>(step.height) &&
                                x < static_cast<std::ptrdiff_t>(step.width);
            *row++ = inside ? in[(c * step.height + static_cast<std::size_t>(y)) * step.width +
                                 static_cast<std::size_t>(x)]
                            : 0.0f;
          }
        }
      }
    }
  }
  denses_[step.dense].apply_block(columns, patch, products, step.filters, positions);
  for (std::size_t p = 0; p < positions; ++p)
    for (std::size_t f = 0; f < step.filters; ++f) out[f * positions + p] = products[p * step.filters + f];
  if (step.activation) apply_activation(*step.activation, {out, step.out_size});
}

void CompiledProgram::run_max_pool2d(const Step& step, float* u) const {
  const float* in = u + step.in;
  float* out = u + step.out;
  for (std::size_t c = 0; c < step.channels; ++c)
    for (std::size_t oy = 0; oy < step.out_height; ++oy)
      for (std::size_t ox = 0; ox < step.out_width; ++ox) {
        float best = -std::numeric_limits<float>::infinity();
        for (std::size_t ky = 0; ky < step.kh; ++ky)
          for (std::size_t kx = 0; kx < step.kw; ++kx) {
            const float v = in[(c * step.height + oy * step.sh + ky) * step.width + ox * step.sw + kx];
            best = v > best ? v : best;
          }
        out[(c * step.out_height + oy) * step.out_width + ox] = best;
      }
}

// Each row of `count` values by its own mean and biased variance, in
// double, then gamma and beta per position of the row.
void CompiledProgram::run_layer_norm(const Step& step, float* u) const {
  const std::size_t n = step.count;
  for (std::size_t row = 0; row < step.in_size; row += n) {
    const float* x = u + step.in + row;
    float* y = u + step.out + row;
    double mean = 0;
    for (std::size_t j = 0; j < n; ++j) mean += x[j];
    mean /= double(n);
    double var = 0;
    for (std::size_t j = 0; j < n; ++j) var += (x[j] - mean) * (x[j] - mean);
    const double invstd = 1.0 / std::sqrt(var / double(n) + double(step.epsilon));
    for (std::size_t j = 0; j < n; ++j)
      y[j] = float((x[j] - mean) * invstd * step.vector_a[j] + step.vector_b[j]);
  }
}

}  // namespace instnn::inference
