#include "instnn/data/mnist.hpp"

#include "instnn/core/error.hpp"
#include "instnn/data/idx_reader.hpp"

namespace instnn {

std::filesystem::path find_mnist_file(const std::filesystem::path& dir, const std::string& stem,
                                      const std::string& idx_tag) {
  // Both spellings occur in the wild: "train-images-idx3-ubyte" (LeCun's
  // site, Fashion-MNIST) and "train-images.idx3-ubyte" (Kaggle copies).
  const std::string names[] = {stem + "-" + idx_tag + "-ubyte", stem + "." + idx_tag + "-ubyte"};
  std::string tried;
  for (const char* suffix : {"", ".gz"}) {
    for (const std::string& name : names) {
      const std::filesystem::path candidate = dir / (name + suffix);
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
      tried += (tried.empty() ? "" : ", ") + name + suffix;
    }
  }
  throw IoError(detail::concat("MNIST directory '", dir.string(), "' has no ", stem,
                               " file: looked for ", tried));
}

ImageDataset load_idx_images(const std::filesystem::path& images_path,
                             const std::filesystem::path& labels_path, int num_classes) {
  IdxArray images = read_idx(images_path);
  INSTNN_CHECK(images.dims.size() == 3, FormatError, "images file '", images_path.string(),
               "': expected 3 dimensions (count, height, width), got ",
               idx_dims_to_string(images.dims));
  INSTNN_CHECK(images.dims[0] > 0 && images.dims[1] > 0 && images.dims[2] > 0, FormatError,
               "images file '", images_path.string(), "': dimensions ",
               idx_dims_to_string(images.dims), " include a zero extent");
  IdxArray labels = read_idx(labels_path);
  INSTNN_CHECK(labels.dims.size() == 1, FormatError, "labels file '", labels_path.string(),
               "': expected 1 dimension (count), got ", idx_dims_to_string(labels.dims));
  INSTNN_CHECK(labels.dims[0] == images.dims[0], FormatError, "labels file '",
               labels_path.string(), "' has ", labels.dims[0], " labels but images file '",
               images_path.string(), "' has ", images.dims[0], " images");
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    INSTNN_CHECK(labels.data[i] < num_classes, FormatError, "labels file '",
                 labels_path.string(), "': label ", i, " is ", int(labels.data[i]),
                 ", expected < ", num_classes);
  }
  ImageDataset result;
  result.count = images.dims[0];
  result.height = images.dims[1];
  result.width = images.dims[2];
  result.images = std::move(images.data);
  result.labels = std::move(labels.data);
  return result;
}

MnistData load_mnist(const std::filesystem::path& dir) {
  std::error_code ec;
  INSTNN_CHECK(std::filesystem::is_directory(dir, ec), IoError, "MNIST directory '", dir.string(),
               "' does not exist or is not a directory");
  MnistData data;
  data.train = load_idx_images(find_mnist_file(dir, "train-images", "idx3"),
                               find_mnist_file(dir, "train-labels", "idx1"));
  data.test = load_idx_images(find_mnist_file(dir, "t10k-images", "idx3"),
                              find_mnist_file(dir, "t10k-labels", "idx1"));
  INSTNN_CHECK(data.train.height == data.test.height && data.train.width == data.test.width,
               FormatError, "MNIST directory '", dir.string(), "': train images are ",
               data.train.height, "x", data.train.width, " but test images are ",
               data.test.height, "x", data.test.width);
  return data;
}

Dataset to_dataset(ImageDataset images, const Shape& sample_shape, float scale,
                   int num_classes) {
  INSTNN_CHECK(sample_shape.size() == images.pixels_per_image(), ShapeError, "sample shape ",
               sample_shape.to_string(), " holds ", sample_shape.size(), " values but images are ",
               images.height, "x", images.width, " = ", images.pixels_per_image(), " pixels");
  std::vector<std::int32_t> ids(images.labels.begin(), images.labels.end());
  return Dataset::from_uint8(std::move(images.images), sample_shape, scale,
                             Labels::class_ids(std::move(ids), num_classes));
}

}  // namespace instnn
