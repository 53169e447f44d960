// Backends by name (make_backend, default_backend_name, available_backends
// are declared in core/backend.hpp).
#include <cstdlib>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/reference/reference_backend.hpp"
#include "instnn/core/backend.hpp"
#include "instnn/core/error.hpp"

namespace instnn {

std::vector<std::string> available_backends() { return {"blas", "reference"}; }

std::unique_ptr<Backend> make_backend(std::string_view name) {
  if (name == "blas") return std::make_unique<BlasBackend>();
  if (name == "reference") return std::make_unique<ReferenceBackend>();
  std::string names;
  for (const auto& n : available_backends()) {
    if (!names.empty()) names += ", ";
    names += n;
  }
  throw ConfigError("unknown backend '" + std::string(name) + "'; available backends: " + names);
}

std::string default_backend_name() {
  const char* env = std::getenv("INSTNN_BACKEND");
  return env && *env ? std::string(env) : std::string("blas");
}

}  // namespace instnn
