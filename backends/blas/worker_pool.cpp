#include "backends/blas/worker_pool.hpp"

#include "core/denormals.hpp"

namespace instnn {

WorkerPool::~WorkerPool() { stop_workers(); }

void WorkerPool::set_threads(int threads) {
  threads = threads < 1 ? 1 : threads;
  if (threads == threads_) return;
  stop_workers();
  threads_ = threads;
}

void WorkerPool::start_workers() {
  stopping_ = false;
  // Workers live only for backend kernels, so they flush denormals for good
  // (core/denormals.hpp says why).
  for (int i = 1; i < threads_; ++i)
    workers_.emplace_back([this] {
      const FlushDenormals flush;
      worker_loop();
    });
}

void WorkerPool::stop_workers() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void WorkerPool::drain() {
  for (int i = next_task_.fetch_add(1); i < tasks_; i = next_task_.fetch_add(1)) fn_(context_, i);
}

void WorkerPool::run_erased(int tasks, TaskFn fn, const void* context) {
  if (workers_.empty()) start_workers();
  {
    std::lock_guard lock(mutex_);
    fn_ = fn;
    context_ = context;
    tasks_ = tasks;
    next_task_.store(0);
    busy_workers_ = int(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  drain();
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return busy_workers_ == 0; });
}

void WorkerPool::worker_loop() {
  std::uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    drain();
    std::lock_guard lock(mutex_);
    if (--busy_workers_ == 0) done_.notify_one();
  }
}

}  // namespace instnn
