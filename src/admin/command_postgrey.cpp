// grayling-admin import-postgrey: postgrey's greylist and auto-whitelist into grayling's
// store, so that on migration day nobody postgrey already knew is greylisted again.
// Everything is read and checked before anything is written; the write is a merge, so
// running it twice changes nothing, and it works beside a running grayling.
#include <fmt/format.h>

#include <ctime>
#include <map>

#include "commands.hpp"
#include "grayling/admin/db_dump_parser.hpp"
#include "grayling/admin/postgrey_keys.hpp"
#include "grayling/admin/postgrey_reader.hpp"
#include "grayling/admin/progress_text.hpp"
#include "grayling/admin/transfer.hpp"
#include "terminal_progress.hpp"

namespace grayling {

namespace {

constexpr std::size_t kMalformedShown = 10;

void print_summary(const PostgreyState& state, const PostgreyImport& import, std::size_t passed,
                   const std::string& verb) {
  const Dump& rows = import.rows;
  fmt::print("{} {} triplets ({} passed, {} pending) and {} auto-whitelisted clients\n", verb,
             grouped(rows.triplets.size()), grouped(passed), grouped(rows.triplets.size() - passed),
             grouped(rows.clients.size()));
  fmt::print("re-keyed {} triplets and {} auto-whitelisted clients to the keys grayling builds ({} merged with "
             "another row)\n",
             grouped(import.rekeyed_triplets), grouped(import.rekeyed_clients), grouped(import.merged));
  std::map<std::string, std::size_t> reasons;
  for (const auto* skipped : {&state.skipped, &import.skipped}) {
    for (const auto& skip : *skipped) ++reasons[fmt::format("{} ({})", describe(skip.reason), skip.file)];
  }
  const std::size_t skipped = state.skipped.size() + import.skipped.size();
  fmt::print("skipped {}{}\n", grouped(skipped), skipped == 0 ? "" : ":");
  for (const auto& [reason, count] : reasons) fmt::print("  {:>8}  {}\n", grouped(count), reason);
  fmt::print("malformed {}{}\n", grouped(state.malformed.size()), state.malformed.empty() ? "" : ":");
  for (std::size_t i = 0; i < state.malformed.size() && i < kMalformedShown; ++i) {
    fmt::print("  {}\n", state.malformed[i]);
  }
  if (state.malformed.size() > kMalformedShown) {
    fmt::print("  ... and {} more\n", grouped(state.malformed.size() - kMalformedShown));
  }
}

}  // namespace

int run_import_postgrey(AdminContext& context, const std::string& dbdir, bool dry_run) {
  const PolicyEngine& engine = context.key_engine();
  const EpochSeconds now = std::time(nullptr);
  if (postgrey_running(dbdir)) {
    fmt::print(stderr,
               "grayling-admin: warning: postgrey is running on {}: its greylist is still changing. Stop it "
               "(systemctl stop postgrey) and import again for the last of it; importing twice is safe.\n",
               dbdir);
  }
  // Rows grayling's expiry would delete at once stay behind; postgrey's own rule decides
  // which triplets passed, by grayling's --delay.
  PostgreyRules rules;
  rules.now = now;
  rules.delay = engine.settings().delay;
  rules.expiry = engine.expiry_cutoffs(now);
  PostgreyState state;
  {
    TerminalProgress reading("reading");
    PostgreyReadOptions options;
    options.progress = [&](std::string_view, std::size_t records) { reading.update(records, records); };
    state = read_postgrey_dbdir(dbdir, rules, options);
  }
  // Filed under the keys grayling builds; what it would never look up is left out, and
  // the administrator told what of postgrey's key settings differed.
  const PostgreyImport import = grayling_rows(state, engine);
  for (const auto& warning : postgrey_warnings(import, engine.settings())) {
    fmt::print(stderr, "grayling-admin: warning: {}\n", warning);
  }
  const Dump& rows = import.rows;
  std::size_t passed = 0;
  for (const auto& row : rows.triplets) passed += row.record.passed;
  if (dry_run) {
    print_summary(state, import, passed, "would import");
    fmt::print("nothing written (--dry-run)\n");
    return 0;
  }
  context.with_store(/*create=*/true, [&](Store& store, const std::string& name) {
    {
      TerminalProgress writing("importing");
      import_rows(store, rows, 1000, [&](std::size_t done, std::size_t total) { writing.update(done, total); });
    }
    AdminContext::let_daemons_hear();
    print_summary(state, import, passed, "imported");
    fmt::print("into {}\n", name);
  });
  return 0;
}

}  // namespace grayling
