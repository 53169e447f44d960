// Writes a folded LoweredGraph as instructions through inference's
// ModelBuilder: one leading input buffer per model input (declaration
// order), the ops in order, the model output(s) in the last buffer
// (several outputs concatenated in output order).
//
// This base class emits everything the two targets write alike, with
// standard instructions only. PortableEmitter (portable_emitter.hpp) and
// NativeEmitter (native_emitter.hpp) differ in Conv2D and MaxPool2D, and in
// whether the native-only activations may be used.
//
// Layout: values are channel-major (C x H x W), as Flatten expects, except
// the results of the portable convolution, which are position-major
// (H x W x C); they are put back in channel-major order where an op needs
// it (Flatten, merges, the model output).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "instnn/core/buffer_plan.hpp"
#include "instnn/core/lowered_graph.hpp"
#include "instnn/inference/model_builder.hpp"

namespace instnn {

class InstructionEmitter {
 public:
  InstructionEmitter(const LoweredGraph& graph, inference::ModelBuilder& builder);
  virtual ~InstructionEmitter() = default;
  InstructionEmitter(const InstructionEmitter&) = delete;
  InstructionEmitter& operator=(const InstructionEmitter&) = delete;

  // Writes the whole file body. input_scale / input_offset: empty or one
  // value per input feature (all inputs in order), applied in place to the
  // input buffers first (the file then takes raw features). output_scale /
  // output_offset: empty or one value per output value (all outputs in
  // order), applied in place to the output buffer last (MUL_ELEMENTWISE,
  // then ADD_ELEMENTWISE).
  void emit(const std::vector<float>& input_scale, const std::vector<float>& input_offset,
            const std::vector<float>& output_scale = {}, const std::vector<float>& output_offset = {});

 protected:
  // Where a value is and in which layout.
  struct Placed {
    std::size_t buffer = 0;
    Shape shape;
    bool hwc = false;  // position-major (rank-3 values only)
    std::size_t size() const { return shape.size(); }
    // Index of element (c, y, x) of a rank-3 value in its buffer.
    std::size_t at(int c, int y, int x) const;
  };

  virtual bool native() const = 0;
  virtual void conv2d(const LoweredOp& op) = 0;
  virtual void max_pool2d(const LoweredOp& op) = 0;

  // ---- helpers for the targets ----
  const Placed& placed(int value) const { return placed_.at(std::size_t(value)); }
  // Records that `value` lives in `buffer` with this shape and layout.
  void define(int value, std::size_t buffer, Shape shape, bool hwc);
  // The value in channel-major order (converted with COPY_MASKED once, the
  // value then lives in the converted buffer).
  const Placed& channel_major(int value);
  // The buffer for a result its op writes entirely: a fresh one for the
  // model's single output (so that it is the last buffer, with no COPY
  // after it), else plan_.reusable.
  std::size_t result_buffer(int value, std::size_t size);
  // A buffer holding `value` that the current op may overwrite: its own
  // when nothing else needs it any more, else a copy.
  std::size_t writable(int value);
  // The file's weights index for an op's matrix, added on first use: every
  // application of a shared layer references the same matrix.
  std::size_t weights_index(const LoweredOp& op, std::size_t slot, const inference::WeightMatrix& weights,
                            const std::vector<float>& bias);
  static inference::WeightMatrix matrix(const LoweredOp& op);
  std::optional<inference::Activation> dot_activation(const LoweredOp& op) const;
  // Applies `spec` to the `n` values in `buffer`, which the caller owns;
  // returns the buffer with the result (`buffer` itself, or a new one, in
  // which case `buffer` is released).
  // A new buffer holding the result is op.output's (result_buffer).
  std::size_t activate(std::size_t buffer, std::size_t n, const ActivationSpec& spec, const LoweredOp& op);
  // Portable max-pooling from standard instructions (both targets use it
  // on position-major input).
  void max_pool_standard(const LoweredOp& op);
  // Gathers window element (dy, dx) of every output position of `in` into
  // `buffer` (a new one when npos); the result has the input's layout.
  std::size_t gather_window(const Placed& in, const Pool2DGeometry& g, int dy, int dx,
                            std::size_t buffer = std::size_t(-1));

  const LoweredGraph& graph_;
  inference::ModelBuilder& b_;
  BufferPlan plan_;

 private:
  void emit_op(const LoweredOp& op);
  void dense(const LoweredOp& op);
  void avg_pool(const LoweredOp& op);
  void affine(const LoweredOp& op);
  void standalone_activation(const LoweredOp& op);
  void softmax(const LoweredOp& op);
  void flatten(const LoweredOp& op);
  void concatenate(const LoweredOp& op);
  void weighted_sum(const LoweredOp& op);
  void multiply(const LoweredOp& op);
  void heads(const LoweredOp& op);
  void reduce_sum(const LoweredOp& op);
  void gather(const LoweredOp& op);
  void recurrent(const LoweredOp& op);  // core/recurrent_unroll.cpp
  void instruction(const LoweredOp& op);
  // The inputs of an elementwise merge in one layout (channel-major unless
  // all share the position-major one).
  std::vector<Placed> same_layout(const LoweredOp& op);
  void finish();

  std::vector<Placed> placed_;  // per value
  std::map<std::pair<const Layer*, std::size_t>, std::size_t> weights_of_;
  // The file's map index of each (layer, local map) whose ops share their maps
  // (InstructionData::shared_maps).
  std::map<std::pair<const Layer*, std::size_t>, std::size_t> maps_of_;
};

}  // namespace instnn
