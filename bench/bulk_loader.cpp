/// grayling-bulk-load: fills a grayling database with ROWS triplets, fast, for bench/scale.
///
/// Rows go in through the public grayling::SqliteStore API with real triplet keys (from
/// grayling::triplet_key(), named as grayling-bench names them: same --tag, same kind), so
/// the daemon finds them exactly as if they had come through it. Speed comes from big
/// transactions and from inserting in the order of the store's key digests: the table's
/// B-tree is then only ever appended to, never split in the middle.
///
///   grayling-bulk-load --dbdir=DIR --rows=N [--tag=bulk] [--kind=known|new|whitelisted]
///                      [--age=SECONDS] [--pending] [--batch=ROWS]
/// --age sets last_seen that far in the past (first_seen 10 minutes before it); rows are
/// passed unless --pending. Adding to an existing database is fine (same keys are updated).

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "grayling/core/ip_address.hpp"
#include "grayling/store/row_ids.hpp"
#include "grayling/store/sqlite_store.hpp"
#include "grayling/core/triplet_key.hpp"
#include "names.hpp"

namespace {

struct LoadOptions {
  std::string dbdir;
  std::uint64_t rows = 0;
  std::string tag = "bulk";
  bench::Kind kind = bench::Kind::known;
  std::int64_t age = 0;
  bool passed = true;
  std::uint64_t batch = 200000;
};

bool parse(int argc, char** argv, LoadOptions& options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const std::string value = equals == std::string::npos ? "" : arg.substr(equals + 1);
    try {
      if (name == "--dbdir") options.dbdir = value;
      else if (name == "--rows") options.rows = std::stoull(value);
      else if (name == "--tag") options.tag = value;
      else if (name == "--age") options.age = std::stoll(value);
      else if (name == "--pending") options.passed = false;
      else if (name == "--batch") options.batch = std::max<std::uint64_t>(1, std::stoull(value));
      else if (name == "--kind" && value == "known") options.kind = bench::Kind::known;
      else if (name == "--kind" && value == "new") options.kind = bench::Kind::fresh;
      else if (name == "--kind" && value == "whitelisted") options.kind = bench::Kind::whitelisted;
      else return false;
    } catch (const std::exception&) {
      return false;
    }
  }
  return !options.dbdir.empty() && options.rows > 0;
}

std::string key_of(const LoadOptions& options, std::uint64_t index, bench::Triplet& triplet) {
  bench::make_triplet(triplet, options.tag, options.kind, index);
  const auto client = grayling::IpAddress::parse(triplet.client_address);
  return grayling::triplet_key(*client, triplet.sender, triplet.recipient, grayling::KeyRules{});
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  LoadOptions options;
  if (!parse(argc, argv, options)) {
    std::fputs("usage: grayling-bulk-load --dbdir=DIR --rows=N [--tag=bulk] [--kind=known|new|whitelisted] "
               "[--age=SECONDS] [--pending] [--batch=ROWS]\n",
               stderr);
    return 2;
  }
  const auto started = std::chrono::steady_clock::now();
  ::mkdir(options.dbdir.c_str(), 0700);
  const std::string path = options.dbdir + "/grayling.db";

  // Pass 1: every key's digest, then sort, so that pass 2 inserts in B-tree order.
  bench::Triplet triplet;
  std::vector<std::pair<std::int64_t, std::uint32_t>> order;
  order.reserve(options.rows);
  for (std::uint64_t i = 0; i < options.rows; ++i) {
    order.emplace_back(grayling::store_key_digest(key_of(options, i, triplet)), static_cast<std::uint32_t>(i));
  }
  std::sort(order.begin(), order.end());
  std::fprintf(stderr, "keys hashed and sorted in %.1f s\n", seconds_since(started));

  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const grayling::TripletRecord record{now - options.age - 600, now - options.age, options.passed};
  try {
    // Durability per commit is pointless here: a failed load is simply run again.
    grayling::SqliteStore store(path, grayling::SyncMode::normal);
    std::uint64_t done = 0;
    while (done < options.rows) {
      const std::uint64_t end = std::min(options.rows, done + options.batch);
      std::vector<std::string> keys;  // Writes holds views of these
      keys.reserve(end - done);
      for (; done < end; ++done) keys.push_back(key_of(options, order[done].second, triplet));
      grayling::Writes writes;
      for (const auto& key : keys) writes.triplets.emplace_back(key, record);
      store.begin();
      store.save(writes);
      store.commit();
      if (done % (options.batch * 10) == 0 || done == options.rows) {
        std::fprintf(stderr, "%llu rows, %.1f s\n", static_cast<unsigned long long>(done), seconds_since(started));
      }
    }
    std::printf("rows=%llu total=%zu seconds=%.1f\n", static_cast<unsigned long long>(options.rows),
                store.triplet_count(), seconds_since(started));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "grayling-bulk-load: %s\n", e.what());
    return 1;
  }
  return 0;
}
