// Communicator: what data-parallel training needs from a group of
// processes (MPI's collectives, reduced to the few fit() uses). Core and
// layers only see this interface; the MPI implementation lives in
// distributed/ and is built only with INSTNN_MPI.
//
// Every collective must be called by every process of the group, in the
// same order, with the same sizes (as in MPI). A process that dies or
// calls abort() ends the whole group.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace instnn {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;  // 0 .. size()-1
  virtual int size() const = 0;
  // "single process", "mpi (OpenMPI ...)": what runs the group.
  virtual std::string name() const = 0;
  // values[i] = sum over processes of values[i], in place on every process.
  virtual void allreduce_sum(std::span<float> values) = 0;
  virtual void allreduce_sum(std::span<double> values) = 0;
  // Every process gets root's values (sizes must match on every process).
  virtual void broadcast(std::span<float> values, int root = 0) = 0;
  virtual void broadcast_bytes(std::span<std::byte> bytes, int root = 0) = 0;
  virtual void barrier() = 0;
  // Ends every process of the group with this exit code (never returns).
  [[noreturn]] virtual void abort(int code) = 0;

  bool is_root() const { return rank() == 0; }
  // A string from root to all (its length first, then its bytes).
  void broadcast_string(std::string& text, int root = 0);
};

// One process: collectives are identities (a sum over one process),
// abort() exits.
class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string name() const override { return "single process"; }
  void allreduce_sum(std::span<float>) override {}
  void allreduce_sum(std::span<double>) override {}
  void broadcast(std::span<float>, int root) override;
  void broadcast_bytes(std::span<std::byte>, int root) override;
  void barrier() override {}
  [[noreturn]] void abort(int code) override;
};

// The communicator fit() uses when FitOptions names none.
Communicator& single_process();

// Whether this process was started by a launcher of an MPI job (mpirun,
// mpiexec, srun): OpenMPI's OMPI_COMM_WORLD_SIZE, or PMI_SIZE / PMIX_RANK
// of other launchers.
bool launched_by_mpi();

}  // namespace instnn
