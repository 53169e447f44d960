// Loader for MNIST and the data sets that share its files (Fashion-MNIST,
// KMNIST): four IDX files in one directory, raw or gzipped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "instnn/core/shape.hpp"
#include "instnn/data/dataset.hpp"

namespace instnn {

// Images as stored: N x H x W unsigned bytes, row-major, and N labels.
struct ImageDataset {
  std::vector<std::uint8_t> images;
  std::vector<std::uint8_t> labels;
  std::int64_t count = 0;
  std::int64_t height = 0;
  std::int64_t width = 0;

  std::size_t pixels_per_image() const { return static_cast<std::size_t>(height * width); }
};

struct MnistData {
  ImageDataset train;
  ImageDataset test;
};

// Finds the IDX file for `stem` ("train-images", "train-labels",
// "t10k-images", "t10k-labels") with rank tag `idx_tag` ("idx3" / "idx1") in
// `dir`, accepting "<stem>-<tag>-ubyte" and "<stem>.<tag>-ubyte", each with
// or without ".gz" (uncompressed preferred). Throws IoError listing the names
// tried when none exists.
std::filesystem::path find_mnist_file(const std::filesystem::path& dir, const std::string& stem,
                                      const std::string& idx_tag);

// Reads one images file (N, H, W) and its labels file (N), checking that the
// counts match and every label is < num_classes. Throws FormatError naming
// the file otherwise.
ImageDataset load_idx_images(const std::filesystem::path& images_path,
                             const std::filesystem::path& labels_path, int num_classes = 10);

// Loads the four files of an MNIST-style directory. Train and test images
// must have the same H x W. Throws IoError when the directory or a file is
// missing, FormatError when a file is malformed.
MnistData load_mnist(const std::filesystem::path& dir);

// A Dataset over the images (kept uint8, moved, not copied) with class-id
// labels; pixels become value * scale when batched. `sample_shape` must
// hold H * W elements: (784,) for an MLP, (1, 28, 28) for a CNN.
Dataset to_dataset(ImageDataset images, const Shape& sample_shape, float scale = 1.0f / 255.0f,
                   int num_classes = 10);

}  // namespace instnn
