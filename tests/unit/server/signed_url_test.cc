#include "kiln/server/signed_url.h"

#include <gtest/gtest.h>

#include "kiln/server/api_types.h"

namespace kiln {
namespace {

struct Parts {
  std::string id, ext, exp, sig;
};

Parts Split(const std::string& path) {
  // /v1/results/<id>/sample.<ext>?exp=..&sig=..
  Parts p;
  const size_t q = path.find('?');
  const std::string route = path.substr(0, q);
  const size_t id_start = std::string("/v1/results/").size();
  const size_t slash = route.find('/', id_start);
  p.id = route.substr(id_start, slash - id_start);
  p.ext = route.substr(route.find("sample.") + 7);
  auto query = ParseQueryString(path.substr(q + 1));
  p.exp = query["exp"];
  p.sig = query["sig"];
  return p;
}

TEST(UrlSignerTest, SignedPathVerifiesUntilItExpires) {
  UrlSigner signer("0123456789abcdef0123456789abcdef", 600);
  const std::string path = signer.SamplePath("job-1", "png", 1000);
  Parts p = Split(path);
  EXPECT_EQ(p.id, "job-1");
  EXPECT_EQ(p.ext, "png");
  EXPECT_EQ(p.exp, "1600");
  EXPECT_TRUE(signer.Verify(p.id, p.ext, p.exp, p.sig, 1000).ok());
  EXPECT_TRUE(signer.Verify(p.id, p.ext, p.exp, p.sig, 1600).ok());
  EXPECT_EQ(signer.Verify(p.id, p.ext, p.exp, p.sig, 1601).code(), StatusCode::kDeadlineExceeded);
}

TEST(UrlSignerTest, AnyChangeBreaksTheSignature) {
  UrlSigner signer("0123456789abcdef0123456789abcdef", 600);
  Parts p = Split(signer.SamplePath("job-1", "png", 1000));
  EXPECT_EQ(signer.Verify("job-2", p.ext, p.exp, p.sig, 1000).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(signer.Verify(p.id, "jpg", p.exp, p.sig, 1000).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(signer.Verify(p.id, p.ext, "999999", p.sig, 1000).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(signer.Verify(p.id, p.ext, p.exp, "00" + p.sig.substr(2), 1000).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(signer.Verify(p.id, p.ext, "12x", p.sig, 1000).code(), StatusCode::kInvalidArgument);
  UrlSigner other("another key, another key, another", 600);
  EXPECT_EQ(other.Verify(p.id, p.ext, p.exp, p.sig, 1000).code(), StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace kiln
