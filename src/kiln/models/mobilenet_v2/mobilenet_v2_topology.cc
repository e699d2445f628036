#include "kiln/models/mobilenet_v2/mobilenet_v2_topology.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/models/mobilenet_v2/mobilenet_v2_arch.h"

namespace kiln {
namespace {

using nlohmann::json;

// A layer as the implementation expects it: the config keys listed must have
// exactly these values (numbers compare by value: 6 == 6.0).
struct ExpectedLayer {
  std::string name;
  std::string class_name;
  std::vector<std::string> inbound;
  json config;
};

class ExpectedGraph {
 public:
  // Appends a layer fed by the previous one (or by `inbound` when given).
  void Add(const std::string& name, const std::string& class_name, json config,
           std::vector<std::string> inbound = {}) {
    if (inbound.empty() && !layers_.empty()) inbound.push_back(layers_.back().name);
    layers_.push_back({name, class_name, std::move(inbound), std::move(config)});
  }
  void Conv(const std::string& name, int64_t kernel, int64_t stride, const std::string& padding, int64_t filters) {
    Add(name, "Conv2D",
        {{"kernel_size", {kernel, kernel}},
         {"strides", {stride, stride}},
         {"padding", padding},
         {"filters", filters},
         {"dilation_rate", {1, 1}},
         {"data_format", "channels_last"},
         {"use_bias", false},
         {"activation", "linear"}});
  }
  void Depthwise(const std::string& name, int64_t stride) {
    Add(name, "DepthwiseConv2D",
        {{"kernel_size", {3, 3}},
         {"strides", {stride, stride}},
         {"padding", stride == 1 ? "same" : "valid"},
         {"depth_multiplier", 1},
         {"dilation_rate", {1, 1}},
         {"data_format", "channels_last"},
         {"use_bias", false},
         {"activation", "linear"}});
  }
  // BN at inference: center and scale on, over the channel axis.
  void BatchNorm(const std::string& name) { Add(name, "BatchNormalization", {{"center", true}, {"scale", true}}); }
  void Relu6(const std::string& name) {
    Add(name, "ReLU", {{"max_value", 6}, {"negative_slope", 0}, {"threshold", 0}});
  }
  // The (top 0, bottom 1, left 0, right 1) padding before every stride-2 conv at 224 input.
  void PadBottomRight(const std::string& name) {
    Add(name, "ZeroPadding2D", {{"padding", {{0, 1}, {0, 1}}}, {"data_format", "channels_last"}});
  }
  void Dense(const std::string& name, int64_t units, const std::string& activation) {
    Add(name, "Dense", {{"units", units}, {"activation", activation}, {"use_bias", true}});
  }

  const std::vector<ExpectedLayer>& layers() const { return layers_; }
  const std::string& last() const { return layers_.back().name; }

