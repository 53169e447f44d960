// The instnn command line: train, evaluate, export, predict, validate, info,
// bench. Every error is one line on stderr, "instnn <command>: <message>",
// and exit code 1; --help and --version exit 0; no arguments at all print
// the command list and exit 1.
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "instnn/inference/error.hpp"
#include "instnn/inference/version.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"

namespace {

std::string command_names(const CLI::App& app) {
  std::string names;
  for (const CLI::App* cmd : app.get_subcommands([](const CLI::App*) { return true; }))
    names += (names.empty() ? "" : ", ") + cmd->get_name();
  return names;
}

// "instnn train" once the sub-command is known, else "instnn".
std::string program_for(CLI::App& app) {
  const auto parsed = app.get_subcommands();
  return parsed.empty() ? "instnn" : "instnn " + parsed.front()->get_name();
}

int fail(const std::string& program, const std::string& message) {
  std::cerr << program << ": " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"instnn: train small neural networks and run instruction-model JSON", "instnn"};
  app.set_version_flag("--version", std::string(instnn::version()));
  app.require_subcommand(1);
  instnn::cli::register_predict(app);
  instnn::cli::register_validate(app);
  instnn::cli::register_info(app);
  instnn::cli::register_bench(app);
  instnn::cli::register_train(app);
  instnn::cli::register_evaluate(app);
  instnn::cli::register_export(app);
  instnn::cli::register_check(app);
  if (argc < 2) {
    std::cerr << app.help();
    return 1;
  }
  // Before the sub-command only --help and --version are known; CLI11 would
  // report anything else as a missing sub-command.
  const std::string first = argv[1];
  if (first.empty() || first[0] != '-') {
    try {
      (void)app.get_subcommand(first);
    } catch (const CLI::OptionNotFound&) {
      return fail("instnn", "unknown command '" + first + "' (commands: " + command_names(app) + ")");
    }
  } else if (first != "-h" && first != "--help" && first != "--version") {
    return fail("instnn", "unknown option " + first.substr(0, first.find('=')) + " (try instnn --help)");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    return fail(program_for(app), instnn::cli::usage_message(e));
  } catch (const instnn::cli::Interrupted& e) {
    std::cerr << program_for(app) << ": " << e.what() << "\n";
    return 130;
  } catch (const std::bad_alloc&) {
    return fail(program_for(app), "out of memory");
  } catch (const std::exception& e) {
    return fail(program_for(app), e.what());
  }
  return 0;
}
