// A Communicator over threads of one process, for tests of data-parallel
// training without MPI: ThreadGroup(n).run(f) calls f(communicator) on n
// threads at once, each with its own rank. Sums are taken in rank order, so
// results are deterministic.
#pragma once

#include <barrier>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>
#include <vector>

#include "instnn/core/communicator.hpp"

namespace instnn::testing {

class ThreadGroup {
 public:
  explicit ThreadGroup(int size) : size_(size), sync_(size), slots_(static_cast<std::size_t>(size)) {}

  // Runs f on every rank; rethrows the first exception a rank threw.
  void run(const std::function<void(Communicator&)>& f) {
    std::vector<std::thread> threads;
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r)
      threads.emplace_back([&, r] {
        Member member(*this, r);
        try {
          f(member);
        } catch (...) {
          errors[static_cast<std::size_t>(r)] = std::current_exception();
        }
      });
    for (auto& t : threads) t.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

 private:
  class Member final : public Communicator {
   public:
    Member(ThreadGroup& g, int rank) : g_(g), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return g_.size_; }
    std::string name() const override { return "threads"; }
    void allreduce_sum(std::span<float> v) override { g_.reduce(rank_, v); }
    void allreduce_sum(std::span<double> v) override { g_.reduce(rank_, v); }
    void broadcast(std::span<float> v, int root) override { g_.broadcast(rank_, std::as_writable_bytes(v), root); }
    void broadcast_bytes(std::span<std::byte> v, int root) override { g_.broadcast(rank_, v, root); }
    void barrier() override { g_.sync_.arrive_and_wait(); }
    [[noreturn]] void abort(int) override { throw std::logic_error("ThreadGroup: abort"); }

   private:
    ThreadGroup& g_;
    int rank_;
  };

  template <typename T>
  void reduce(int rank, std::span<T> v) {
    slots_[static_cast<std::size_t>(rank)] = v.data();
    sync_.arrive_and_wait();
    if (rank == 0) {
      std::vector<T>& sum = scratch<T>();
      sum.assign(v.begin(), v.end());
      for (int r = 1; r < size_; ++r) {
        const T* other = static_cast<const T*>(slots_[static_cast<std::size_t>(r)]);
        for (std::size_t i = 0; i < v.size(); ++i) sum[i] += other[i];
      }
    }
    sync_.arrive_and_wait();
    std::memcpy(v.data(), scratch<T>().data(), v.size() * sizeof(T));
    sync_.arrive_and_wait();
  }

  void broadcast(int rank, std::span<std::byte> v, int root) {
    if (rank == root) slots_[0] = v.data();
    sync_.arrive_and_wait();
    if (rank != root) std::memcpy(v.data(), slots_[0], v.size());
    sync_.arrive_and_wait();
  }

  template <typename T>
  std::vector<T>& scratch() {
    if constexpr (std::is_same_v<T, float>) return float_sum_;
    else return double_sum_;
  }

  int size_;
  std::barrier<> sync_;
  std::vector<void*> slots_;
  std::vector<float> float_sum_;
  std::vector<double> double_sum_;
};

}  // namespace instnn::testing
