// AtomicFileWriter and WriteFileAtomically: contents replaced, no temp file
// left behind after success or failure, the streaming form's Discard.
#include "cdc/core/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <optional>

#include "tests/support/temp_dir.h"

namespace deltabridge {
namespace {

using test::ReadFileToString;
using test::TempDir;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<TempDir> dir = TempDir::Create("atomic-file-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    dir_.emplace(std::move(dir).value());
    path_ = dir_->Join("state.json");
  }

  bool Exists(const std::string& path) { return std::filesystem::exists(path); }
  std::string Read(const std::string& path) {
    Result<std::string> text = ReadFileToString(path);
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return text.ok() ? *text : "";
  }

  std::optional<TempDir> dir_;
  std::string path_;
};

TEST_F(AtomicFileTest, WritesANewFileAndLeavesNoTemp) {
  ASSERT_TRUE(WriteFileAtomically(path_, "first\n").ok());
  EXPECT_EQ(Read(path_), "first\n");
  EXPECT_FALSE(Exists(AtomicFileWriter::TempPathFor(path_)));
  EXPECT_EQ(AtomicFileWriter::TempPathFor(path_), path_ + ".tmp");
}

TEST_F(AtomicFileTest, ReplacesTheContents) {
  ASSERT_TRUE(WriteFileAtomically(path_, "a much longer first version\n").ok());
  ASSERT_TRUE(WriteFileAtomically(path_, "second\n").ok());
  EXPECT_EQ(Read(path_), "second\n");
  ASSERT_TRUE(WriteFileAtomically(path_, "", AtomicFileOptions{.sync = false}).ok());
  EXPECT_EQ(Read(path_), "");
  EXPECT_FALSE(Exists(path_ + ".tmp"));
}

TEST_F(AtomicFileTest, TruncatesATempFileLeftByACrash) {
  ASSERT_TRUE(test::WriteStringToFile(path_ + ".tmp", "left over by a crash, long").ok());
  ASSERT_TRUE(WriteFileAtomically(path_, "new").ok());
  EXPECT_EQ(Read(path_), "new");
  EXPECT_FALSE(Exists(path_ + ".tmp"));
}

TEST_F(AtomicFileTest, CreatesWithTheGivenMode) {
  const mode_t old_umask = ::umask(022);
  Status s = WriteFileAtomically(path_, "x", AtomicFileOptions{.mode = 0640});
  ::umask(old_umask);
  ASSERT_TRUE(s.ok()) << s.ToString();
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(AtomicFileTest, MissingDirectoryIsAnErrorNamingThePath) {
  const std::string path = dir_->Join("no-such-dir/state.json");
  Status s = WriteFileAtomically(path, "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find(path + ".tmp"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(std::strerror(ENOENT)), std::string::npos) << s.message();
  EXPECT_FALSE(Exists(path));
}

TEST_F(AtomicFileTest, FailedRenameRemovesTheTempAndKeepsTheTarget) {
  // A non-empty directory where the file should be: rename(2) fails.
  ASSERT_TRUE(std::filesystem::create_directory(path_));
  ASSERT_TRUE(test::WriteStringToFile(path_ + "/inside", "kept").ok());
  AtomicFileWriter writer;
  ASSERT_TRUE(writer.Open(path_).ok());
  ASSERT_TRUE(writer.Append("new contents").ok());
  Status s = writer.Commit();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find("cannot rename " + path_ + ".tmp to " + path_), std::string::npos)
      << s.message();
  EXPECT_FALSE(writer.renamed());
  EXPECT_FALSE(writer.is_open());
  EXPECT_FALSE(Exists(path_ + ".tmp"));
  EXPECT_EQ(Read(path_ + "/inside"), "kept");
}

TEST_F(AtomicFileTest, StreamsAppendsLargerThanTheBuffer) {
  std::string expected;
  AtomicFileWriter writer;
  ASSERT_TRUE(writer.Open(path_).ok());
  for (int i = 0; i < 3000; ++i) {
    std::string piece(static_cast<size_t>(i % 700) + 1, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(writer.Append(piece).ok());
    expected += piece;
  }
  const std::string big(3 << 20, 'z');  // bigger than the buffer: written at once
  ASSERT_TRUE(writer.Append(big).ok());
  expected += big;
  ASSERT_TRUE(writer.Append("end").ok());
  expected += "end";
  EXPECT_FALSE(Exists(path_));  // nothing in place before Commit
  ASSERT_TRUE(writer.Commit().ok());
  EXPECT_TRUE(writer.renamed());
  EXPECT_FALSE(writer.is_open());
  EXPECT_EQ(Read(path_), expected);
  EXPECT_FALSE(Exists(path_ + ".tmp"));
}

TEST_F(AtomicFileTest, DiscardKeepsTheOldContentsAndRemovesTheTemp) {
  ASSERT_TRUE(WriteFileAtomically(path_, "old").ok());
  AtomicFileWriter writer;
  ASSERT_TRUE(writer.Open(path_).ok());
  ASSERT_TRUE(writer.Append("new").ok());
  EXPECT_TRUE(Exists(path_ + ".tmp"));
  writer.Discard();
  EXPECT_FALSE(writer.is_open());
  EXPECT_FALSE(Exists(path_ + ".tmp"));
  EXPECT_EQ(Read(path_), "old");
  EXPECT_FALSE(writer.Append("more").ok());
  EXPECT_FALSE(writer.Commit().ok());
  EXPECT_EQ(Read(path_), "old");
}

TEST_F(AtomicFileTest, DestructorDiscards) {
  ASSERT_TRUE(WriteFileAtomically(path_, "old").ok());
  {
    AtomicFileWriter writer;
    ASSERT_TRUE(writer.Open(path_).ok());
    ASSERT_TRUE(writer.Append("new").ok());
  }
  EXPECT_FALSE(Exists(path_ + ".tmp"));
  EXPECT_EQ(Read(path_), "old");
}

TEST_F(AtomicFileTest, OpenAgainDiscardsTheFirstAndWritesTheSecond) {
  AtomicFileWriter writer;
  ASSERT_TRUE(writer.Open(dir_->Join("first")).ok());
  ASSERT_TRUE(writer.Append("1").ok());
  ASSERT_TRUE(writer.Open(path_).ok());
  EXPECT_FALSE(Exists(dir_->Join("first.tmp")));
  ASSERT_TRUE(writer.Append("2").ok());
  ASSERT_TRUE(writer.Commit().ok());
  EXPECT_FALSE(Exists(dir_->Join("first")));
  EXPECT_EQ(Read(path_), "2");
}

TEST_F(AtomicFileTest, BareFileNameUsesTheCurrentDirectory) {
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_->path());
  Status s = WriteFileAtomically("bare.json", "x");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Read(dir_->Join("bare.json")), "x");
}

}  // namespace
}  // namespace deltabridge
