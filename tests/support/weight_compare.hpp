// Comparing two models' weights: every parameter side by side, and the
// relative differences the data-parallel tests bound.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "instnn/core/model.hpp"

namespace instnn::testing {

inline std::vector<float> all_weights(Model& m) {
  std::vector<float> w;
  for (Parameter* p : m.params()) w.insert(w.end(), p->value.span().begin(), p->value.span().end());
  return w;
}

// Element-wise: the largest |a - b| / max(|b|, 0.01) (weights below 0.01
// are compared absolutely: 1e-5 relative is then 1e-7).
inline double max_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = a.size() == b.size() ? 0 : INFINITY;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, std::fabs(double(a[i]) - b[i]) / std::max(1e-2, std::fabs(double(b[i]))));
  return worst;
}

// Norm-wise: ||a - b|| / ||b||.
inline double norm_relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    norm += double(b[i]) * b[i];
  }
  return std::sqrt(diff / norm);
}

}  // namespace instnn::testing
