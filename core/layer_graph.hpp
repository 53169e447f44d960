// A model as a graph of layer applications, as the exporter and other
// whole-model passes read it (core/model.hpp builds it).
//
// Value ids: model input i is value i; application k's output is value
// inputs.size() + k. Applications are in topological order (every input of
// application k is a model input or the output of an earlier application).
// A layer applied several times (shared weights) appears in several
// applications with the same Layer pointer: its parameters are one set.
#pragma once

#include <string>
#include <vector>

#include "instnn/core/shape.hpp"

namespace instnn {

class Layer;

struct LayerGraph {
  struct Input {
    std::string name;  // as declared: "pixels"
    Shape shape;       // per sample
    std::vector<std::string> features{};  // what the exported file names its values; empty: "<name>[<size>]"
  };
  struct Application {
    const Layer* layer = nullptr;  // built
    std::vector<int> inputs;       // value ids, in the layer's input order
    int index = 0;                 // which application of `layer` this is (0, 1, ...)
  };
  std::vector<Input> inputs;
  std::vector<Application> applications;
  std::vector<int> outputs;  // value ids, in output order

  int value_of_application(std::size_t k) const { return static_cast<int>(inputs.size() + k); }
};

}  // namespace instnn
