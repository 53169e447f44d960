// A cap on what Tensor may allocate on this thread while a budget is active.
// Loading a checkpoint builds the model from the config inside the file
// before any weight can be compared with it, so a few edited bytes could ask
// for terabytes; the loader sets a budget from the floats the file actually
// holds, and an oversized layer becomes a FormatError instead.
#pragma once

#include <cstddef>
#include <string>

namespace instnn {

class AllocationBudget {
 public:
  // `what` names the source in the error ("checkpoint 'x.ckpt'").
  AllocationBudget(std::size_t floats, std::string what);
  ~AllocationBudget();
  AllocationBudget(const AllocationBudget&) = delete;
  AllocationBudget& operator=(const AllocationBudget&) = delete;

  // Called by Tensor before it allocates `floats`; throws FormatError when
  // the innermost active budget cannot cover them. No-op without a budget.
  static void charge(std::size_t floats);

 private:
  std::size_t remaining_;
  std::size_t total_;
  std::string what_;
  AllocationBudget* previous_;
};

}  // namespace instnn
