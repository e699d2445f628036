#include "kiln/jobs/webhook_url.h"

#include <boost/asio/ip/address_v6.hpp>

#include "kiln/jobs/webhook_sender.h"

namespace kiln {
namespace {

// Long enough for any real callback URL; bounds what a client makes us store and send.
constexpr size_t kMaxUrlLength = 2048;

Status Invalid(std::string_view problem) { return Status::InvalidArgument("webhook_url: " + std::string(problem)); }

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

bool IsHostNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

// The path and query go into the request line verbatim: a space or control
// character there would let a URL rewrite the request, so only visible ASCII
// passes (anything else must be percent-encoded by the client).
bool IsTargetChar(char c) { return c > 0x20 && c < 0x7f; }

StatusOr<uint16_t> ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return Invalid("invalid port '" + std::string(text) + "'");
  uint32_t port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return Invalid("invalid port '" + std::string(text) + "'");
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  if (port == 0 || port > 65535) return Invalid("port " + std::string(text) + " is out of range");
  return static_cast<uint16_t>(port);
}

}  // namespace

StatusOr<WebhookUrl> ParseWebhookUrl(std::string_view url) {
  if (url.empty()) return Invalid("empty");
  if (url.size() > kMaxUrlLength) return Invalid("longer than " + std::to_string(kMaxUrlLength) + " characters");
  if (StartsWithNoCase(url, "https://")) {
    return Invalid("only http:// is supported (https:// needs TLS, not yet available)");
  }
  if (!StartsWithNoCase(url, "http://")) return Invalid("only http:// is supported");
  std::string_view rest = url.substr(7);

  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view target = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return Invalid("userinfo (user@host) is not allowed");
  if (target.find('#') != std::string_view::npos) return Invalid("fragments (#...) are not allowed");
  for (char c : target) {
    if (!IsTargetChar(c)) return Invalid("path or query holds a space, control or non-ASCII character");
  }

  WebhookUrl out;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid("unterminated IPv6 literal '['");
    out.host = std::string(authority.substr(1, close - 1));
    if (out.host.empty()) return Invalid("missing host");
    boost::system::error_code ec;
    boost::asio::ip::make_address_v6(out.host, ec);
    // A zone id (%eth0) names an interface of this machine: never a client's target.
    if (ec || out.host.find('%') != std::string::npos) return Invalid("'" + out.host + "' is not an IPv6 address");
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Invalid("unexpected text after ']'");
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (out.host.empty()) return Invalid("missing host");
    for (char c : out.host) {
      if (!IsHostNameChar(c)) return Invalid("host '" + out.host + "' holds an invalid character");
    }
  }
  if (has_port) {
    KILN_ASSIGN_OR_RETURN(out.port, ParsePort(port_text));
  }
  out.host_header = std::string(authority);
  out.target = target.empty() ? "/" : std::string(target);
  if (out.target.front() == '?') out.target.insert(0, "/");
  return out;
}

Status ValidateWebhookUrl(std::string_view url) { return ParseWebhookUrl(url).status(); }

}  // namespace kiln
