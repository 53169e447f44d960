#include "instnn/core/class_ids.hpp"

#include "instnn/core/error.hpp"

namespace instnn {

void check_class_ids(std::span<const std::int32_t> ids, std::int64_t classes, std::string_view who) {
  for (std::size_t i = 0; i < ids.size(); ++i)
    INSTNN_CHECK(ids[i] >= 0 && ids[i] < classes, ConfigError, who, ": label ", ids[i],
                 " of sample ", i, " is outside [0, ", classes, ") for a model with ", classes,
                 " outputs");
}

}  // namespace instnn
