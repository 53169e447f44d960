// The Communicator over MPI_COMM_WORLD (OpenMPI or any MPI with C
// bindings). Built only with INSTNN_MPI; nothing in core/ or layers/
// includes it. One per process: the constructor initialises MPI, the
// destructor finalises it.
#pragma once

#include "instnn/core/communicator.hpp"

namespace instnn {

class MpiCommunicator final : public Communicator {
 public:
  // Initialises MPI (funnelled threads: only the thread that made this
  // object calls MPI). Errors become instnn::Error, not MPI's abort, so the
  // caller can say what failed before it ends the group with abort().
  MpiCommunicator();
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override;
  void allreduce_sum(std::span<float> values) override;
  void allreduce_sum(std::span<double> values) override;
  void broadcast(std::span<float> values, int root = 0) override;
  void broadcast_bytes(std::span<std::byte> bytes, int root = 0) override;
  void barrier() override;
  [[noreturn]] void abort(int code) override;

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace instnn
