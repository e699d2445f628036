#include "kiln/base/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

namespace kiln {
namespace {

TEST(StatusTest, DefaultIsOk) {
  const Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kOk);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.ToString(), "OK");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, FactoriesSetCodeAndMessage) {
  const std::vector<std::pair<Status, StatusCode>> cases = {
      {Status::InvalidArgument("m"), StatusCode::kInvalidArgument},
      {Status::NotFound("m"), StatusCode::kNotFound},
      {Status::FailedPrecondition("m"), StatusCode::kFailedPrecondition},
      {Status::ResourceExhausted("m"), StatusCode::kResourceExhausted},
      {Status::Unavailable("m"), StatusCode::kUnavailable},
      {Status::Unimplemented("m"), StatusCode::kUnimplemented},
      {Status::Internal("m"), StatusCode::kInternal},
      {Status::DataLoss("m"), StatusCode::kDataLoss},
      {Status::IOError("m"), StatusCode::kUnavailable},
      {Status::Cancelled("m"), StatusCode::kCancelled},
      {Status::DeadlineExceeded("m"), StatusCode::kDeadlineExceeded},
  };
  for (const auto& [status, code] : cases) {
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.code(), code);
    EXPECT_EQ(status.message(), "m");
  }
  EXPECT_EQ(Status::DataLoss("bad bytes").ToString(), "DATA_LOSS: bad bytes");
}

TEST(StatusTest, OkCodeWithMessageIsOk) {
  const Status status(StatusCode::kOk, "ignored");
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.message(), "");
}

TEST(StatusTest, EveryCodeHasAName) {
  for (int code = 0; code <= static_cast<int>(StatusCode::kUnauthenticated); ++code) {
    EXPECT_NE(StatusCodeName(static_cast<StatusCode>(code)), "UNKNOWN") << code;
  }
  EXPECT_EQ(StatusCodeName(StatusCode::kInvalidArgument), "INVALID_ARGUMENT");
}

TEST(StatusTest, CopiesShareAndKeepTheError) {
  Status a = Status::NotFound("x");
  const Status b = a;
  a = Status::Ok();
  EXPECT_TRUE(a.ok());
  EXPECT_EQ(b.code(), StatusCode::kNotFound);
  EXPECT_EQ(b.message(), "x");
}

TEST(StatusTest, WithContextPrefixesTheMessage) {
  const Status status = Status::NotFound("no tensor 'w'").WithContext("model.safetensors");
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "model.safetensors: no tensor 'w'");
  EXPECT_TRUE(Status::Ok().WithContext("ctx").ok());
}

TEST(StatusTest, ErrnoToStatusPicksCodeByWhatTheCallerCanDo) {
  EXPECT_EQ(ErrnoToStatus(ENOENT, "open a").code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatus(EACCES, "open a").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatus(EPERM, "open a").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatus(ENOSPC, "write a").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EIO, "read a").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ErrnoToStatus(ENOENT, "cannot open a").message(), "cannot open a: No such file or directory");
}

TEST(StatusOrTest, HoldsAValue) {
  StatusOr<int> result = 7;
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result.status().ok());
  EXPECT_EQ(*result, 7);
  EXPECT_EQ(result.value(), 7);
  *result = 8;
  EXPECT_EQ(result.value(), 8);
}

TEST(StatusOrTest, HoldsAnError) {
  const StatusOr<std::string> result = Status::NotFound("gone");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
}

TEST(StatusOrTest, OkStatusWithoutValueBecomesInternal) {
  const StatusOr<int> result = Status::Ok();
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
}

TEST(StatusOrTest, MoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> result = std::make_unique<int>(3);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(**result, 3);
  std::unique_ptr<int> taken = std::move(result).value();
  EXPECT_EQ(*taken, 3);
}

TEST(StatusOrTest, ArrowReachesMembers) {
  StatusOr<std::string> result = std::string("abc");
  EXPECT_EQ(result->size(), 3u);
}

Status FailIf(bool fail) { return fail ? Status::InvalidArgument("failed") : Status::Ok(); }

StatusOr<std::unique_ptr<int>> MakeIf(bool fail, int value) {
  if (fail) return Status::NotFound("nothing");
  return std::make_unique<int>(value);
}

Status Chain(bool fail_first, bool fail_second, int* out) {
  KILN_RETURN_IF_ERROR(FailIf(fail_first));
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<int> value, MakeIf(fail_second, 5));
  KILN_ASSIGN_OR_RETURN(auto again, MakeIf(false, 6));  // two in one scope need distinct temporaries
  *out = *value + *again;
  return Status::Ok();
}

TEST(StatusMacrosTest, ReturnEarlyOnErrorAndUnwrapValues) {
  int out = 0;
  EXPECT_EQ(Chain(true, false, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Chain(false, true, &out).code(), StatusCode::kNotFound);
  EXPECT_EQ(out, 0);
  EXPECT_TRUE(Chain(false, false, &out).ok());
  EXPECT_EQ(out, 11);
}

}  // namespace
}  // namespace kiln
