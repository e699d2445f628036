// Hashes, MACs and random tokens (OpenSSL's libcrypto underneath).
// Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

// SHA-256 of data as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);
// HMAC-SHA256(key, data): raw 32 bytes, or 64 lowercase hex digits.
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// Compares in time independent of where the strings differ (lengths may leak).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Cryptographically random bytes as lowercase hex (2 * bytes digits) or
// unpadded base64url.
std::string RandomHex(int bytes);
std::string RandomBase64Url(int bytes);
// A random UUID v4 in its 36-character text form.
std::string RandomUuid();

std::string HexEncode(std::string_view bytes);
std::string Base64UrlEncode(std::string_view bytes);  // unpadded
std::string Base64Encode(std::string_view bytes);     // standard, padded
// False on any character outside the alphabet or a bad length/padding.
bool Base64Decode(std::string_view text, std::string* out);  // standard, padding optional

}  // namespace kiln
