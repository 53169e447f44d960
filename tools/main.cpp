// The instnn command line: train, evaluate, export, predict, validate, info,
// bench. Errors become one line on stderr and exit code 1.
#include <exception>
#include <iostream>
#include <new>

#include "inference/error.hpp"
#include "inference/version.hpp"
#include "tools/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"instnn: train small neural networks and run instruction-model JSON"};
  app.set_version_flag("--version", std::string(instnn::version()));
  app.require_subcommand(1);
  // Sub-commands register here as they are implemented.
  instnn::cli::register_predict(app);
  instnn::cli::register_validate(app);
  instnn::cli::register_info(app);
  instnn::cli::register_bench(app);
  instnn::cli::register_train(app);
  instnn::cli::register_evaluate(app);
  instnn::cli::register_export(app);
  instnn::cli::register_check(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const instnn::cli::Interrupted& e) {
    std::cerr << "instnn: " << e.what() << "\n";
    return 130;
  } catch (const instnn::Error& e) {
    std::cerr << "instnn: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "instnn: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "instnn: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
