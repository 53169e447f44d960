// Callbacks hook into fit(): progress display, early stopping, periodic
// checkpoints, history files, learning-rate schedules.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "instnn/core/history.hpp"

namespace instnn {

class Model;

struct TrainingState {
  int epoch = 0;             // 1-based epoch in progress
  int epochs = 0;            // total requested
  int batch = 0;             // 1-based batch in progress
  int batches = 0;           // batches per epoch
  double loss = 0;           // running mean loss of this epoch
  EpochLogs running;         // running metrics of this epoch
  bool stop_training = false;  // set by a callback to end fit() after this epoch
  // Set by a callback in on_batch_end to end fit() right after this batch.
  // The epoch is then unfinished: it does not count in epochs_done(), is not
  // in the history and gets no on_epoch_end (so ModelCheckpoint does not
  // save it); resuming runs that epoch again from its start.
  bool stop_after_batch = false;
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_train_begin(Model&, TrainingState&) {}
  virtual void on_epoch_begin(Model&, TrainingState&) {}
  virtual void on_batch_end(Model&, TrainingState&) {}
  virtual void on_epoch_end(Model&, TrainingState&, const EpochLogs&) {}
  virtual void on_train_end(Model&, TrainingState&) {}
  // True for a callback that prints or writes files: in data-parallel
  // training only process 0 runs it. Every other callback runs on every
  // process and must decide alike there (it sees the same merged logs).
  virtual bool root_only() const { return false; }
};

// Keras-like progress: "Epoch 1/5" then a bar with batch x/N, ETA, running
// loss and metrics; on a non-terminal, one line per epoch.
class ProgressBar : public Callback {
 public:
  explicit ProgressBar(std::FILE* out = stdout);
  void on_epoch_begin(Model&, TrainingState&) override;
  void on_batch_end(Model&, TrainingState&) override;
  void on_epoch_end(Model&, TrainingState&, const EpochLogs&) override;
  bool root_only() const override { return true; }

 private:
  std::FILE* out_;
  bool terminal_;
  std::chrono::steady_clock::time_point epoch_start_, last_draw_;
};

// Stops when `monitor` has not improved by min_delta for `patience` epochs in
// a row (a name holding "acc" or "auc" improves upwards, any other
// downwards); with restore_best_weights, training ends with the best epoch's
// weights (also when it ran to the last epoch).
class EarlyStopping : public Callback {
 public:
  EarlyStopping(std::string monitor = "val_loss", int patience = 0, double min_delta = 0,
                bool restore_best_weights = false);
  void on_train_begin(Model&, TrainingState&) override;
  void on_epoch_end(Model&, TrainingState&, const EpochLogs&) override;
  void on_train_end(Model&, TrainingState&) override;
  int stopped_epoch() const { return stopped_epoch_; }

 private:
  bool improved(double value) const;
  std::string monitor_;
  int patience_;
  double min_delta_;
  bool restore_;
  bool maximize_;
  double best_ = 0;
  bool has_best_ = false;
  int wait_ = 0, stopped_epoch_ = 0;
  std::string best_weights_;  // serialised parameters of the best epoch
};

// Saves a checkpoint every `every_n_epochs` epochs (atomically). The path may
// contain "{epoch}".
class ModelCheckpoint : public Callback {
 public:
  explicit ModelCheckpoint(std::string path, int every_n_epochs = 1);
  void on_epoch_end(Model&, TrainingState&, const EpochLogs&) override;
  bool root_only() const override { return true; }

 private:
  std::string path_;
  int every_;
};

// Writes the history so far after every epoch, as JSON (".json") or CSV.
class HistoryLogger : public Callback {
 public:
  explicit HistoryLogger(std::string path);
  void on_train_begin(Model&, TrainingState&) override;
  void on_epoch_end(Model&, TrainingState&, const EpochLogs&) override;
  bool root_only() const override { return true; }

 private:
  std::string path_;
  History history_;
};

// Ends fit() after the current batch once `flag` is true (e.g. set by a
// SIGINT handler: a lock-free atomic is safe to store from one). The flag is
// only read, once per batch.
class StopOnFlag : public Callback {
 public:
  explicit StopOnFlag(const std::atomic<bool>& flag) : flag_(flag) {}
  void on_train_begin(Model&, TrainingState&) override { stopped_ = false; }
  void on_batch_end(Model&, TrainingState&) override;
  // Whether this callback ended the last fit(), and where.
  bool stopped() const { return stopped_; }
  int stopped_epoch() const { return epoch_; }
  int stopped_batch() const { return batch_; }
  int batches() const { return batches_; }

 private:
  const std::atomic<bool>& flag_;
  bool stopped_ = false;
  int epoch_ = 0, batch_ = 0, batches_ = 0;
};

// Sets the learning rate at the start of every epoch from fn(epoch0, lr).
class LearningRateScheduler : public Callback {
 public:
  explicit LearningRateScheduler(std::function<float(int epoch, float lr)> fn);
  void on_epoch_begin(Model&, TrainingState&) override;

 private:
  std::function<float(int, float)> fn_;
};

}  // namespace instnn
