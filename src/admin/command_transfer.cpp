// grayling-admin export and import: a store's rows to and from the portable dump.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>

#include "atomic_file.hpp"
#include "commands.hpp"
#include "grayling/admin/transfer.hpp"

namespace grayling {

int run_export(AdminContext& context, const std::string& output) {
  std::unique_ptr<AtomicFile> file;
  if (output != "-") file = std::make_unique<AtomicFile>(output);  // as the administrator
  std::ostream& out = file ? file->stream() : std::cout;
  RowCounts counts;
  std::string store_name;
  context.with_store(/*create=*/false, [&](Store& store, const std::string& name) {
    counts = export_rows(store, out, std::time(nullptr));
    store_name = name;
  });
  if (file) file->finish();
  fmt::print(stderr, "exported {} triplets and {} auto-whitelisted clients from {}\n", counts.triplets, counts.clients,
             store_name);
  return 0;
}

int run_import(AdminContext& context, const std::string& input, bool dry_run) {
  Dump dump;
  if (input == "-") {
    dump = read_dump(std::cin, "standard input");
  } else {
    std::ifstream in(input);
    if (!in) throw AdminError(fmt::format("cannot read {}: {}", input, std::strerror(errno)));
    dump = read_dump(in, input);
  }
  if (dry_run) {
    fmt::print("{}: {} triplets and {} auto-whitelisted clients, all well-formed; nothing written (--dry-run)\n",
               input == "-" ? "standard input" : input, dump.triplets.size(), dump.clients.size());
    return 0;
  }
  context.with_store(/*create=*/true, [&](Store& store, const std::string& name) {
    const RowCounts counts = import_rows(store, dump);
    AdminContext::let_daemons_hear();
    fmt::print("merged {} triplets and {} auto-whitelisted clients into {}\n", counts.triplets, counts.clients, name);
  });
  return 0;
}

}  // namespace grayling
