// The merge and structure layers (Concatenate, Add, Subtract, Multiply,
// Average, AddHeads, MultiplyHeads, ReduceSum, Slice, Gather) and the
// multi-input side of the Layer contract: gradient checks on every backend,
// values by hand, shape and count errors, config round trips.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "instnn/core/error.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/feature_select.hpp"
#include "instnn/layers/heads.hpp"
#include "instnn/layers/merge.hpp"
#include "instnn/layers/reduce_sum.hpp"
#include "support/grad_check.hpp"

namespace instnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;
using testing::check_layer_gradients;
using testing::check_multi_input_gradients;

class MergeLayers : public ::testing::TestWithParam<std::string> {
 protected:
  // Builds `layer` on this backend for these per-sample shapes.
  void build(Layer& layer, const std::vector<Shape>& samples) {
    layer.set_backend(backend_.get());
    layer.set_rng(&rng_);
    layer.build_inputs(samples, rng_);
  }
  // One forward over these batch tensors; returns a copy of the output.
  Tensor forward(Layer& layer, const std::vector<const Tensor*>& inputs) {
    return layer.forward_inputs(inputs, Mode::Train).clone();
  }

  std::unique_ptr<Backend> backend_ = make_backend(GetParam());
  Rng rng_{11};
};

// ---- gradient checks ----

TEST_P(MergeLayers, ConcatenateGradients) {
  Concatenate two("cat2");
  check_multi_input_gradients(two, *backend_, {Shape{4, 3}, Shape{4, 5}});
  Concatenate three("cat3");
  check_multi_input_gradients(three, *backend_, {Shape{3, 1}, Shape{3, 4}, Shape{3, 2}});
  Concatenate images("cat_rank3");  // the last axis of (C, H, W) maps
  check_multi_input_gradients(images, *backend_, {Shape{2, 3, 2, 4}, Shape{2, 3, 2, 1}});
}

TEST_P(MergeLayers, AddSubtractAverageGradients) {
  Add add2("add2"), add3("add3");
  check_multi_input_gradients(add2, *backend_, {Shape{5, 7}, Shape{5, 7}});
  check_multi_input_gradients(add3, *backend_, {Shape{2, 3, 4}, Shape{2, 3, 4}, Shape{2, 3, 4}});
  Subtract sub("sub");
  check_multi_input_gradients(sub, *backend_, {Shape{4, 6}, Shape{4, 6}});
  Average avg2("avg2"), avg4("avg4");
  check_multi_input_gradients(avg2, *backend_, {Shape{3, 9}, Shape{3, 9}});
  check_multi_input_gradients(avg4, *backend_,
                              {Shape{1, 5}, Shape{1, 5}, Shape{1, 5}, Shape{1, 5}});
}

TEST_P(MergeLayers, MultiplyGradients) {
  Multiply two("mul2"), three("mul3");
  check_multi_input_gradients(two, *backend_, {Shape{4, 6}, Shape{4, 6}});
  check_multi_input_gradients(three, *backend_, {Shape{3, 2, 5}, Shape{3, 2, 5}, Shape{3, 2, 5}});
}

TEST_P(MergeLayers, HeadsGradients) {
  // (data, heads): 3 heads of 2, one head of 5 (a scalar broadcast), and
  // as many heads as values (element-wise).
  for (auto [data, heads] : {std::pair{6, 3}, {5, 1}, {4, 4}, {35, 7}}) {
    SCOPED_TRACE(std::to_string(data) + " values, " + std::to_string(heads) + " heads");
    AddHeads add("add_heads");
    check_multi_input_gradients(add, *backend_, {Shape{4, data}, Shape{4, heads}});
    MultiplyHeads mul("multiply_heads");
    check_multi_input_gradients(mul, *backend_, {Shape{4, data}, Shape{4, heads}});
  }
}

