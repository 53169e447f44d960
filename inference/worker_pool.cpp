#include "instnn/inference/worker_pool.hpp"

#include <system_error>
#include <utility>

namespace instnn::inference {

WorkerPool::~WorkerPool() { stop_workers(); }

void WorkerPool::set_threads(int threads) {
  threads = threads < 1 ? 1 : threads;
  if (threads == threads_) return;
  stop_workers();
  threads_ = threads;
}

void WorkerPool::start_workers() {
  stopping_ = false;
  // A new worker waits for the next job, not the last one.
  const std::uint64_t seen = generation_;
  for (int i = 1; i < threads_; ++i) {
    try {
      workers_.emplace_back([this, seen] {
        if (worker_setup_) worker_setup_();
        worker_loop(seen);
      });
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the caller and the workers so far do the work
    }
  }
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
  for (int i = next_task_.fetch_add(1); i < tasks_; i = next_task_.fetch_add(1)) {
    try {
      fn_(context_, i);
    } catch (...) {
      {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      next_task_.store(tasks_);  // start no further task of this job
    }
  }
}

bool WorkerPool::run_erased(int tasks, TaskFn fn, const void* context) {
  if (claimed_.exchange(true, std::memory_order_acquire)) return false;
  struct Release {
    std::atomic<bool>& flag;
    ~Release() { flag.store(false, std::memory_order_release); }
  } release{claimed_};
  if (workers_.empty()) start_workers();
  if (workers_.empty()) return false;
  {
    std::lock_guard lock(mutex_);
    fn_ = fn;
    context_ = context;
    tasks_ = tasks;
    next_task_.store(0);
    busy_workers_ = int(workers_.size());
    error_ = nullptr;
    ++generation_;
  }
  wake_.notify_all();
  drain();
  std::exception_ptr error;
  {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [this] { return busy_workers_ == 0; });
    error = std::exchange(error_, nullptr);
  }
  if (error) std::rethrow_exception(error);
  return true;
}

void WorkerPool::worker_loop(std::uint64_t seen) {
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

}  // namespace instnn::inference
