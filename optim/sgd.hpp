// Stochastic gradient descent with optional (Nesterov) momentum, as Keras SGD.
#pragma once

#include "instnn/core/optimizer.hpp"
#include "instnn/optim/optimizer_options.hpp"

namespace instnn {

// Keras defaults: learning_rate 0.01, momentum 0, nesterov false.
class SGDOptions : public OptimizerOptions<SGDOptions> {
 public:
  SGDOptions() : OptimizerOptions(0.01f) {}
  SGDOptions& momentum(float v) { momentum_ = v; return *this; }  // in [0, 1]
  SGDOptions& nesterov(bool v) { nesterov_ = v; return *this; }   // needs momentum > 0
  float momentum() const { return momentum_; }
  bool nesterov() const { return nesterov_; }

 private:
  float momentum_ = 0.0f;
  bool nesterov_ = false;
};

// v = momentum * v - lr * g; p += v (Nesterov: p += momentum * v - lr * g).
// State: "<param>.momentum" when momentum > 0, none otherwise.
class SGD : public Optimizer {
 public:
  explicit SGD(const SGDOptions& options = SGDOptions());
  explicit SGD(float learning_rate);

  std::string name() const override { return "sgd"; }
  float momentum() const { return momentum_; }
  bool nesterov() const { return nesterov_; }
  nlohmann::json config() const override;

 protected:
  std::vector<std::string> slot_names() const override;
  void apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) override;

 private:
  float momentum_;
  bool nesterov_;
};

}  // namespace instnn
