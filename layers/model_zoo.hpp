// The reference models (docs/design.md, "Reference workloads") as model configs, so the
// command line, examples and benchmarks build exactly the same networks.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace instnn {

// "mlp": Dense 784->256 relu, 256->128 relu, 128->10 (logits).
// Kernels of layers followed by a ReLU start He-uniform, the rest Glorot.
// "cnn": Conv2D 32 3x3 relu, MaxPool 2, Conv2D 64 3x3 relu, MaxPool 2,
//        Flatten, Dropout 0.5, Dense 10.
// "bncnn": cnn with BatchNorm after each Conv2D, before the ReLU.
// "resmlp": a graph config: h1 = Dense 784->128 relu, h2 = Dense 128->128
//        relu, res1 = Add(h1, h2), h3 = Dense 128->128 relu, res2 =
//        Add(res1, h3), Dense 128->10 (logits).
// Throws ConfigError naming the known models.
nlohmann::json builtin_model_config(const std::string& name);
std::vector<std::string> builtin_model_names();

}  // namespace instnn
