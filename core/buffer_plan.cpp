#include "instnn/core/buffer_plan.hpp"

#include <algorithm>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {
constexpr std::size_t kNotPlaced = std::size_t(-1);
}

BufferPlan::BufferPlan(inference::ModelBuilder& builder, std::vector<int> uses)
    : builder_(builder), uses_(std::move(uses)), buffer_of_(uses_.size(), kNotPlaced) {}

std::size_t BufferPlan::fresh(std::size_t size) {
  const std::size_t b = builder_.buffer(size);
  sizes_.push_back(size);
  pending_.push_back(0);
  kept_.push_back(false);
  free_.push_back(false);
  return b;
}

std::size_t BufferPlan::reusable(std::size_t size) {
  auto it = released_.find(size);
  if (it == released_.end() || it->second.empty()) return fresh(size);
  const std::size_t b = it->second.front();
  it->second.erase(it->second.begin());
  free_[b] = false;
  return b;
}

void BufferPlan::keep(std::size_t buffer) { kept_.at(buffer) = true; }

void BufferPlan::place(int value, std::size_t buffer) {
  const auto v = std::size_t(value);
  INSTNN_CHECK(buffer < sizes_.size() && !free_[buffer], Error, "export: value ", value,
               " placed in buffer ", buffer, ", which is not in use (a bug in instnn's buffer plan)");
  const std::size_t old = buffer_of_.at(v);
  buffer_of_[v] = buffer;
  pending_[buffer] += uses_[v];
  if (old != kNotPlaced) {
    pending_[old] -= uses_[v];
    release_if_unused(old);
  }
}

void BufferPlan::used(int value) {
  const auto v = std::size_t(value);
  const std::size_t b = buffer_of_.at(v);
  INSTNN_CHECK(b != kNotPlaced && uses_[v] > 0, Error, "export: value ", value,
               " used more often than planned (a bug in instnn's buffer plan)");
  --uses_[v];
  --pending_[b];
  release_if_unused(b);
}

int BufferPlan::pending(std::size_t buffer) const { return pending_.at(buffer); }

void BufferPlan::release(std::size_t buffer) {
  if (kept_.at(buffer) || free_[buffer] || pending_[buffer] > 0) return;
  free_[buffer] = true;
  auto& list = released_[sizes_[buffer]];
  list.insert(std::upper_bound(list.begin(), list.end(), buffer), buffer);
}

void BufferPlan::release_if_unused(std::size_t buffer) {
  if (pending_[buffer] == 0) release(buffer);
}

}  // namespace instnn