TEST_P(MergeLayers, ReduceSumGradients) {
  ReduceSum flat("sum"), images("sum_maps");
  check_layer_gradients(flat, *backend_, Shape{4, 7});
  check_layer_gradients(images, *backend_, Shape{2, 3, 2, 2});
  ReduceSum through_list("sum_list");  // the multi-input form's defaults
  check_multi_input_gradients(through_list, *backend_, {Shape{3, 1}});
}

TEST_P(MergeLayers, SliceAndGatherGradients) {
  Slice middle(1, 4, "middle"), tail(-3, -1, "tail"), all(0, 6, "all");
  for (Slice* s : {&middle, &tail, &all}) check_layer_gradients(*s, *backend_, Shape{3, 6});
  Gather swap({2, 0}, "swap"), repeats({1, 1, 3, -1}, "repeats");
  check_layer_gradients(swap, *backend_, Shape{3, 4});
  check_layer_gradients(repeats, *backend_, Shape{5, 4});
}

TEST_P(MergeLayers, SingleInputLayerThroughTheMultiInputForm) {
  Dense dense(DenseOptions(3).activation("tanh"), "dense");
  check_multi_input_gradients(dense, *backend_, {Shape{4, 5}});
}

// ---- values by hand ----

TEST_P(MergeLayers, MergeValuesByHand) {
  const Tensor a = Tensor::from(Shape{2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from(Shape{2, 2}, {10, 20, 30, 40});
  const Tensor c = Tensor::from(Shape{2, 2}, {-1, 0.5f, 2, 0});
  Add add("add");
  build(add, {Shape{2}, Shape{2}, Shape{2}});
  EXPECT_EQ(forward(add, {&a, &b, &c}).to_vector(), (std::vector<float>{10, 22.5f, 35, 44}));
  Subtract sub("sub");
  build(sub, {Shape{2}, Shape{2}});
  EXPECT_EQ(forward(sub, {&a, &b}).to_vector(), (std::vector<float>{-9, -18, -27, -36}));
  Multiply mul("mul");
  build(mul, {Shape{2}, Shape{2}, Shape{2}});
  EXPECT_EQ(forward(mul, {&a, &b, &c}).to_vector(), (std::vector<float>{-10, 20, 180, 0}));
  Average avg("avg");
  build(avg, {Shape{2}, Shape{2}});
  EXPECT_EQ(forward(avg, {&a, &b}).to_vector(), (std::vector<float>{5.5f, 11, 16.5f, 22}));
  EXPECT_EQ(avg.output_shape(), Shape{2});

  const Tensor d = Tensor::from(Shape{2, 1}, {5, 6});
  Concatenate cat("cat");
  build(cat, {Shape{2}, Shape{1}, Shape{2}});
  EXPECT_EQ(cat.output_shape(), Shape{5});
  const Tensor y = forward(cat, {&a, &d, &b});
  EXPECT_EQ(y.shape(), (Shape{2, 5}));
  EXPECT_EQ(y.to_vector(), (std::vector<float>{1, 2, 5, 10, 20, 3, 4, 6, 30, 40}));
  // Its backward hands each input its own columns.
  const Tensor dy = Tensor::from(Shape{2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  const bool need[] = {true, true, true};
  const std::span<const Tensor> dx = cat.backward_inputs(dy, need);
  ASSERT_EQ(dx.size(), 3u);
  EXPECT_EQ(dx[0].to_vector(), (std::vector<float>{1, 2, 6, 7}));
  EXPECT_EQ(dx[1].to_vector(), (std::vector<float>{3, 8}));
  EXPECT_EQ(dx[2].to_vector(), (std::vector<float>{4, 5, 9, 10}));
}

TEST_P(MergeLayers, HeadsValuesByHand) {
  // Two heads of two values: heads[0] goes with data[0..1], heads[1] with
  // data[2..3] (repeat_interleave order, not tiling).
  const Tensor data = Tensor::from(Shape{1, 4}, {1, 2, 3, 4});
  const Tensor heads = Tensor::from(Shape{1, 2}, {10, 20});
  AddHeads add("add_heads");
  build(add, {Shape{4}, Shape{2}});
  EXPECT_EQ(forward(add, {&data, &heads}).to_vector(), (std::vector<float>{11, 12, 23, 24}));
  MultiplyHeads mul("multiply_heads");
  build(mul, {Shape{4}, Shape{2}});
  EXPECT_EQ(forward(mul, {&data, &heads}).to_vector(), (std::vector<float>{10, 20, 60, 80}));
  EXPECT_EQ(mul.output_shape(), Shape{4});
  const Tensor dy = Tensor::from(Shape{1, 4}, {1, 1, 1, 2});
  const bool need[] = {true, true};
  const std::span<const Tensor> dx = mul.backward_inputs(dy, need);
  EXPECT_EQ(dx[0].to_vector(), (std::vector<float>{10, 10, 20, 40}));
  EXPECT_EQ(dx[1].to_vector(), (std::vector<float>{3, 11}));  // 1+2, 3+2*4
}

TEST_P(MergeLayers, ReduceSliceGatherValuesByHand) {
  const Tensor x = Tensor::from(Shape{2, 3}, {10, 11, 12, 13, 14, 15});
  ReduceSum sum("sum");
  build(sum, {Shape{3}});
  EXPECT_EQ(forward(sum, {&x}).to_vector(), (std::vector<float>{33, 42}));
  EXPECT_EQ(sum.output_shape(), Shape{1});

  Slice slice(1, 3, "slice"), last(-1, 3, "last");
  build(slice, {Shape{3}});
  build(last, {Shape{3}});
  EXPECT_EQ(forward(slice, {&x}).to_vector(), (std::vector<float>{11, 12, 14, 15}));
  EXPECT_EQ(forward(last, {&x}).to_vector(), (std::vector<float>{12, 15}));
  const Tensor dy_slice = Tensor::from(Shape{2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(slice.backward(dy_slice, true).to_vector(), (std::vector<float>{0, 1, 2, 0, 3, 4}));

  Gather gather({2, 0}, "gather");
  build(gather, {Shape{3}});
  EXPECT_EQ(gather.output_shape(), Shape{2});
  EXPECT_EQ(forward(gather, {&x}).to_vector(), (std::vector<float>{12, 10, 15, 13}));
  // Repeated indices sum their gradients.
  Gather twice({1, 1}, "twice");
  build(twice, {Shape{3}});
  EXPECT_EQ(forward(twice, {&x}).to_vector(), (std::vector<float>{11, 11, 14, 14}));
  const Tensor dy = Tensor::from(Shape{2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(twice.backward(dy, true).to_vector(), (std::vector<float>{0, 3, 0, 0, 7, 0}));
  EXPECT_TRUE(twice.backward(dy, false).empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, MergeLayers, ::testing::Values("reference", "blas"));

// ---- errors ----

class MergeErrors : public ::testing::Test {
 protected:
  void attach(Layer& layer) {
    layer.set_backend(backend_.get());
    layer.set_rng(&rng_);
  }
  std::unique_ptr<Backend> backend_ = make_backend("reference");
  Rng rng_{3};
};

TEST_F(MergeErrors, MismatchedShapesNameTheLayerAndBothShapes) {
  Add add("res");
  attach(add);
  EXPECT_THAT([&] { add.build_inputs(std::vector<Shape>{Shape{3}, Shape{4}}, rng_); },
              ThrowsMessage<ShapeError>(AllOf(HasSubstr("Add 'res'"), HasSubstr("input 0 is (3,)"),
                                              HasSubstr("input 1 is (4,)"))));
  Multiply mul("m");
  attach(mul);
  EXPECT_THAT([&] { mul.build_inputs(std::vector<Shape>{Shape{2, 3}, Shape{3, 2}}, rng_); },
              ThrowsMessage<ShapeError>(AllOf(HasSubstr("Multiply 'm'"), HasSubstr("(2, 3)"),
                                              HasSubstr("(3, 2)"))));
  Concatenate cat("cat");
  attach(cat);
  EXPECT_THAT(
      [&] { cat.build_inputs(std::vector<Shape>{Shape{2, 3}, Shape{4, 3}}, rng_); },
      ThrowsMessage<ShapeError>(AllOf(HasSubstr("Concatenate 'cat'"), HasSubstr("last axis"),
                                      HasSubstr("(2, 3)"), HasSubstr("(4, 3)"))));
  EXPECT_THROW(cat.build_inputs(std::vector<Shape>{Shape{2}, Shape{2, 1}}, rng_), ShapeError);
  EXPECT_THROW(cat.build_inputs(std::vector<Shape>{Shape(), Shape()}, rng_), ShapeError);
}

TEST_F(MergeErrors, ForwardChecksEachInputAndTheBatch) {
  Add add("res");
  attach(add);
  add.build_inputs(std::vector<Shape>{Shape{3}, Shape{3}}, rng_);
  Tensor a(Shape{2, 3}), wrong(Shape{2, 4}), other_batch(Shape{5, 3});
  EXPECT_THAT([&] { add.forward_inputs(std::vector<const Tensor*>{&a, &wrong}, Mode::Train); },
              ThrowsMessage<ShapeError>(AllOf(HasSubstr("Add 'res' input 1 of 2"),
                                              HasSubstr("expected shape (2, 3)"),
                                              HasSubstr("but got (2, 4)"))));
  EXPECT_THAT(
      [&] { add.forward_inputs(std::vector<const Tensor*>{&a, &other_batch}, Mode::Train); },
      ThrowsMessage<ShapeError>(AllOf(HasSubstr("Add 'res' input 1"), HasSubstr("batch of 5"),
                                      HasSubstr("input 0's 2"))));
  EXPECT_THAT([&] { add.forward_inputs(std::vector<const Tensor*>{&a, &a, &a}, Mode::Train); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("built for 2 inputs"),
                                               HasSubstr("got 3"))));
  const bool two[] = {true, true};
  EXPECT_THAT([&] { add.backward_inputs(a, two); },
              ThrowsMessage<ConfigError>(HasSubstr("backward before forward")));
  add.forward_inputs(std::vector<const Tensor*>{&a, &a}, Mode::Train);
  const bool one[] = {true};
  EXPECT_THAT([&] { add.backward_inputs(a, one); },
              ThrowsMessage<ConfigError>(HasSubstr("1 need_dx flags for 2 inputs")));
  EXPECT_THROW(add.backward_inputs(wrong, two), ShapeError);
}

TEST_F(MergeErrors, WrongInputCountsSayWhatTheLayerTakes) {
  Subtract sub("sub");
  attach(sub);
  EXPECT_THAT([&] { sub.build_inputs(std::vector<Shape>(3, Shape{2}), rng_); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("Subtract 'sub' takes exactly 2 inputs"),
                                               HasSubstr("got 3"))));
  Add add("add");
  attach(add);
  EXPECT_THAT([&] { add.build_inputs(std::vector<Shape>{Shape{2}}, rng_); },
              ThrowsMessage<ConfigError>(HasSubstr("Add 'add' takes 2 or more inputs")));
  // A multi-input layer's single-input methods say how to call it.
  EXPECT_THAT([&] { add.build(Shape{2}, rng_); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("Add 'add' takes 2 or more inputs"),
                                               HasSubstr("build_inputs()"))));
  Tensor x(Shape{1, 2});
  EXPECT_THAT([&] { add.forward(x, Mode::Infer); },
              ThrowsMessage<ConfigError>(HasSubstr("forward_inputs()")));
  EXPECT_THAT([&] { add.backward(x, true); },
              ThrowsMessage<ConfigError>(HasSubstr("backward_inputs()")));
  // And a single-input layer given a list of several.
  Dense dense(DenseOptions(2), "dense");
  attach(dense);
  EXPECT_THAT([&] { dense.build_inputs(std::vector<Shape>{Shape{2}, Shape{2}}, rng_); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("Dense 'dense' takes 1 input"),
                                               HasSubstr("got 2"))));
  dense.build_inputs(std::vector<Shape>{Shape{2}}, rng_);
  EXPECT_EQ(dense.input_shape(), Shape{2});
  ASSERT_EQ(dense.input_shapes().size(), 1u);
  EXPECT_THROW(dense.forward_inputs(std::vector<const Tensor*>{&x, &x}, Mode::Infer), ConfigError);
  const bool two[] = {true, true};
  EXPECT_THROW(dense.backward_inputs(x, two), ConfigError);
  // input_shape() of a layer built with several inputs points to input_shapes().
  add.build_inputs(std::vector<Shape>{Shape{2}, Shape{2}}, rng_);
  EXPECT_EQ(add.input_shapes().size(), 2u);
  EXPECT_THAT([&] { (void)add.input_shape(); },
              ThrowsMessage<ConfigError>(HasSubstr("input_shapes()")));
}

TEST_F(MergeErrors, HeadsNeedAWholeNumberOfHeads) {
  AddHeads add("heads");
  attach(add);
  EXPECT_THAT([&] { add.build_inputs(std::vector<Shape>{Shape{5}, Shape{2}}, rng_); },
              ThrowsMessage<ShapeError>(AllOf(HasSubstr("AddHeads 'heads'"),
                                              HasSubstr("5 features do not split into the 2 heads"),
                                              HasSubstr("(5,)"), HasSubstr("(2,)"))));
  MultiplyHeads mul("mh");
  attach(mul);
  EXPECT_THAT([&] { mul.build_inputs(std::vector<Shape>{Shape{2, 4}, Shape{2}}, rng_); },
              ThrowsMessage<ShapeError>(AllOf(HasSubstr("MultiplyHeads 'mh'"),
                                              HasSubstr("flat inputs"))));
  EXPECT_THROW(mul.build_inputs(std::vector<Shape>{Shape{4}, Shape{0}}, rng_), ShapeError);
  EXPECT_THROW(mul.build_inputs(std::vector<Shape>{Shape{4}}, rng_), ConfigError);
}

TEST_F(MergeErrors, BadSliceBoundsAndGatherIndices) {
  EXPECT_THAT([] { Slice(3, 1, "s"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("Slice 's'"), HasSubstr("start 3"),
                                               HasSubstr("stop 1"))));
  EXPECT_THROW(Slice(2, 2), ConfigError);
  EXPECT_THROW(Slice(0, 0), ConfigError);
  EXPECT_THROW(Slice(-1, 0), ConfigError);
  EXPECT_THROW(Slice(-1, -3), ConfigError);
  Slice past(2, 9, "past");
  attach(past);
  EXPECT_THAT([&] { past.build(Shape{6}, rng_); },
              ThrowsMessage<ShapeError>(AllOf(HasSubstr("Slice 'past'"), HasSubstr("stop 9"),
                                              HasSubstr("6 input features"),
                                              HasSubstr("0 <= start < stop <= 6"))));
  Slice crossed(-1, 2, "crossed");  // -1 is feature 5 of 6: after stop 2
  attach(crossed);
  EXPECT_THROW(crossed.build(Shape{6}, rng_), ShapeError);
  Slice images(0, 2, "images");
  attach(images);
  EXPECT_THAT([&] { images.build(Shape{1, 4, 4}, rng_); },
              ThrowsMessage<ShapeError>(HasSubstr("add a Flatten layer")));

  EXPECT_THAT([] { Gather({}, "g"); }, ThrowsMessage<ConfigError>(HasSubstr("Gather 'g'")));
  Gather out_of_range({0, 4}, "g"), negative({-5}, "neg");
  attach(out_of_range);
  attach(negative);
  EXPECT_THAT([&] { out_of_range.build(Shape{4}, rng_); },
              ThrowsMessage<ShapeError>(AllOf(HasSubstr("Gather 'g'"), HasSubstr("index 4"),
                                              HasSubstr("4 input features"),
                                              HasSubstr("-4 .. 3"))));
  EXPECT_THROW(negative.build(Shape{4}, rng_), ShapeError);
}

// ---- configs ----

TEST(MergeConfigs, RoundTripThroughTheBuiltinFactories) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Concatenate>("cat"));
  layers.push_back(std::make_unique<Add>("add"));
  layers.push_back(std::make_unique<Subtract>("sub"));
  layers.push_back(std::make_unique<Multiply>("mul"));
  layers.push_back(std::make_unique<Average>("avg"));
  layers.push_back(std::make_unique<AddHeads>("add_heads"));
  layers.push_back(std::make_unique<MultiplyHeads>("multiply_heads"));
  layers.push_back(std::make_unique<ReduceSum>("sum"));
  layers.push_back(std::make_unique<Slice>(-4, 7, "slice"));
  layers.push_back(std::make_unique<Gather>(std::vector<int>{2, 0, 2, -1}, "gather"));
  for (const auto& layer : layers) {
    SCOPED_TRACE(layer->type());
    const nlohmann::json config = layer->config();
    EXPECT_EQ(config["type"], layer->type());
    EXPECT_EQ(config["name"], layer->name());
    const auto rebuilt = builtin_layers().at(layer->type())(config);
    EXPECT_EQ(rebuilt->type(), layer->type());
    EXPECT_EQ(rebuilt->config(), config);
  }
  EXPECT_EQ(Slice(1, 3).config()["start"], 1);
  EXPECT_EQ(Slice(1, 3).config()["stop"], 3);
  EXPECT_EQ(Gather({2, 0}).config()["indices"], nlohmann::json::array({2, 0}));
}

TEST(MergeConfigs, KerasFormsLoadAndTyposAreErrors) {
  const auto& f = builtin_layers();
  EXPECT_EQ(f.at("Add")({{"type", "Add"}})->config(),
            (nlohmann::json{{"type", "Add"}, {"name", ""}}));
  EXPECT_NO_THROW(f.at("Concatenate")({{"type", "Concatenate"}, {"axis", -1}}));
  EXPECT_THAT([&] { f.at("Concatenate")({{"type", "Concatenate"}, {"name", "c"}, {"axis", 1}}); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("Concatenate 'c'"), HasSubstr("-1"))));
  EXPECT_THAT([&] { f.at("Multiply")({{"type", "Multiply"}, {"units", 3}}); },
              ThrowsMessage<ConfigError>(HasSubstr("\"units\"")));
  EXPECT_THROW(f.at("Slice")({{"type", "Slice"}, {"start", 0}}), ConfigError);
  EXPECT_THROW(f.at("Slice")({{"type", "Slice"}, {"start", 0}, {"stop", "4"}}), ConfigError);
  EXPECT_THROW(f.at("Slice")({{"type", "Slice"}, {"start", 4}, {"stop", 2}}), ConfigError);
  EXPECT_THAT([&] { f.at("Gather")({{"type", "Gather"}, {"indices", {1, "x"}}}); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("\"indices\""),
                                               HasSubstr("list of integers"))));
  EXPECT_THROW(f.at("Gather")({{"type", "Gather"}, {"indices", nlohmann::json::array()}}),
               ConfigError);
  EXPECT_THROW(f.at("Gather")({{"type", "Gather"}}), ConfigError);
  EXPECT_THROW(f.at("ReduceSum")({{"type", "ReduceSum"}, {"axis", 1}}), ConfigError);
  EXPECT_THROW(f.at("AddHeads")({{"type", "AddHeads"}, {"heads", 2}}), ConfigError);
}

}  // namespace
}  // namespace instnn
