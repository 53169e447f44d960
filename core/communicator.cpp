#include "instnn/core/communicator.hpp"

#include <cstdint>
#include <cstdlib>

#include "instnn/core/error.hpp"

namespace instnn {

void Communicator::broadcast_string(std::string& text, int root) {
  std::uint64_t length = text.size();
  broadcast_bytes(std::as_writable_bytes(std::span<std::uint64_t>(&length, 1)), root);
  text.resize(static_cast<std::size_t>(length));
  broadcast_bytes(std::as_writable_bytes(std::span<char>(text.data(), text.size())), root);
}

void SingleProcess::broadcast(std::span<float>, int root) {
  INSTNN_CHECK(root == 0, ConfigError, "broadcast: root ", root, " is not a process of a single-process group");
}

void SingleProcess::broadcast_bytes(std::span<std::byte>, int root) {
  INSTNN_CHECK(root == 0, ConfigError, "broadcast: root ", root, " is not a process of a single-process group");
}

void SingleProcess::abort(int code) { std::exit(code); }

Communicator& single_process() {
  static SingleProcess one;
  return one;
}

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

}  // namespace instnn
