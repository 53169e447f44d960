#include "instnn/distributed/mpi_communicator.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string("MPI ") + what + " failed: " + std::string(text, static_cast<std::size_t>(length)) +
              " (did another process of the job die?)");
}

// MPI counts are ints: longer arrays go in chunks.
template <typename T, typename F>
void in_chunks(T* data, std::size_t n, F&& f) {
  constexpr std::size_t kChunk = std::size_t{1} << 30;
  for (std::size_t at = 0; at < n; at += kChunk) f(data + at, static_cast<int>(std::min(kChunk, n - at)));
}

}  // namespace

MpiCommunicator::MpiCommunicator() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  INSTNN_CHECK(!initialised, ConfigError, "MpiCommunicator: MPI is already initialised (make one per process)");
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "init");
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "comm_size");
}

MpiCommunicator::~MpiCommunicator() {
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!finalised) MPI_Finalize();
}

std::string MpiCommunicator::name() const {
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  MPI_Get_library_version(version, &length);
  std::string v(version, static_cast<std::size_t>(length));
  v = v.substr(0, v.find_first_of(",\n"));
  return "mpi (" + v + ", " + std::to_string(size_) + " processes)";
}

void MpiCommunicator::allreduce_sum(std::span<float> values) {
  in_chunks(values.data(), values.size(), [](float* p, int n) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "allreduce");
  });
}

void MpiCommunicator::allreduce_sum(std::span<double> values) {
  in_chunks(values.data(), values.size(), [](double* p, int n) {
    check(MPI_Allreduce(MPI_IN_PLACE, p, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "allreduce");
  });
}

void MpiCommunicator::broadcast(std::span<float> values, int root) {
  INSTNN_CHECK(root >= 0 && root < size_, ConfigError, "broadcast: root ", root, " is not a rank of ", size_);
  in_chunks(values.data(), values.size(),
            [root](float* p, int n) { check(MPI_Bcast(p, n, MPI_FLOAT, root, MPI_COMM_WORLD), "broadcast"); });
}

void MpiCommunicator::broadcast_bytes(std::span<std::byte> bytes, int root) {
  INSTNN_CHECK(root >= 0 && root < size_, ConfigError, "broadcast: root ", root, " is not a rank of ", size_);
  in_chunks(bytes.data(), bytes.size(),
            [root](std::byte* p, int n) { check(MPI_Bcast(p, n, MPI_BYTE, root, MPI_COMM_WORLD), "broadcast"); });
}

void MpiCommunicator::barrier() { check(MPI_Barrier(MPI_COMM_WORLD), "barrier"); }

void MpiCommunicator::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this is for the compiler
}

}  // namespace instnn
