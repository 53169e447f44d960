#include "instnn/tools/process_group.hpp"

#include <cstdlib>
#include <string>

#include "instnn/core/error.hpp"

#ifdef INSTNN_HAVE_MPI
#include "instnn/distributed/mpi_communicator.hpp"
#endif

namespace instnn::cli {

std::unique_ptr<Communicator> join_process_group() {
  if (!launched_by_mpi()) return std::make_unique<SingleProcess>();
#ifdef INSTNN_HAVE_MPI
  return std::make_unique<MpiCommunicator>();
#else
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (size == nullptr) size = std::getenv("PMI_SIZE");
  INSTNN_CHECK(size == nullptr || std::string(size) == "1", ConfigError, "started by mpirun with ", size,
               " processes, but this instnn was built without MPI (configure with -DINSTNN_MPI=ON after ",
               "scripts/install-deps.sh --mpi)");
  return std::make_unique<SingleProcess>();
#endif
}

}  // namespace instnn::cli
