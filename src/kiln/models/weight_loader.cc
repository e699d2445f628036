#include "kiln/models/weight_loader.h"

namespace kiln {

StatusOr<Shape> WeightLoader::ShapeOf(const std::string& name) const {
  const TensorEntry* entry = file_.Find(prefix_ + name);
  if (entry == nullptr) {
    return Status::NotFound(file_.label() + ": weight '" + prefix_ + name + "' is missing");
  }
  return entry->shape;
}

StatusOr<Tensor> WeightLoader::Get(const std::string& name, const Shape& expected) const {
  KILN_ASSIGN_OR_RETURN(Shape shape, ShapeOf(name));
  if (shape != expected) {
    return Status::InvalidArgument(file_.label() + ": weight '" + prefix_ + name + "' has shape " +
                                   ShapeToString(shape) + ", the config expects " +
                                   ShapeToString(expected));
  }
  return file_.GetF32(prefix_ + name);
}

StatusOr<Tensor> WeightLoader::GetAnyShape(const std::string& name) const {
  KILN_RETURN_IF_ERROR(ShapeOf(name).status());
  return file_.GetF32(prefix_ + name);
}

}  // namespace kiln
