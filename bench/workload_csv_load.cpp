// CSV load: read_csv_table over one file (e.g. the 1,000,000-row tabular set
// of docs/design.md's planned tabular work), with the time and the shape of
// the result. Peak memory: run it under /usr/bin/time -v.
//   build/bench/workload_csv_load FILE.csv [chunk_bytes]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "instnn/data/csv_table.hpp"

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.csv [chunk_bytes]\n", argv[0]);
    return 2;
  }
  instnn::CsvTableOptions options;
  if (argc > 2) options.chunk_bytes = std::stoull(argv[2]);
  const auto start = std::chrono::steady_clock::now();
  const instnn::CsvTable table = instnn::read_csv_table(argv[1], options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t numeric = 0;
  for (const instnn::CsvColumn& column : table.data) numeric += column.numeric;
  std::printf("%zu rows x %zu columns (%zu numeric, %zu text), header %s, %.3f s\n", table.rows,
              table.columns, numeric, table.columns - numeric, table.has_header ? "yes" : "no", seconds);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "workload_csv_load: %s\n", e.what());
  return 1;
}
