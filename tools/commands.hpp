// Sub-commands of the instnn executable. Each file registers its own
// sub-command on the app; main.cpp wires them together.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <map>
#include <string>

#include "instnn/inference/error.hpp"

namespace instnn::cli {

// Training was stopped by SIGINT/SIGTERM after saving a checkpoint; main()
// prints the message (how to resume) and exits with 130, as shells do for
// Ctrl-C.
class Interrupted : public Error {
 public:
  using Error::Error;
};

// Each registrar adds one sub-command. The callback it installs throws
// instnn::Error on failure; main() turns that into a one-line message on
// stderr and exit code 1.
void register_train(CLI::App& app);
void register_evaluate(CLI::App& app);
void register_export(CLI::App& app);
void register_check(CLI::App& app);
void register_predict(CLI::App& app);
void register_validate(CLI::App& app);
void register_info(CLI::App& app);
void register_bench(CLI::App& app);

// "test loss: 0.0748 - test accuracy: 0.9780 (10000 images)": loss, then
// every metric the model was compiled with; `unit` names the samples.
std::string describe_test_results(const std::map<std::string, double>& results, std::size_t samples,
                                  const char* unit = "images");

}  // namespace instnn::cli
