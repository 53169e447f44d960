#include "instnn/core/evaluation.hpp"

#include "instnn/core/error.hpp"

namespace instnn {

double EvaluationResult::at(const std::string& name) const {
  const auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  std::string available;
  for (const auto& [key, value] : values_) available += (available.empty() ? "" : ", ") + key;
  throw ConfigError("evaluate: no result named '" + name + "'; the results are: " +
                    (available.empty() ? std::string("(none)") : available) +
                    " (metrics are reported under the names given to compile(); add '" + name +
                    "' to CompileOptions::metrics)");
}

}  // namespace instnn
