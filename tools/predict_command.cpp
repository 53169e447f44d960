// instnn predict: run an instruction model over the samples of a CSV file.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "instnn/inference/error.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"
#include "instnn/tools/sample_csv.hpp"

namespace instnn::cli {

void register_predict(CLI::App& app) {
  struct Args {
    std::string model, input, output;
    unsigned threads = 1;
    std::size_t batch = 8192;
    std::string header = "auto";
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("predict", "Run an instruction-model JSON over the samples of a CSV file");
  cmd->add_option("model", args->model, "instruction-model JSON")->required();
  cmd->add_option("--input", args->input,
                  "CSV, one sample per line; with a header, columns are matched to the model's features by name "
                  "(categories through the model's vocabularies), without one they are read by position")
      ->required();
  cmd->add_option("--header", args->header, "whether the CSV has a header line: auto (detected), yes, no")
      ->check(one_of({"auto", "yes", "no"}));
  cmd->add_option("--output", args->output, "CSV to write (default: standard output)");
  cmd->add_option("--threads", args->threads, "worker threads")->transform(integer_in(1, 1024));
  cmd->add_option("--batch", args->batch, "samples per batched call")->transform(integer_in(1, std::uint64_t{1} << 24));
  cmd->callback([args] {
    // A closed pipe is a write error, not a fatal signal.
    std::signal(SIGPIPE, SIG_IGN);
    const auto model = inference::InstructionModel::load(args->model);
    const CsvHeader header = args->header == "yes"  ? CsvHeader::Present
                             : args->header == "no" ? CsvHeader::Absent
                                                    : CsvHeader::Auto;
    const SampleRows rows = read_sample_csv(args->input, model.info(), model.feature_size(), header);
    std::vector<float> outputs;
    outputs.reserve(rows.rows() * model.output_size());
    const std::size_t chunk = args->batch * model.feature_size();
    for (std::size_t start = 0; start < rows.values.size(); start += chunk) {
      const std::size_t count = std::min(chunk, rows.values.size() - start);
      const auto part = model.predict_batch({rows.values.data() + start, count}, {args->threads, 0});
      outputs.insert(outputs.end(), part.begin(), part.end());
    }
    if (args->output.empty()) {
      write_sample_csv(std::cout, outputs, model.output_size());
      std::cout.flush();
      if (!std::cout) throw IoError("cannot write to standard output");
      return;
    }
    // Temporary file then rename: no half-written output on failure.
    const std::string temporary = args->output + ".tmp";
    {
      std::ofstream file(temporary, std::ios::trunc);
      if (!file) throw IoError("cannot open '" + temporary + "' for writing");
      write_sample_csv(file, outputs, model.output_size());
      file.flush();
      if (!file) {
        std::remove(temporary.c_str());
        throw IoError("cannot write '" + temporary + "'");
      }
    }
    if (std::rename(temporary.c_str(), args->output.c_str()) != 0) {
      std::remove(temporary.c_str());
      throw IoError("cannot rename '" + temporary + "' to '" + args->output + "'");
    }
  });
}

}  // namespace instnn::cli
