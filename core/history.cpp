#include "instnn/core/history.hpp"

#include <set>
#include <sstream>

#include "instnn/core/error.hpp"

namespace instnn {

std::vector<double> History::values(const std::string& key) const {
  std::vector<double> out;
  for (const auto& e : epochs) {
    auto it = e.logs.find(key);
    if (it != e.logs.end()) out.push_back(it->second);
  }
  return out;
}

nlohmann::json History::to_json() const {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : epochs) {
    nlohmann::json rec = {{"epoch", e.epoch}};
    for (const auto& [k, v] : e.logs) rec[k] = v;
    j.push_back(rec);
  }
  return j;
}

History History::from_json(const nlohmann::json& j) {
  INSTNN_CHECK(j.is_array(), FormatError, "history must be a JSON array of epoch records");
  History h;
  for (const auto& rec : j) {
    INSTNN_CHECK(rec.is_object() && rec.contains("epoch") && rec["epoch"].is_number_integer(),
                 FormatError, "history record needs an integer \"epoch\": ", rec.dump());
    EpochRecord e;
    e.epoch = rec["epoch"].get<int>();
    for (const auto& [k, v] : rec.items())
      if (k != "epoch" && v.is_number()) e.logs[k] = v.get<double>();
    h.epochs.push_back(std::move(e));
  }
  return h;
}

std::string History::to_csv() const {
  std::set<std::string> keys;
  for (const auto& e : epochs)
    for (const auto& [k, v] : e.logs) keys.insert(k);
  std::ostringstream out;
  out << "epoch";
  for (const auto& k : keys) out << "," << k;
  out << "\n";
  out.precision(9);
  for (const auto& e : epochs) {
    out << e.epoch;
    for (const auto& k : keys) {
      out << ",";
      auto it = e.logs.find(k);
      if (it != e.logs.end()) out << it->second;
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace instnn
