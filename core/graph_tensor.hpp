// A symbolic tensor of a graph model under construction: a model input, or
// the output of one application of a layer. It holds no data; applying a
// layer to it records an edge of the graph (Keras's Functional API).
//
//   Model model;
//   GraphTensor x = model.input("pixels", Shape{784});
//   GraphTensor h = model.add<Dense>(128, "relu")(x);
//
// It refers to its model by address: build the graph, then move the model
// if you must, not the other way round.
#pragma once

namespace instnn {

class Model;

struct GraphTensor {
  Model* model = nullptr;
  int value = -1;  // value id: see core/layer_graph.hpp
};

}  // namespace instnn
