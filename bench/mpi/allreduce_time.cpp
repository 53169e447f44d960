// Time of one in-place float allreduce (what data-parallel fit() does once
// per step) for gradient sizes given in floats, under mpirun:
//   mpirun -np 2 build/bench/allreduce_time 235146 34826
// Prints, for each size, the median over 200 calls (after 20 warm-up calls)
// in microseconds and the ring "bus" bandwidth 2(N-1)/N * bytes / time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "instnn/distributed/mpi_communicator.hpp"

int main(int argc, char** argv) {
  instnn::MpiCommunicator comm;
  for (int a = 1; a < argc; ++a) {
    const std::size_t n = std::strtoull(argv[a], nullptr, 10);
    std::vector<float> grad(n, 1.0f);
    std::vector<double> seconds;
    for (int i = 0; i < 220; ++i) {
      comm.barrier();
      const auto start = std::chrono::steady_clock::now();
      comm.allreduce_sum(std::span<float>(grad));
      const auto end = std::chrono::steady_clock::now();
      if (i >= 20) seconds.push_back(std::chrono::duration<double>(end - start).count());
    }
    std::sort(seconds.begin(), seconds.end());
    // The slowest process's median is the step's.
    double median = seconds[seconds.size() / 2];
    std::vector<double> all(static_cast<std::size_t>(comm.size()), 0.0);
    all[static_cast<std::size_t>(comm.rank())] = median;
    comm.allreduce_sum(std::span<double>(all));
    median = *std::max_element(all.begin(), all.end());
    const double bytes = double(n) * sizeof(float);
    const double procs = comm.size();
    if (comm.is_root())
      std::printf("%zu floats (%.2f MB), %d processes: %.1f us per allreduce, bus bandwidth %.2f GB/s\n", n,
                  bytes / 1e6, comm.size(), median * 1e6, 2 * (procs - 1) / procs * bytes / median / 1e9);
  }
  return 0;
}
