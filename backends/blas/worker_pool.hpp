// WorkerPool: a few persistent threads that run index-parallel tasks.
//
// Workers sleep on a condition variable between calls instead of spinning:
// on a 2-core machine a spinning worker (OpenMP's default after a parallel
// region) steals the core that OpenBLAS or the next kernel needs. The
// wake-up costs some microseconds, so callers only split work that is
// large enough (see the thresholds where it is used).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace instnn {

class WorkerPool {
 public:
  WorkerPool() = default;
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Total threads including the caller; workers start lazily on first run.
  void set_threads(int threads);
  int threads() const { return threads_; }

  // Calls fn(i) for i in [0, tasks) on the caller and the workers; returns
  // when every call has finished. fn must not throw.
  template <typename Fn>
  void run(int tasks, const Fn& fn) {
    if (tasks <= 1 || threads_ <= 1) {
      for (int i = 0; i < tasks; ++i) fn(i);
      return;
    }
    run_erased(tasks, [](const void* f, int i) { (*static_cast<const Fn*>(f))(i); }, &fn);
  }

 private:
  using TaskFn = void (*)(const void*, int);
  void run_erased(int tasks, TaskFn fn, const void* context);
  void start_workers();
  void stop_workers();
  void worker_loop();
  void drain();  // runs tasks of the current job until none is left

  int threads_ = 1;
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
  bool stopping_ = false;
};

}  // namespace instnn
