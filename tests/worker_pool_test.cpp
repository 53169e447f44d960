// inference::WorkerPool: every task runs once, exceptions from any task
// (a worker's or the caller's own share) reach the caller after the running
// tasks have finished, the pool works on afterwards, and concurrent or
// nested calls are safe.
#include "instnn/inference/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace instnn::inference {
namespace {

// Runs every task once and checks that each ran exactly once.
void expect_all_tasks_run(WorkerPool& pool, int tasks) {
  std::vector<std::atomic<int>> runs(tasks);
  pool.run(tasks, [&](int i) { runs[i].fetch_add(1); });
  for (int i = 0; i < tasks; ++i) EXPECT_EQ(runs[i].load(), 1) << "task " << i;
}

TEST(WorkerPool, RunsEveryTaskOnce) {
  for (int threads : {1, 2, 3}) {
    WorkerPool pool;
    pool.set_threads(threads);
    for (int tasks : {0, 1, 2, 3, 7, 100}) expect_all_tasks_run(pool, tasks);
  }
}

// Throws from the first task that runs on a thread for which `throws` says
// so; tasks sleep a little so that every thread gets some.
template <typename Pred>
void run_throwing(WorkerPool& pool, std::atomic<int>& running, Pred throws) {
  std::atomic<bool> thrown{false};
  pool.run(64, [&](int) {
    running.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const bool first = throws() && !thrown.exchange(true);
    running.fetch_sub(1);
    if (first) throw std::runtime_error("task failed");
  });
}

TEST(WorkerPool, ExceptionOnAWorkerReachesTheCaller) {
  WorkerPool pool;
  pool.set_threads(3);
  const auto caller = std::this_thread::get_id();
  std::atomic<int> running{0};
  EXPECT_THROW(run_throwing(pool, running, [&] { return std::this_thread::get_id() != caller; }),
               std::runtime_error);
  EXPECT_EQ(running.load(), 0) << "run() returned while tasks were still running";
  expect_all_tasks_run(pool, 50);
}

TEST(WorkerPool, ExceptionInTheCallersShareWaitsForTheWorkers) {
  WorkerPool pool;
  pool.set_threads(3);
  const auto caller = std::this_thread::get_id();
  std::atomic<int> running{0};
  EXPECT_THROW(run_throwing(pool, running, [&] { return std::this_thread::get_id() == caller; }),
               std::runtime_error);
  EXPECT_EQ(running.load(), 0) << "run() returned while tasks were still running";
  expect_all_tasks_run(pool, 50);
}

TEST(WorkerPool, ExceptionOnOneThreadRunsInline) {
  WorkerPool pool;  // one thread: the tasks run on the caller
  EXPECT_THROW(pool.run(4, [](int i) {
    if (i == 2) throw std::runtime_error("task failed");
  }),
               std::runtime_error);
  expect_all_tasks_run(pool, 4);
}

TEST(WorkerPool, WorkerSetupRunsOnEveryWorker) {
  static std::atomic<int> setups{0};
  setups = 0;
  {
    WorkerPool pool([] { setups.fetch_add(1); });
    pool.set_threads(3);
    expect_all_tasks_run(pool, 10);
    expect_all_tasks_run(pool, 10);
  }
  EXPECT_EQ(setups.load(), 2);
}

TEST(WorkerPool, ConcurrentAndNestedCallsEachRunTheirTasks) {
  WorkerPool pool;
  pool.set_threads(2);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int c = 0; c < 4; ++c)
    callers.emplace_back([&] {
      for (int round = 0; round < 200; ++round) {
        std::vector<std::atomic<int>> runs(9);
        pool.run(3, [&](int outer) {
          // A nested call finds the workers taken and runs inline.
          pool.run(3, [&](int inner) { runs[outer * 3 + inner].fetch_add(1); });
        });
        for (auto& r : runs)
          if (r.load() != 1) failures.fetch_add(1);
      }
    });
  for (auto& t : callers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace instnn::inference
