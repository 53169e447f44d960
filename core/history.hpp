// What fit() returns: one record per epoch.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace instnn {

// One epoch's figures: "loss", each metric, "val_loss"/"val_<metric>" when
// validating, "seconds" (training work only), "lr".
using EpochLogs = std::map<std::string, double>;

struct EpochRecord {
  int epoch = 0;  // 1-based
  EpochLogs logs;
};

struct History {
  std::vector<EpochRecord> epochs;

  // All values of one key, in epoch order (empty if never logged).
  std::vector<double> values(const std::string& key) const;
  nlohmann::json to_json() const;  // [{"epoch": 1, "loss": ..., ...}, ...]
  static History from_json(const nlohmann::json& j);
  std::string to_csv() const;      // header "epoch,<keys...>", one row per epoch
};

}  // namespace instnn
