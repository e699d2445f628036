// The parts of a webhook URL a request needs, parsed once by the rules that
// ValidateWebhookUrl (webhook_sender.h) enforces: http://host[:port][/path][?query].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "kiln/base/status.h"

namespace kiln {

struct WebhookUrl {
  std::string host;         // what to resolve: a name, IPv4 text or IPv6 text without brackets
  uint16_t port = 80;
  std::string host_header;  // the authority as written (brackets and port kept): the Host header
  std::string target;       // path + query, "/" when the URL has no path
};

// InvalidArgument, starting "webhook_url: ", names what is wrong.
StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url);

}  // namespace kiln
