// DB_RETURN_IF_ERROR, DB_ASSIGN_OR_RETURN and DB_ASSIGN_OR_RETURN_CTX: values
// moved out, failures returned (with context), each expression evaluated once.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "cdc/core/status.h"

namespace deltabridge {
namespace {

// Counts the calls of the functions below.
int calls = 0;

Result<std::unique_ptr<int>> MakeInt(int v) {
  ++calls;
  return std::make_unique<int>(v);
}

Result<std::unique_ptr<int>> FailInt(const std::string& why) {
  ++calls;
  return Status::NotFound(why);
}

Status Fail(const std::string& why) {
  ++calls;
  return Status::Unavailable(why);
}

class StatusMacrosTest : public ::testing::Test {
 protected:
  void SetUp() override { calls = 0; }
};

// A move-only value: a copy would not compile.
Result<int> Sum(bool fail_second) {
  DB_ASSIGN_OR_RETURN(auto a, MakeInt(1));
  DB_ASSIGN_OR_RETURN(std::unique_ptr<int> b, fail_second ? FailInt("no b") : MakeInt(2));
  return *a + *b;
}

TEST_F(StatusMacrosTest, AssignMovesTheValueOutAndAllowsTwoUsesInAScope) {
  Result<int> sum = Sum(false);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(*sum, 3);
  EXPECT_EQ(calls, 2);  // each expression once
}

TEST_F(StatusMacrosTest, AssignReturnsTheFailureUnchanged) {
  Result<int> sum = Sum(true);
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(sum.status().message(), "no b");
  EXPECT_EQ(calls, 2);
}

TEST_F(StatusMacrosTest, AssignStopsAtTheFirstFailure) {
  bool reached = false;
  auto f = [&]() -> Status {
    DB_ASSIGN_OR_RETURN(auto a, FailInt("first"));
    reached = true;
    DB_ASSIGN_OR_RETURN(auto b, MakeInt(2));
    return *a == *b ? Status::Ok() : Status::Aborted("differ");
  };
  Status s = f();
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.message(), "first");
  EXPECT_FALSE(reached);
  EXPECT_EQ(calls, 1);
}

TEST_F(StatusMacrosTest, AssignToAnExistingLvalue) {
  struct Holder {
    std::unique_ptr<int> value;
    std::vector<std::string> names;
  } holder;
  holder.value = std::make_unique<int>(7);
  Holder* h = &holder;
  auto f = [&](bool fail) -> Status {
    DB_ASSIGN_OR_RETURN(h->value, fail ? FailInt("kept") : MakeInt(9));
    DB_ASSIGN_OR_RETURN(holder.names, Result<std::vector<std::string>>({"a", "b"}));
    return Status::Ok();
  };
  Status failed = f(true);
  EXPECT_EQ(failed.message(), "kept");
  ASSERT_NE(holder.value, nullptr);
  EXPECT_EQ(*holder.value, 7);  // untouched by the failure
  EXPECT_TRUE(holder.names.empty());

  ASSERT_TRUE(f(false).ok());
  EXPECT_EQ(*holder.value, 9);
  EXPECT_EQ(holder.names, (std::vector<std::string>{"a", "b"}));
}

TEST_F(StatusMacrosTest, ContextIsAddedOnlyOnFailure) {
  int context_evaluations = 0;
  auto context = [&] {
    ++context_evaluations;
    return std::string("reading table t");
  };
  auto f = [&](bool fail) -> Result<std::string> {
    DB_ASSIGN_OR_RETURN_CTX(auto v, fail ? FailInt("no such row") : MakeInt(4), context());
    return std::to_string(*v);
  };
  Result<std::string> ok = f(false);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "4");
  EXPECT_EQ(context_evaluations, 0);

  Result<std::string> failed = f(true);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(failed.status().message(), "reading table t: no such row");
  EXPECT_EQ(context_evaluations, 1);
  EXPECT_EQ(calls, 2);
}

TEST_F(StatusMacrosTest, ReturnIfErrorTakesAStatus) {
  auto f = [&](bool fail) -> Result<int> {
    DB_RETURN_IF_ERROR(fail ? Fail("down") : Status::Ok());
    return 1;
  };
  EXPECT_TRUE(f(false).ok());
  Result<int> failed = f(true);
  EXPECT_EQ(failed.status().code(), Status::Code::kUnavailable);
  EXPECT_EQ(failed.status().message(), "down");
  EXPECT_EQ(calls, 1);
}

TEST_F(StatusMacrosTest, ReturnIfErrorTakesAResult) {
  auto f = [&](bool fail) -> Status {
    DB_RETURN_IF_ERROR(fail ? FailInt("gone") : MakeInt(1));
    return Status::Aborted("reached the end");
  };
  EXPECT_EQ(f(false).message(), "reached the end");
  Status failed = f(true);
  EXPECT_EQ(failed.code(), Status::Code::kNotFound);
  EXPECT_EQ(failed.message(), "gone");
  EXPECT_EQ(calls, 2);
}

TEST_F(StatusMacrosTest, ReturnIfErrorTakesAnLvalue) {
  const Status stored = Status::Corruption("bad byte");
  Result<int> stored_result = Status::IoError("disk");
  auto f = [&]() -> Status {
    DB_RETURN_IF_ERROR(Status::Ok());
    DB_RETURN_IF_ERROR(stored);
    return Status::Ok();
  };
  auto g = [&]() -> Status {
    DB_RETURN_IF_ERROR(stored_result);
    return Status::Ok();
  };
  EXPECT_EQ(f().message(), "bad byte");
  EXPECT_EQ(g().message(), "disk");
  EXPECT_FALSE(stored_result.ok());  // left as it was
}

}  // namespace
}  // namespace deltabridge
