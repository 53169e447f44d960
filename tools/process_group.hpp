// The processes a command runs in: MPI_COMM_WORLD when mpirun (or another
// MPI launcher) started it and instnn was built with INSTNN_MPI, else this
// process alone.
#pragma once

#include <memory>

#include "instnn/core/communicator.hpp"

namespace instnn::cli {

// ConfigError when started by an MPI launcher with several processes but
// built without MPI (each would train alone, on all the data).
std::unique_ptr<Communicator> join_process_group();

}  // namespace instnn::cli
