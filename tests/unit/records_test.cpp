// The records a batch works on: what later requests of a batch see, and what gets saved.
#include "grayling/core/records.hpp"

#include <gtest/gtest.h>

namespace grayling {
namespace {

TEST(RecordBatch, WritesAreSeenAtOnceAndSavedOncePerKeyInKeyOrder) {
  Records loaded;
  loaded.triplets["b"] = TripletRecord{1, 1, false};
  loaded.triplets["untouched"] = TripletRecord{5, 5, true};
  RecordBatch batch(loaded);
  batch.put_triplet("c", TripletRecord{2, 2, false});
  batch.put_triplet("b", TripletRecord{1, 3, true});
  batch.put_triplet("c", TripletRecord{2, 4, true});  // the last value wins
  batch.put_client("z", ClientRecord{1, 4});
  batch.put_client("a", ClientRecord{2, 4});

  EXPECT_EQ(*batch.records().triplet("c"), (TripletRecord{2, 4, true}));
  EXPECT_EQ(*batch.records().triplet("untouched"), (TripletRecord{5, 5, true}));
  const Writes writes = batch.writes();
  ASSERT_EQ(writes.triplets.size(), 2U) << "loaded rows nobody wrote are not saved again";
  EXPECT_EQ(writes.triplets[0], (std::pair<std::string_view, TripletRecord>{"b", {1, 3, true}}));
  EXPECT_EQ(writes.triplets[1], (std::pair<std::string_view, TripletRecord>{"c", {2, 4, true}}));
  ASSERT_EQ(writes.clients.size(), 2U);
  EXPECT_EQ(writes.clients[0].first, "a");
  EXPECT_EQ(writes.clients[1].first, "z");
}

TEST(RecordBatch, NothingWrittenIsNothingToSave) {
  EXPECT_TRUE(RecordBatch(Records{}).writes().empty());
}

TEST(RecordKeys, DeduplicateSortsAndDropsRepeats) {
  RecordKeys keys{{"t2", "t1", "t2"}, {"c", "c", "a"}};
  keys.deduplicate();
  EXPECT_EQ(keys.triplets, (std::vector<std::string_view>{"t1", "t2"}));
  EXPECT_EQ(keys.clients, (std::vector<std::string_view>{"a", "c"}));
}

}  // namespace
}  // namespace grayling
