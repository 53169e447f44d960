// Library version, and the format_version written into exported files.
#pragma once

#include <string_view>

namespace instnn {

std::string_view version();

}  // namespace instnn
