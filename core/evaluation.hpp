// What Model::evaluate() returns: "loss" and each metric under the name
// it was given to compile() ("acc" is reported as "acc", as in Keras).
//
//   EvaluationResult r = model.evaluate(test);
//   double accuracy = r.at("accuracy");  // ConfigError if not compiled with it
//   for (const auto& [name, value] : r) ...
//
// It reads like the std::map<std::string, double> it wraps (at, count,
// find, iteration, ==, and it converts to const std::map&), but at() on a name
// it does not hold throws ConfigError naming that name and the ones it has,
// where std::map::at would only say "map::at".
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace instnn {

class EvaluationResult {
 public:
  using Map = std::map<std::string, double>;
  using key_type = Map::key_type;
  using mapped_type = Map::mapped_type;
  using value_type = Map::value_type;
  using size_type = Map::size_type;
  using const_iterator = Map::const_iterator;
  using iterator = const_iterator;

  EvaluationResult() = default;
  explicit EvaluationResult(Map values) : values_(std::move(values)) {}

  double at(const std::string& name) const;
  // Inserts 0 for a new name, as std::map does.
  double& operator[](const std::string& name) { return values_[name]; }
  size_type count(const std::string& name) const { return values_.count(name); }
  bool contains(const std::string& name) const { return values_.contains(name); }
  const_iterator find(const std::string& name) const { return values_.find(name); }
  const_iterator begin() const { return values_.begin(); }
  const_iterator end() const { return values_.end(); }
  size_type size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }

  friend bool operator==(const EvaluationResult&, const EvaluationResult&) = default;
  friend bool operator==(const EvaluationResult& a, const Map& b) { return a.values_ == b; }

  const Map& values() const { return values_; }
  operator const Map&() const { return values_; }  // NOLINT: std::map-style use

 private:
  Map values_;
};

}  // namespace instnn
