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
// "seq": MNIST read row by row: Reshape (28, 28), LSTM 128 (Keras defaults,
//        last hidden state), Dense 128->10 (logits); the same model as
//        examples/sequence_mnist/seq.json.
// Throws ConfigError naming the known models.
nlohmann::json builtin_model_config(const std::string& name);
std::vector<std::string> builtin_model_names();

// The TAB workload's model for a table of these columns (the data's schema
// decides it, so it is not one of the names above):
//   numeric [n] ("numeric" input) and categorical ids [c] ("categorical"
//   input, each column its own CategoryEmbedding table of embedding_dim) ->
//   Concatenate -> Dense 64 relu -> Dense 32 relu -> Dense outputs (logits,
//   or the standardised regression target).
// An input without columns is left out. Throws ConfigError for a table with
// no feature column, a vocabulary below 1, or outputs below 1.
struct TabModelSpec {
  std::vector<std::string> numeric;      // feature (column) names
  std::vector<std::string> categorical;  // feature (column) names
  std::vector<int> vocabularies;         // known values per categorical column
  int embedding_dim = 4;
  int outputs = 1;  // 1: a binary logit or a regression target; else classes
};
nlohmann::json tab_model_config(const TabModelSpec& spec);

}  // namespace instnn
