// IsPrivateAddress (declared in webhook_sender.h): the SSRF guard's list of
// addresses a client-supplied URL must not reach.
#include <algorithm>
#include <cstdint>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "kiln/jobs/webhook_sender.h"

namespace kiln {
namespace {

bool InV4Range(uint32_t address, uint32_t network, int prefix_bits) {
  const uint32_t mask = prefix_bits == 0 ? 0 : ~uint32_t{0} << (32 - prefix_bits);
  return (address & mask) == network;
}

bool IsPrivateV4(const boost::asio::ip::address_v4& address) {
  const uint32_t a = address.to_uint();
  return InV4Range(a, 0x00000000, 8) ||   // 0.0.0.0/8 "this network" (0.0.0.0 reaches localhost)
         InV4Range(a, 0x0A000000, 8) ||   // 10/8
         InV4Range(a, 0x64400000, 10) ||  // 100.64/10 carrier-grade NAT
         InV4Range(a, 0x7F000000, 8) ||   // 127/8 loopback
         InV4Range(a, 0xA9FE0000, 16) ||  // 169.254/16 link-local (cloud metadata lives here)
         InV4Range(a, 0xAC100000, 12) ||  // 172.16/12
         InV4Range(a, 0xC0A80000, 16) ||  // 192.168/16
         InV4Range(a, 0xE0000000, 4) ||   // 224/4 multicast
         a == 0xFFFFFFFF;                 // limited broadcast
}

bool IsPrivateV6(const boost::asio::ip::address_v6& address) {
  const auto bytes = address.to_bytes();
  if (address.is_v4_mapped()) {
    // ::ffff:a.b.c.d reaches the IPv4 host a.b.c.d: judge it as that.
    return IsPrivateV4(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address));
  }
  // 64:ff9b::/96, the well-known NAT64 prefix, also carries an IPv4 address in its last 4 bytes.
  static constexpr unsigned char kNat64[12] = {0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::equal(kNat64, kNat64 + 12, bytes.begin())) {
    const boost::asio::ip::address_v4::bytes_type v4 = {bytes[12], bytes[13], bytes[14], bytes[15]};
    return IsPrivateV4(boost::asio::ip::address_v4(v4));
  }
  return address.is_loopback() ||              // ::1
         address.is_unspecified() ||           // ::
         (bytes[0] & 0xfe) == 0xfc ||          // fc00::/7 unique local
         (bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80) ||  // fe80::/10 link-local
         bytes[0] == 0xff;                     // ff00::/8 multicast
}

}  // namespace

bool IsPrivateAddress(std::string_view address) {
  boost::system::error_code ec;
  const boost::asio::ip::address parsed = boost::asio::ip::make_address(std::string(address), ec);
  // Text that is not an address cannot be judged: fail closed, the caller must not connect.
  if (ec) return true;
  return parsed.is_v4() ? IsPrivateV4(parsed.to_v4()) : IsPrivateV6(parsed.to_v6());
}

}  // namespace kiln
