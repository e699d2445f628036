#include <gtest/gtest.h>

#include <string>

#include "kiln/jobs/webhook_sender.h"
#include "kiln/jobs/webhook_url.h"

namespace kiln {
namespace {

TEST(IsPrivateAddressTest, Table) {
  struct Case {
    const char* address;
    bool is_private;
  };
  const Case cases[] = {
      // IPv4 ranges the SSRF guard refuses, with their edges.
      {"127.0.0.1", true}, {"127.255.255.254", true}, {"10.0.0.1", true}, {"10.255.255.255", true},
      {"172.16.0.1", true}, {"172.31.255.255", true}, {"172.15.255.255", false}, {"172.32.0.0", false},
      {"192.168.1.1", true}, {"192.169.0.1", false}, {"169.254.169.254", true}, {"100.64.0.1", true},
      {"100.127.255.255", true}, {"100.63.255.255", false}, {"100.128.0.0", false}, {"0.0.0.0", true},
      {"0.1.2.3", true}, {"224.0.0.1", true}, {"239.255.255.255", true}, {"255.255.255.255", true},
      {"8.8.8.8", false}, {"1.1.1.1", false}, {"93.184.216.34", false}, {"11.0.0.1", false},
      // IPv6.
      {"::1", true}, {"::", true}, {"fc00::1", true}, {"fd12:3456::1", true}, {"fe80::1", true},
      {"febf::1", true}, {"fec0::1", false}, {"ff02::1", true}, {"2001:4860:4860::8888", false},
      {"2606:4700::1111", false},
      // IPv4-mapped and NAT64: judged by the IPv4 address inside.
      {"::ffff:127.0.0.1", true}, {"::ffff:10.1.2.3", true}, {"::ffff:8.8.8.8", false},
      {"64:ff9b::a00:1", true}, {"64:ff9b::808:808", false},
      // Not an address: fail closed.
      {"", true}, {"example.com", true}, {"1.2.3", true}, {"[::1]", true},
  };
  for (const Case& c : cases) EXPECT_EQ(IsPrivateAddress(c.address), c.is_private) << c.address;
}

TEST(WebhookUrlTest, AcceptsHttpUrls) {
  for (const char* url : {"http://example.com", "http://example.com/", "http://example.com:8080/hook?x=1&y=%20",
                          "HTTP://Example.COM/Path", "http://1.2.3.4:65535/a/b", "http://[2001:db8::1]:81/x",
                          "http://[::1]", "http://my_host.internal-domain.io?q=1"}) {
    EXPECT_TRUE(ValidateWebhookUrl(url).ok()) << url << ": " << ValidateWebhookUrl(url).message();
  }
}

TEST(WebhookUrlTest, RefusalsNameTheProblem) {
  struct Case {
    const char* url;
    const char* message_part;
  };
  const Case cases[] = {
      {"", "empty"},
      {"https://example.com/hook", "only http:// is supported"},
      {"ftp://example.com/", "only http:// is supported"},
      {"example.com/hook", "only http:// is supported"},
      {"http://", "missing host"},
      {"http:///path", "missing host"},
      {"http://:80/path", "missing host"},
      {"http://[]/", "missing host"},
      {"http://user:pw@example.com/", "userinfo"},
      {"http://example.com:0/", "out of range"},
      {"http://example.com:65536/", "out of range"},
      {"http://example.com:/", "invalid port"},
      {"http://example.com:8a/", "invalid port"},
      {"http://[::1/", "unterminated"},
      {"http://[not-v6]/", "not an IPv6 address"},
      {"http://[fe80::1%25eth0]/", "not an IPv6 address"},
      {"http://[::1]x/", "after ']'"},
      {"http://exa mple.com/", "invalid character"},
      {"http://example.com/a b", "space, control or non-ASCII"},
      {"http://example.com/a\r\nX-Evil: 1", "space, control or non-ASCII"},
      {"http://example.com/caf\xc3\xa9", "space, control or non-ASCII"},
      {"http://example.com/#frag", "fragments"},
  };
  for (const Case& c : cases) {
    const Status status = ValidateWebhookUrl(c.url);
    ASSERT_FALSE(status.ok()) << c.url;
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_EQ(status.message().rfind("webhook_url: ", 0), 0u) << status.message();
    EXPECT_NE(status.message().find(c.message_part), std::string::npos) << c.url << " → " << status.message();
  }
  EXPECT_FALSE(ValidateWebhookUrl("http://example.com/" + std::string(3000, 'a')).ok());
}

TEST(WebhookUrlTest, ParsesTheRequestParts) {
  auto url = ParseWebhookUrl("http://example.com:8080/hook?x=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->host_header, "example.com:8080");
  EXPECT_EQ(url->target, "/hook?x=1");

  url = ParseWebhookUrl("http://[2001:db8::1]");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "2001:db8::1");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->host_header, "[2001:db8::1]");
  EXPECT_EQ(url->target, "/");

  url = ParseWebhookUrl("http://example.com?q=1");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->target, "/?q=1");
}

}  // namespace
}  // namespace kiln
