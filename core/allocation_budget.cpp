#include "instnn/core/allocation_budget.hpp"

#include "instnn/core/error.hpp"

namespace instnn {

namespace {
// The innermost active budget of this thread; budgets nest.
thread_local AllocationBudget* t_budget = nullptr;
}  // namespace

AllocationBudget::AllocationBudget(std::size_t floats, std::string what)
    : remaining_(floats), total_(floats), what_(std::move(what)), previous_(t_budget) {
  t_budget = this;
}

AllocationBudget::~AllocationBudget() { t_budget = previous_; }

void AllocationBudget::charge(std::size_t floats) {
  AllocationBudget* b = t_budget;
  if (b == nullptr) return;
  if (floats > b->remaining_)
    throw FormatError(b->what_ + " describes a model needing more memory than the file accounts for (" +
                      std::to_string(floats) + " more floats; the file allows " +
                      std::to_string(b->total_) + " in all)");
  b->remaining_ -= floats;
}

}  // namespace instnn
