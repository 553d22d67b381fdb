// import-postgrey's progress bar line: how far, how fast, how long yet, within the width.
#include "grayling/admin/progress_text.hpp"

#include <gtest/gtest.h>

namespace grayling {
namespace {

TEST(ProgressText, SaysHowFarHowFastAndHowLongYet) {
  const std::string line = progress_line("importing", 12345, 27000, 1.5, 100);
  EXPECT_EQ(line.rfind("importing [", 0), 0U) << line;
  EXPECT_NE(line.find("]  46%  12,345/27,000 rows  8,230 rows/s  ETA 2s"), std::string::npos) << line;
  EXPECT_LE(line.size(), 100U);
  EXPECT_EQ(std::count(line.begin(), line.end(), '#'), 18) << line;  // 46% of a 40-column bar

  const std::string done = progress_line("importing", 27000, 27000, 3.0, 100);
  EXPECT_NE(done.find("100%  27,000/27,000 rows  9,000 rows/s"), std::string::npos) << done;
  EXPECT_EQ(done.find("ETA"), std::string::npos) << done;
  EXPECT_NE(progress_line("x", 0, 0, 0, 80).find("100%  0/0 rows"), std::string::npos);
  EXPECT_NE(progress_line("x", 1, 7200, 1, 80).find("ETA 1h59m"), std::string::npos);
}

TEST(ProgressText, GroupsThousands) {
  EXPECT_EQ(grouped(0), "0");
  EXPECT_EQ(grouped(999), "999");
  EXPECT_EQ(grouped(1000), "1,000");
  EXPECT_EQ(grouped(1234567), "1,234,567");
}

}  // namespace
}  // namespace grayling
