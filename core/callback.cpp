#include "instnn/core/callback.hpp"

#include <unistd.h>

#include <cmath>
#include <fstream>

#include "instnn/core/error.hpp"
#include "instnn/core/file_util.hpp"
#include "instnn/core/model.hpp"

namespace instnn {

// ---------------------------------------------------------------- progress

namespace {
std::string format_logs(const EpochLogs& logs, bool skip_timing) {
  std::string out;
  char buf[64];
  for (const auto& [k, v] : logs) {
    if (skip_timing && (k == "seconds" || k == "lr")) continue;
    std::snprintf(buf, sizeof buf, " - %s: %.4f", k.c_str(), v);
    out += buf;
  }
  return out;
}
}  // namespace

ProgressBar::ProgressBar(std::FILE* out) : out_(out), terminal_(isatty(fileno(out)) != 0) {}

void ProgressBar::on_epoch_begin(Model&, TrainingState& s) {
  epoch_start_ = last_draw_ = std::chrono::steady_clock::now();
  if (terminal_) std::fprintf(out_, "Epoch %d/%d\n", s.epoch, s.epochs);
}

void ProgressBar::on_batch_end(Model&, TrainingState& s) {
  if (!terminal_) return;
  const auto now = std::chrono::steady_clock::now();
  // Redraw at most 10 times a second, and always for the last batch.
  if (s.batch != s.batches && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - epoch_start_).count();
  const double eta = s.batch ? elapsed / s.batch * (s.batches - s.batch) : 0;
  constexpr int kWidth = 30;
  const int filled = s.batches ? kWidth * s.batch / s.batches : kWidth;
  std::string bar(static_cast<std::size_t>(filled), '=');
  if (filled < kWidth) bar += '>';
  bar.resize(kWidth, '.');
  EpochLogs shown = s.running;
  shown["loss"] = s.loss;
  std::fprintf(out_, "\r%*d/%d [%s] - ETA: %.0fs%s\033[K", static_cast<int>(std::to_string(s.batches).size()),
               s.batch, s.batches, bar.c_str(), eta, format_logs(shown, true).c_str());
  std::fflush(out_);
}

void ProgressBar::on_epoch_end(Model&, TrainingState& s, const EpochLogs& logs) {
  const double seconds = logs.count("seconds") ? logs.at("seconds") : 0.0;
  if (terminal_)
    std::fprintf(out_, "\r%d/%d [%s] - %.2fs%s\033[K\n", s.batches, s.batches,
                 std::string(30, '=').c_str(), seconds, format_logs(logs, true).c_str());
  else
    std::fprintf(out_, "Epoch %d/%d - %d batches - %.2fs%s\n", s.epoch, s.epochs, s.batches,
                 seconds, format_logs(logs, true).c_str());
  std::fflush(out_);
}

// ---------------------------------------------------------------- early stopping

EarlyStopping::EarlyStopping(std::string monitor, int patience, double min_delta,
                             bool restore_best_weights)
    : monitor_(std::move(monitor)),
      patience_(patience),
      min_delta_(std::fabs(min_delta)),
      restore_(restore_best_weights),
      // Losses and errors go down; accuracies and AUC go up.
      maximize_(monitor_.find("acc") != std::string::npos || monitor_.find("auc") != std::string::npos) {
  INSTNN_CHECK(patience >= 0, ConfigError, "EarlyStopping: patience must be >= 0, got ", patience);
}

void EarlyStopping::on_train_begin(Model&, TrainingState&) {
  has_best_ = false;
  wait_ = 0;
  stopped_epoch_ = 0;
  best_weights_.clear();
}

bool EarlyStopping::improved(double value) const {
  if (!has_best_) return true;
  return maximize_ ? value > best_ + min_delta_ : value < best_ - min_delta_;
}

void EarlyStopping::on_epoch_end(Model& model, TrainingState& s, const EpochLogs& logs) {
  auto it = logs.find(monitor_);
  INSTNN_CHECK(it != logs.end(), ConfigError, "EarlyStopping monitors '", monitor_,
               "', which this training does not log (validation data or metric missing?)");
  if (improved(it->second)) {
    best_ = it->second;
    has_best_ = true;
    wait_ = 0;
    if (restore_) best_weights_ = model.weights_snapshot();
    return;
  }
  // Keras's rule: stop once `patience` epochs in a row have not improved
  // (patience 0 and 1 both stop at the first).
  if (++wait_ >= patience_) {
    stopped_epoch_ = s.epoch;
    s.stop_training = true;
  }
}

void EarlyStopping::on_train_end(Model& model, TrainingState&) {
  // As Keras 3: the best weights come back whether or not training stopped
  // early, so the model ends at its best epoch either way.
  if (restore_ && !best_weights_.empty()) model.restore_weights(best_weights_);
}

// ---------------------------------------------------------------- checkpoints and logs

ModelCheckpoint::ModelCheckpoint(std::string path, int every_n_epochs)
    : path_(std::move(path)), every_(every_n_epochs) {
  INSTNN_CHECK(every_ >= 1, ConfigError, "ModelCheckpoint: every_n_epochs must be >= 1, got ",
               every_n_epochs);
}

void ModelCheckpoint::on_epoch_end(Model& model, TrainingState& s, const EpochLogs&) {
  if (s.epoch % every_ != 0 && s.epoch != s.epochs) return;
  std::string path = path_;
  const auto pos = path.find("{epoch}");
  if (pos != std::string::npos) path.replace(pos, 7, std::to_string(s.epoch));
  model.save(path);
}

HistoryLogger::HistoryLogger(std::string path) : path_(std::move(path)) {}

void HistoryLogger::on_train_begin(Model& model, TrainingState&) { history_ = model.history(); }

void HistoryLogger::on_epoch_end(Model&, TrainingState& s, const EpochLogs& logs) {
  history_.epochs.push_back({s.epoch, logs});
  const bool json = path_.size() >= 5 && path_.compare(path_.size() - 5, 5, ".json") == 0;
  write_file_atomically(path_, json ? history_.to_json().dump(2) + "\n" : history_.to_csv());
}

void StopOnFlag::on_batch_end(Model&, TrainingState& s) {
  if (!flag_.load(std::memory_order_relaxed) || stopped_) return;
  stopped_ = true;
  epoch_ = s.epoch;
  batch_ = s.batch;
  batches_ = s.batches;
  s.stop_after_batch = true;
}

LearningRateScheduler::LearningRateScheduler(std::function<float(int, float)> fn)
    : fn_(std::move(fn)) {}

void LearningRateScheduler::on_epoch_begin(Model& model, TrainingState& s) {
  model.optimizer().set_learning_rate(fn_(s.epoch - 1, model.optimizer().learning_rate()));
}

}  // namespace instnn
