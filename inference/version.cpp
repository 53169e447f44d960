#include "instnn/inference/version.hpp"

namespace instnn {

std::string_view version() { return "0.1.0"; }

}  // namespace instnn