 private:
  std::vector<ExpectedLayer> layers_;
};

ExpectedGraph BuildExpected() {
  using A = MobileNetV2Arch;
  ExpectedGraph g;
  g.Add("input_1", "InputLayer", {{"batch_input_shape", {nullptr, A::kInputSize, A::kInputSize, 3}}});
  g.PadBottomRight("Conv1_pad");
  g.Conv("Conv1", 3, 2, "valid", A::kStemChannels);
  g.BatchNorm("bn_Conv1");
  g.Relu6("Conv1_relu");
  for (const InvertedResidualSpec& b : A::Blocks()) {
    const std::string input = g.last();
    if (b.has_expand) {
      g.Conv(b.prefix + "expand", 1, 1, "same", b.expanded_channels);
      g.BatchNorm(b.prefix + "expand_BN");
      g.Relu6(b.prefix + "expand_relu");
    }
    if (b.stride != 1) g.PadBottomRight(b.prefix + "pad");
    g.Depthwise(b.prefix + "depthwise", b.stride);
    g.BatchNorm(b.prefix + "depthwise_BN");
    g.Relu6(b.prefix + "depthwise_relu");
    g.Conv(b.prefix + "project", 1, 1, "same", b.out_channels);
    g.BatchNorm(b.prefix + "project_BN");
    if (b.residual) g.Add(b.prefix + "add", "Add", json::object(), {input, b.prefix + "project_BN"});
  }
  g.Conv("Conv_1", 1, 1, "valid", A::kFeatureChannels);
  g.BatchNorm("Conv_1_bn");
  g.Relu6("out_relu");
  // 7×7 valid pooling of the 7×7 map: the global average.
  g.Add("average_pooling2d_1", "AveragePooling2D",
        {{"pool_size", {7, 7}}, {"strides", {7, 7}}, {"padding", "valid"}, {"data_format", "channels_last"}});
  g.Add("flatten_1", "Flatten", json::object());
  g.Dense("dense_1", A::kDense1, "relu");
  g.Add("dropout_2", "Dropout", json::object());  // identity at inference
  g.Dense("dense_2", A::kDense2, "relu");
  g.Add("dropout_3", "Dropout", json::object());
  g.Dense("dense_3", A::kClasses, "softmax");
  return g;
}

// The names of a Keras functional-model layer's inbound layers (first node).
std::vector<std::string> InboundNames(const json& layer) {
  std::vector<std::string> names;
  const json& nodes = layer.value("inbound_nodes", json::array());
  if (!nodes.is_array() || nodes.empty() || !nodes[0].is_array()) return names;
  for (const json& edge : nodes[0]) {
    if (edge.is_array() && !edge.empty() && edge[0].is_string()) names.push_back(edge[0].get<std::string>());
  }
  return names;
}

std::string Describe(const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < names.size(); ++i) s.append(i == 0 ? "" : ", ").append(names[i]);
  return s.append("]");
}

Status CheckLayer(const json& layer, const ExpectedLayer& want, size_t index) {
  std::string where = "topology.json layer ";
  where.append(std::to_string(index)).append(" ('").append(want.name).append("')");
  if (!layer.is_object() || layer.value("name", "") != want.name) {
    return Status::InvalidArgument(where + ": found '" + (layer.is_object() ? layer.value("name", "?") : "?") +
                                   "' in its place");
  }
  if (layer.value("class_name", "") != want.class_name) {
    return Status::InvalidArgument(where + ": class " + layer.value("class_name", "?") + ", expected " +
                                   want.class_name);
  }
  const std::vector<std::string> inbound = InboundNames(layer);
  if (inbound != want.inbound) {
    return Status::InvalidArgument(where + ": inputs " + Describe(inbound) + ", expected " + Describe(want.inbound));
  }
  const json& config = layer.value("config", json::object());
  for (const auto& [key, value] : want.config.items()) {
    if (!config.contains(key) || config[key] != value) {
      return Status::InvalidArgument(where + ": config." + key + " is " +
                                     (config.contains(key) ? config[key].dump() : "missing") + ", expected " +
                                     value.dump());
    }
  }
  if (want.class_name == "BatchNormalization") {
    // Channels-last NHWC: the normalised axis is the last one (-1, or 3).
    const json axis = config.value("axis", json(-1));
    if (!(axis == -1 || axis == 3)) {
      return Status::InvalidArgument(where + ": axis " + axis.dump() + " is not the channel axis");
    }
    if (!config.contains("epsilon") || !config["epsilon"].is_number() || !(config["epsilon"].get<double>() > 0)) {
      return Status::InvalidArgument(where + ": no positive epsilon");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<MobileNetV2Topology> MobileNetV2Topology::Parse(const std::string& text) {
  const json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) return Status::InvalidArgument("topology.json is not a JSON object");
  const json& model = root.contains("model_config") ? root["model_config"] : root;
  if (!model.is_object() || !model.contains("config") || !model["config"].is_object() ||
      !model["config"].contains("layers") || !model["config"]["layers"].is_array()) {
    return Status::InvalidArgument("topology.json: no model_config.config.layers array");
  }
  const json& layers = model["config"]["layers"];
  const ExpectedGraph expected = BuildExpected();
  if (layers.size() != expected.layers().size()) {
    std::string msg = "topology.json: ";
    msg.append(std::to_string(layers.size())).append(" layers, the MobileNetV2 + nsfwjs head has ");
    msg.append(std::to_string(expected.layers().size()));
    return Status::InvalidArgument(msg);
  }
  MobileNetV2Topology topology;
  for (size_t i = 0; i < layers.size(); ++i) {
    const ExpectedLayer& want = expected.layers()[i];
    KILN_RETURN_IF_ERROR(CheckLayer(layers[i], want, i));
    if (want.class_name == "BatchNormalization") {
      topology.bn_epsilon[want.name] = layers[i]["config"]["epsilon"].get<double>();
    }
  }
  return topology;
}

StatusOr<double> MobileNetV2Topology::Epsilon(const std::string& bn_layer) const {
  auto it = bn_epsilon.find(bn_layer);
  if (it == bn_epsilon.end()) return Status::NotFound("topology has no BatchNormalization layer '" + bn_layer + "'");
  return it->second;
}

}  // namespace kiln
