#include "kiln/base/crypto.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kiln {
namespace {

bool IsLowerHex(const std::string& text) {
  return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(CryptoTest, Sha256NistVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Bytes after a NUL count: the input is a string_view, not a C string.
  EXPECT_NE(Sha256Hex(std::string("a\0b", 3)), Sha256Hex("a"));
}

struct HmacCase {
  std::string key;
  std::string data;
  std::string expected_hex;
};

TEST(CryptoTest, HmacSha256Rfc4231Vectors) {
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4 += static_cast<char>(i);
  const HmacCase cases[] = {
      {std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {key4, std::string(50, '\xcd'), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
       "hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const HmacCase& c : cases) {
    EXPECT_EQ(HmacSha256Hex(c.key, c.data), c.expected_hex) << c.data;
    const std::string raw = HmacSha256(c.key, c.data);
    EXPECT_EQ(raw.size(), 32u);
    EXPECT_EQ(HexEncode(raw), c.expected_hex);
  }
  // Test case 5 checks only the first 128 bits.
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0c'), "Test With Truncation").substr(0, 32),
            "a3b6167473100ee06e0c796c2955552b");
}

TEST(CryptoTest, HmacSha256AcceptsAnEmptyKeyAndMessage) {
  EXPECT_EQ(HmacSha256Hex("", ""), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  // A default string_view has a null data pointer.
  EXPECT_EQ(HmacSha256Hex(std::string_view(), std::string_view()),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(Sha256Hex(std::string_view()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Base64Encode(std::string_view()), "");
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("Secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(CryptoTest, HexEncode) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x01\x7f\x80\xff", 5)), "00017f80ff");
}

TEST(CryptoTest, RandomHexHasTheRightLengthAndVaries) {
  EXPECT_EQ(RandomHex(0), "");
  const std::string a = RandomHex(16);
  const std::string b = RandomHex(16);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_TRUE(IsLowerHex(a)) << a;
  EXPECT_NE(a, b);
}

TEST(CryptoTest, RandomBase64UrlIsUnpaddedAndUrlSafe) {
  for (int bytes : {1, 2, 3, 16, 32, 33}) {
    const std::string token = RandomBase64Url(bytes);
    EXPECT_EQ(token.size(), static_cast<size_t>((bytes * 4 + 2) / 3)) << bytes;
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << token;
  }
}

TEST(CryptoTest, RandomUuidIsVersion4) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string uuid = RandomUuid();
    ASSERT_EQ(uuid.size(), 36u);
    EXPECT_EQ(uuid[8], '-');
    EXPECT_EQ(uuid[13], '-');
    EXPECT_EQ(uuid[18], '-');
    EXPECT_EQ(uuid[23], '-');
    std::string hex = uuid;
    std::erase(hex, '-');
    EXPECT_EQ(hex.size(), 32u);
    EXPECT_TRUE(IsLowerHex(hex)) << uuid;
    EXPECT_EQ(uuid[14], '4') << uuid;                                  // version
    EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;  // variant 10xx
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(CryptoTest, Base64Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},        {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    std::string decoded = "junk";
    ASSERT_TRUE(Base64Decode(encoded, &decoded)) << encoded;
    EXPECT_EQ(decoded, plain);
    // Padding is optional on input.
    std::string unpadded(encoded);
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    ASSERT_TRUE(Base64Decode(unpadded, &decoded)) << unpadded;
    EXPECT_EQ(decoded, plain);
  }
}

TEST(CryptoTest, Base64UrlUsesTheUrlAlphabetWithoutPadding) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff\xfe"), "-__-");
  EXPECT_EQ(Base64Encode("\xfb\xff\xfe"), "+//+");
}

TEST(CryptoTest, Base64RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t length = 0; length <= all.size(); length += 1 + length / 8) {
    const std::string plain = all.substr(all.size() - length);
    std::string decoded;
    ASSERT_TRUE(Base64Decode(Base64Encode(plain), &decoded)) << length;
    EXPECT_EQ(decoded, plain) << length;
  }
}

TEST(CryptoTest, Base64DecodeRejectsMalformedInput) {
  const char* bad[] = {
      "Z",          // 6 bits: not a byte
      "Zm9vY",      // the same after a full quantum
      "Zg=",        // padding that does not complete the quantum
      "Zm8==",      // too much padding
      "Zg===",      // three '='
      "=",          // padding alone
      "Zm=v",       // padding in the middle
      "Zm9v=",      // padding after a full quantum
      "Zm9v YmFy",  // whitespace
      "Zm9v\nYmFy", // newline
      "Zm9-",       // base64url character in standard base64
      "Zm9_",
      "Zm9v*",
      "Zh==",       // nonzero unused bits (would also decode as "f")
      "Zm9=",       // nonzero unused bits
  };
  for (const char* text : bad) {
    std::string out = "unchanged";
    EXPECT_FALSE(Base64Decode(text, &out)) << '"' << text << '"';
    EXPECT_EQ(out, "unchanged") << text;
  }
  std::string out;
  EXPECT_FALSE(Base64Decode(std::string("Zm9v\0", 5), &out));
  EXPECT_FALSE(Base64Decode("Zm9v\x80", &out));
}

}  // namespace
}  // namespace kiln
