// grayling-admin stats' report: the same figures as text for a person and JSON for a script.
#include "grayling/admin/stats_report.hpp"

#include <gtest/gtest.h>

namespace grayling {
namespace {

TEST(StatsReport, TextNamesEveryFigure) {
  StoreStats stats{.pending = 3, .passed = 7, .clients = 2, .oldest = 1796169600, .due_for_expiry = 4, .bytes = 1536};
  EXPECT_EQ(stats_text(stats, "sqlite:/var/lib/grayling/grayling.db", 1796169600 + 3 * 86400 + 5),
            "store           sqlite:/var/lib/grayling/grayling.db\n"
            "triplets        10 (7 passed, 3 pending)\n"
            "auto-whitelist  2 clients\n"
            "oldest triplet  first seen 2026-12-02 00:00:00 UTC (3 days ago)\n"
            "due for expiry  4 rows\n"
            "size            1.5 KiB\n");
}

TEST(StatsReport, AnEmptyStoreHasNoOldestRowAndJsonSaysNull) {
  const StoreStats empty{};
  EXPECT_EQ(stats_text(empty, "memory:", 0).find("oldest"), std::string::npos);
  EXPECT_EQ(stats_json(empty, "memory:"),
            R"({"store":"memory:","triplets":0,"passed":0,"pending":0,"clients":0,"oldest_first_seen":null,)"
            R"("due_for_expiry":0,"bytes":null})");
  StoreStats some{.pending = 1, .passed = 2, .clients = 3, .oldest = 5, .due_for_expiry = 1, .bytes = 8192};
  EXPECT_EQ(stats_json(some, "postgresql://g@db/g"),
            R"({"store":"postgresql://g@db/g","triplets":3,"passed":2,"pending":1,"clients":3,"oldest_first_seen":5,)"
            R"("due_for_expiry":1,"bytes":8192})");
}

}  // namespace
}  // namespace grayling
