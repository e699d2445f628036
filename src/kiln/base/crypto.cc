#include "kiln/base/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "kiln/base/logging.h"

namespace kiln {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64UrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// A failing hash or RNG means libcrypto itself is broken (or out of memory);
// returning a weak token or a wrong digest would be worse than stopping.
[[noreturn]] void DieOnCryptoFailure(const char* what) {
  KILN_LOG(kError) << "libcrypto failed: " << what;
  std::abort();
}

std::string RandomBytes(int count) {
  std::string bytes(count > 0 ? static_cast<size_t>(count) : 0, '\0');
  if (bytes.empty()) return bytes;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) != 1) {
    DieOnCryptoFailure("RAND_bytes");
  }
  return bytes;
}

std::string EncodeBase64With(std::string_view bytes, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest == 1) {
    const uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    const uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

// The 6-bit value of a standard base64 character, or -1.
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    DieOnCryptoFailure("EVP_Digest(sha256)");
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  // HMAC() with a null key pointer would pick a static buffer; an empty key
  // is legal, so always hand it a real (if zero-length) pointer.
  static constexpr char kEmpty = 0;
  const char* key_data = key.empty() ? &kEmpty : key.data();
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length) == nullptr) {
    DieOnCryptoFailure("HMAC(sha256)");
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) { return HexEncode(HmacSha256(key, data)); }

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string RandomHex(int bytes) { return HexEncode(RandomBytes(bytes)); }

std::string RandomBase64Url(int bytes) { return Base64UrlEncode(RandomBytes(bytes)); }

std::string RandomUuid() {
  std::string bytes = RandomBytes(16);
  // RFC 9562 §5.4: version 4 in the high nibble of byte 6, variant 10xx in byte 8.
  bytes[6] = static_cast<char>((static_cast<uint8_t>(bytes[6]) & 0x0f) | 0x40);
  bytes[8] = static_cast<char>((static_cast<uint8_t>(bytes[8]) & 0x3f) | 0x80);
  const std::string hex = HexEncode(bytes);
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' + hex.substr(16, 4) + '-' +
         hex.substr(20, 12);
}

std::string HexEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<uint8_t>(c);
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 0x0f];
  }
  return out;
}

std::string Base64UrlEncode(std::string_view bytes) { return EncodeBase64With(bytes, kBase64UrlAlphabet, false); }

std::string Base64Encode(std::string_view bytes) { return EncodeBase64With(bytes, kBase64Alphabet, true); }

bool Base64Decode(std::string_view text, std::string* out) {
  // Padding is optional, but when present it must complete the last quantum.
  size_t padding = 0;
  while (padding < 2 && !text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    ++padding;
  }
  if (padding > 0 && (text.size() + padding) % 4 != 0) return false;
  // One leftover character carries only 6 bits: not a whole byte.
  if (text.size() % 4 == 1) return false;

  std::string decoded;
  decoded.reserve(text.size() / 4 * 3 + 2);
  uint32_t accumulator = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = Base64Value(c);
    if (value < 0) return false;  // also rejects a stray '=' in the middle
    accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      decoded += static_cast<char>((accumulator >> bits) & 0xff);
    }
  }
  // The unused low bits of the last character must be zero (RFC 4648 §3.5),
  // so each byte string has exactly one encoding.
  if (bits > 0 && (accumulator & ((1u << bits) - 1)) != 0) return false;
  *out = std::move(decoded);
  return true;
}

}  // namespace kiln
