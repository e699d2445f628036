#include "kiln/server/image_input.h"

#include "kiln/base/crypto.h"
#include "kiln/server/api_responses.h"

namespace kiln {

bool DecodeImageDataUrl(const std::string& url, std::string* bytes) {
  std::string_view b64 = url;
  if (StartsWith(b64, "data:")) {
    const size_t comma = b64.find(',');
    if (comma == std::string_view::npos || b64.substr(0, comma).find(";base64") == std::string_view::npos) return false;
    b64.remove_prefix(comma + 1);
  }
  return Base64Decode(b64, bytes) && !bytes->empty();
}

StatusOr<std::string> ResolveImageInput(const nlohmann::json& item, const std::string& tenant, JobService& jobs,
                                        BlobStore& blobs) {
  const nlohmann::json* url = nullptr;
  if (item.is_string()) {
    url = &item;
  } else if (item.is_object() && item.value("type", "") == "image_url") {
    auto image_url = item.find("image_url");
    if (image_url != item.end() && image_url->is_object() && image_url->contains("url")) url = &(*image_url)["url"];
    if (url == nullptr || !url->is_string()) return Status::InvalidArgument("image_url.url is required: a data URL");
  } else if (item.is_object() && item.value("type", "") == "kiln_result") {
    auto id = item.find("id");
    if (id == item.end() || !id->is_string()) return Status::InvalidArgument("id is required: a task id");
    StatusOr<std::shared_ptr<const Job>> job = jobs.Get(id->get<std::string>());
    if (!job.ok() || (!tenant.empty() && (*job)->tenant != tenant) || (*job)->state != JobState::kReady) {
      return Status::InvalidArgument("no ready task with id " + id->get<std::string>());
    }
    StatusOr<std::string> bytes = blobs.Get((*job)->blob_key);
    if (!bytes.ok()) return Status::InvalidArgument("the image of task " + (*job)->id + " is no longer stored");
    return bytes;
  } else {
    return Status::InvalidArgument(
        "should be a data URL string or an object of type image_url or kiln_result");
  }
  std::string bytes;
  if (!DecodeImageDataUrl(url->get<std::string>(), &bytes)) {
    return Status::InvalidArgument("should be a data URL (data:image/png;base64,...) or base64 of a PNG, JPEG or WebP image");
  }
  if (bytes.size() > kMaxImageInputBytes) return Status::InvalidArgument("the image is larger than 20 MiB");
  return bytes;
}

}  // namespace kiln
