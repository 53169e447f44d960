// WorkerPool: a few persistent threads that run index-parallel tasks, for
// the engine's batched predictions and the blas backend's kernels.
//
// Workers sleep on a condition variable between calls instead of spinning:
// on a 2-core machine a spinning worker (OpenMP's default after a parallel
// region) steals the core that the next kernel needs. The wake-up costs some
// microseconds, so callers only split work that is large enough.
//
// run() may be called from several threads at once and from inside a task:
// a caller that finds the workers busy with another call's tasks runs its
// own tasks itself, so no call waits for another call's work.
//
// A task may throw: the first exception (from a worker or the caller's own
// share) stops the call from starting further tasks; run() waits for the
// tasks already running to finish, then rethrows it on the caller. The pool
// stays usable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace instnn::inference {

class WorkerPool {
 public:
  // worker_setup (if any) runs once on each worker thread as it starts, e.g.
  // to set the thread's floating-point mode.
  explicit WorkerPool(void (*worker_setup)() = nullptr) : worker_setup_(worker_setup) {}
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Total threads including the caller; workers start lazily on first run.
  // Not to be called while a run() is in progress.
  void set_threads(int threads);
  int threads() const { return threads_; }

  // Calls fn(i) for i in [0, tasks) on the caller and the workers; returns
  // when every started call has finished (see above for exceptions).
  template <typename Fn>
  void run(int tasks, const Fn& fn) {
    if (tasks > 1 && threads_ > 1 &&
        run_erased(tasks, [](const void* f, int i) { (*static_cast<const Fn*>(f))(i); }, &fn))
      return;
    for (int i = 0; i < tasks; ++i) fn(i);
  }

 private:
  using TaskFn = void (*)(const void*, int);
  // false (having run nothing) when another call holds the workers.
  bool run_erased(int tasks, TaskFn fn, const void* context);
  void start_workers();
  void stop_workers();
  void worker_loop(std::uint64_t seen);
  void drain();  // runs tasks of the current job until none is left

  void (*worker_setup_)() = nullptr;
  int threads_ = 1;
  std::atomic<bool> claimed_{false};  // a run_erased call holds the workers
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  // The current job, published under mutex_.
  TaskFn fn_ = nullptr;
  const void* context_ = nullptr;
  int tasks_ = 0;
  std::uint64_t generation_ = 0;
  std::atomic<int> next_task_{0};
  int busy_workers_ = 0;
  std::exception_ptr error_;  // the job's first exception, under mutex_
  bool stopping_ = false;
};

}  // namespace instnn::inference
