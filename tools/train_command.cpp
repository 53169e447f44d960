// instnn train: build (or resume) a model, train it on an MNIST-style
// directory or a CSV table, save a checkpoint after every epoch, report the
// test results.
// Ctrl-C (SIGINT) or SIGTERM finishes the current batch, saves a checkpoint
// and exits with 130; `--resume` then re-runs the unfinished epoch.
// Under mpirun every process trains its share of each batch (FitOptions::
// communicator); process 0 alone prints and writes. mpirun answers SIGINT
// by sending SIGTERM to every process and SIGKILL 1 s later
// (odls_base_sigkill_timeout): the step in progress, the collective stop and
// process 0's checkpoint must fit in that second (a killed write leaves the
// previous checkpoint: files are replaced by rename).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <span>

#include "instnn/core/error.hpp"
#include "instnn/core/file_util.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/data/table_model.hpp"
#include "instnn/layers/model_zoo.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"
#include "instnn/tools/mnist_source.hpp"
#include "instnn/tools/process_group.hpp"
#include "instnn/tools/table_data.hpp"

namespace instnn::cli {

namespace {

struct TrainArgs {
  std::string model = "mlp";
  std::string data;
  TableArgs table;  // --csv and its options
  std::string test;  // --test CSV
  int epochs = 5;
  int batch_size = 0;  // 0: the workload's (64 for mlp, 128 for cnn/bncnn), else 32
  int accumulate = 1;
  double lr = 0;  // used when given; else the optimizer's own (Keras) default
  std::string optimizer = "adam";
  std::uint64_t seed = 42;
  std::string backend;
  int threads = 0;
  std::string out = "model.ckpt";
  std::string history;
  double validation_split = 0;
  std::string resume;
  bool quiet = false;
  // Options given on the command line (CLI11 counts), to tell a default from
  // a request.
  std::set<std::string> given;
};

int default_batch_size(const std::string& model) {
  if (model == "mlp" || model == "resmlp") return 64;
  if (model == "cnn" || model == "bncnn" || model == "seq") return 128;
  return 32;
}

// A resumed run continues with the checkpoint's model, optimizer, seed and
// fit settings; options that would silently be ignored are errors instead.
void check_resume_options(const TrainArgs& a, const Model& model) {
  for (const char* option : {"--model", "--lr", "--optimizer", "--seed", "--backend", "--validation-split",
                             "--label", "--categorical", "--positive", "--task", "--impute", "--ignore"})
    INSTNN_CHECK(!a.given.count(option), ConfigError, option, " cannot be changed when resuming: ",
                 "the checkpoint '", a.resume, "' holds the model, optimizer, seed and fit ",
                 "settings; start a new run (without --resume) to change them");
  const int trained = model.fit_settings().batch_size;
  INSTNN_CHECK(!a.given.count("--batch-size") || trained == 0 || trained == a.batch_size, ConfigError,
               "--batch-size ", a.batch_size, " differs from the checkpoint's ", trained,
               "; resuming continues the run as it was (omit --batch-size)");
  INSTNN_CHECK(!a.given.count("--accumulate") || trained == 0 || model.fit_settings().accumulate == a.accumulate,
               ConfigError, "--accumulate ", a.accumulate, " differs from the checkpoint's ",
               model.fit_settings().accumulate, "; resuming continues the run as it was (omit --accumulate)");
}

// Set from the signal handler; lock-free, so storing to it there is safe.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_interrupt(int) { g_interrupted.store(true, std::memory_order_relaxed); }

// Installs the handlers for the duration of training. SA_RESETHAND: a second
// Ctrl-C gets the default action, so a user can still kill a stuck run.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

nlohmann::json model_config(const std::string& model) {
  if (model.size() > 5 && model.substr(model.size() - 5) == ".json") {
    try {
      return nlohmann::json::parse(read_file(model));
    } catch (const nlohmann::json::parse_error& e) {
      throw ConfigError("model config '" + model + "' is not valid JSON: " + e.what());
    }
  }
  return builtin_model_config(model);
}

// The data of a run: MNIST images, or CSV tables read for the model.
struct TrainData {
  std::unique_ptr<DataSource> train, test;
  const char* unit = "images";
};

TrainData load_data(const TrainArgs& a, Model& model, std::optional<FittedTable>& fitted) {
  TrainData data;
  if (a.table.csv.empty()) {
    MnistSplits splits = load_mnist_for(model, a.data);
    data.train = std::make_unique<Dataset>(std::move(splits.train));
    data.test = std::make_unique<Dataset>(std::move(splits.test));
    return data;
  }
  const TableSchema schema = schema_of(model, a.resume.empty() ? a.table.csv : a.resume);
  const std::vector<TableInput> inputs = table_inputs(model);
  {
    // The table's text is dropped once it is encoded.
    CsvTable train = fitted ? std::move(fitted->table) : read_table_for(a.table.csv, schema, a.table.header);
    fitted.reset();
    data.train = std::make_unique<TableSource>(train, schema, inputs);
  }
  if (!a.test.empty())
    data.test = std::make_unique<TableSource>(read_table_for(a.test, schema, a.table.header), schema, inputs);
  data.unit = "rows";
  return data;
}

nlohmann::json table_model_config(const TrainArgs& a, const TableSchema& schema) {
  nlohmann::json config =
      a.model == "tab" ? tab_model_config({.numeric = numeric_names(schema),
                                           .categorical = categorical_names(schema),
                                           .vocabularies = vocabulary_sizes(schema),
                                           .outputs = table_outputs(schema)})
                       : model_config(a.model);
  resolve_table_inputs(config, schema);
  return config;
}

void run_train(const TrainArgs& a, Communicator& comm) {
  const bool table = !a.table.csv.empty();
  INSTNN_CHECK(table != !a.data.empty(), ConfigError,
               table ? "--csv and --data cannot be used together: train on one of them"
                     : "train on --data DIR (IDX images) or --csv FILE (a table)");
  INSTNN_CHECK(table || a.test.empty(), ConfigError, "--test goes with --csv (an IDX directory has its own test set)");
  INSTNN_CHECK(table || a.model != "tab", ConfigError, "--model tab is built from a table: use --csv FILE --label COLUMN");
  Model model;
  std::optional<FittedTable> fitted;
  const bool resuming = !a.resume.empty();
  if (resuming) {
    model = Model::load(a.resume);
    check_resume_options(a, model);
    if (a.given.count("--threads")) model.backend().set_threads(a.threads);
  } else {
    if (table) fitted = fit_table(a.table);
    model = Model::from_config(table ? table_model_config(a, fitted->schema) : model_config(a.model));
    CompileOptions o;
    o.optimizer = {{"type", a.optimizer}};
    if (a.given.count("--lr")) o.optimizer["learning_rate"] = a.lr;
    o.loss = "softmax_cross_entropy";
    o.metrics = {"accuracy"};
    if (table) set_table_task(fitted->schema, o);
    o.backend = a.backend;
    o.seed = a.seed;
    o.threads = a.threads;
    model.compile(o);
    if (table) set_table_schema(model, fitted->schema);
  }
  TrainData data = load_data(a, model, fitted);
  if (!model.built()) model.build();
  const bool root = comm.is_root();
  const bool quiet = a.quiet || !root;
  if (!quiet) std::printf("%s", model.summary().c_str());
  if (!quiet && comm.size() > 1) std::printf("Data-parallel training: %s\n", comm.name().c_str());

  FitOptions f;
  // On resume, --epochs sets a new target (to train further); else the
  // checkpoint's target is finished.
  f.epochs = !resuming || a.given.count("--epochs") ? a.epochs : model.target_epochs();
  f.initial_epoch = model.epochs_done();
  f.batch_size = a.batch_size > 0 ? a.batch_size : default_batch_size(a.model);
  f.validation_split = a.validation_split;
  f.accumulate = a.accumulate;
  if (resuming) {
    const FitSettings& trained = model.fit_settings();
    if (trained.batch_size > 0) f.batch_size = trained.batch_size;
    f.validation_split = trained.validation_split;
    if (trained.batch_size > 0) f.accumulate = trained.accumulate;
    if (root)
      std::printf("Resuming '%s' after epoch %d, up to epoch %d (batch size %d)\n", a.resume.c_str(),
                model.epochs_done(), f.epochs, f.batch_size);
  }
  f.verbose = quiet ? 0 : 1;
  if (comm.size() > 1) f.communicator = &comm;
  ModelCheckpoint checkpoint(a.out, 1);
  std::optional<HistoryLogger> history;
  f.callbacks.push_back(&checkpoint);
  if (!a.history.empty()) f.callbacks.push_back(&history.emplace(a.history));
  INSTNN_CHECK(f.initial_epoch < f.epochs, ConfigError, "nothing to do: the checkpoint has already ",
               "trained ", f.initial_epoch, " of ", f.epochs, " epochs");
  StopOnFlag stop(g_interrupted);
  f.callbacks.push_back(&stop);
  {
    InterruptGuard guard;
    model.fit(*data.train, f);
  }
  // fit() stops every process at the same step when any is asked to.
  // Where: every process that saw its flag stopped at the same batch.
  double stops[3] = {stop.stopped() ? 1.0 : 0.0, stop.stopped() ? double(stop.stopped_batch()) : 0.0,
                     stop.stopped() ? double(stop.batches()) : 0.0};
  comm.allreduce_sum(std::span<double>(stops, 3));
  const double stopped = stops[0];
  if (stopped > 0 && !root) {
    comm.barrier();  // process 0 has saved the checkpoint
    throw Interrupted("process " + std::to_string(comm.rank()) + " of " + std::to_string(comm.size()) +
                      ": interrupted; process 0 saved the checkpoint");
  }
  if (stopped > 0) {
    // The weights include the finished batches of the unfinished epoch; the
    // checkpoint still counts only the finished epochs, so --resume runs the
    // interrupted epoch again (from these weights) up to the target.
    model.save(a.out);
    std::fflush(stdout);
    comm.barrier();  // no process exits (and makes mpirun end the job) before the save
    const int epoch = model.epochs_done() + 1;
    throw Interrupted("interrupted at epoch " + std::to_string(epoch) + ", batch " +
                      std::to_string(static_cast<int>(stops[1] / stopped)) + " of " +
                      std::to_string(static_cast<int>(stops[2] / stopped)) +
                      "; saved checkpoint '" + a.out + "' (" + std::to_string(model.epochs_done()) +
                      " of " + std::to_string(model.target_epochs()) + " epochs done; epoch " +
                      std::to_string(epoch) + " will run again).\nResume with: " +
                      (comm.size() > 1 ? "mpirun -np " + std::to_string(comm.size()) + " " : std::string()) +
                      "instnn train --resume " + a.out +
                      (table ? " --csv " + a.table.csv : " --data " + a.data) + " --out " + a.out);
  }

  if (!root) return;  // process 0 reports
  if (data.test) {
    EvaluationResult results = model.evaluate(*data.test);
    if (table) results = in_target_units(schema_of(model, a.out), results);
    std::printf("%s\n", describe_test_results(results, data.test->size(), data.unit).c_str());
  }
  std::printf("checkpoint: %s\n", a.out.c_str());
}

}  // namespace

void register_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model on an MNIST-style IDX directory or a CSV table");
  cmd->add_option("--model", args->model,
                  "mlp, cnn, bncnn, resmlp, seq, tab (for --csv), or a model-config FILE.json (Sequential or graph)")
      ->capture_default_str();
  cmd->add_option("--data", args->data, "directory with the four (gzipped) IDX files");
  cmd->add_option("--csv", args->table.csv, "training CSV table with a header (numeric and categorical columns)");
  cmd->add_option("--test", args->test, "test CSV table, scored after training (with --csv)");
  add_table_options(*cmd, args->table, true);
  cmd->add_option("--epochs", args->epochs, "epochs to train")->transform(positive_integer())
      ->capture_default_str();
  cmd->add_option("--batch-size", args->batch_size, "batch size (default: 64 mlp, 128 cnn/bncnn, 32)")
      ->transform(positive_integer());
  cmd->add_option("--accumulate", args->accumulate,
                  "batches per optimizer step (gradient accumulation: K batches of B step as one of K*B)")
      ->transform(positive_integer());
  cmd->add_option("--lr", args->lr, "learning rate (default: Keras's, 0.01 for sgd, else 0.001)")
      ->check(positive_number());
  cmd->add_option("--optimizer", args->optimizer, "optimizer")
      ->check(one_of({"adam", "sgd", "adamw", "rmsprop"}))
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "random seed (weights, shuffling, dropout)")
      ->transform(any_unsigned_integer())
      ->capture_default_str();
  cmd->add_option("--backend", args->backend, "reference or blas (default: $INSTNN_BACKEND or blas)");
  cmd->add_option("--threads", args->threads, "threads (0: all cores)")->transform(non_negative_integer());
  cmd->add_option("--out", args->out, "checkpoint path (written after every epoch)")->capture_default_str();
  cmd->add_option("--history", args->history, "write per-epoch history here (.json or .csv)");
  cmd->add_option("--validation-split", args->validation_split, "fraction held out for validation")
      ->check(number_in(0.0, 0.99));
  cmd->add_option("--resume", args->resume, "continue training from this checkpoint");
  cmd->add_flag("--quiet", args->quiet, "no summary or progress bar");
  cmd->callback([args, cmd] {
    for (const CLI::Option* option : cmd->get_options())
      if (option->count() > 0) args->given.insert(option->get_name());
    std::unique_ptr<Communicator> group = join_process_group();
    if (group->size() == 1) return run_train(*args, *group);
    try {
      run_train(*args, *group);
    } catch (const Interrupted& e) {
      // Every process stopped at the same step and process 0 saved. Said
      // and exited here, not after MPI_Finalize: after SIGINT mpirun is
      // ending the job, and a finalize would wait for it until SIGKILL.
      if (group->is_root()) std::fprintf(stderr, "instnn train: %s\n", e.what());
      std::fflush(stderr);
      std::fflush(stdout);
      std::_Exit(130);
    } catch (const std::exception& e) {
      // Another process may be waiting in a collective for this one: end
      // them all, saying which process failed and why.
      std::fprintf(stderr, "instnn train: process %d of %d: %s\n", group->rank(), group->size(), e.what());
      std::fflush(stderr);
      group->abort(1);
    }
  });
}

}  // namespace instnn::cli
