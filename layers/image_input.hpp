// Shared by the image layers (Conv2D, pooling): reads a per-sample NCHW
// shape (channels, height, width) with an error that names the layer and
// says what to do with flat inputs.
#pragma once

#include <string>

#include "instnn/core/error.hpp"
#include "instnn/core/shape.hpp"

namespace instnn {

struct ImageDims {
  int channels = 1, height = 1, width = 1;
};

inline ImageDims image_dims(const Shape& input_shape, const std::string& type,
                            const std::string& name) {
  INSTNN_CHECK(input_shape.rank() == 3, ShapeError, type, " '", name,
               "' expects per-sample images (channels, height, width) but got ",
               input_shape.to_string(),
               "; give the model images shaped like (1, 28, 28), not flat vectors");
  INSTNN_CHECK(input_shape[0] <= (1 << 24) && input_shape[1] <= (1 << 24) &&
                   input_shape[2] <= (1 << 24),
               ShapeError, type, " '", name, "': input ", input_shape.to_string(), " is too large");
  return {static_cast<int>(input_shape[0]), static_cast<int>(input_shape[1]),
          static_cast<int>(input_shape[2])};
}

}  // namespace instnn
