#include "pg_connection.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <charconv>
#include <optional>
#include <random>
#include <unordered_map>

namespace grayling::pg {

namespace {

using SteadyClock = std::chrono::steady_clock;

/// libpq's message without its trailing newline.
std::string message_of(const char* text) {
  std::string message = text ? text : "unknown error";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

}  // namespace

std::int64_t Result::integer(int row, int column) const {
  const std::string_view value = text(row, column);
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (ec != std::errc{} || end != value.data() + value.size()) {
    throw Error(fmt::format("PostgreSQL sent '{}' where a number was expected", value), "", false);
  }
  return number;
}

Connection::Connection(const std::string& conninfo) {
  // Our defaults come first: anything in the administrator's conninfo overrides them
  // (expand_dbname: the dbname value is itself a URI or keyword string, applied in place).
  // A dead peer must show up in seconds, not in the kernel's two hours of TCP retries.
  const char* keywords[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                            "keepalives_count", "tcp_user_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "1", "10", "5", "3", "10000", "grayling", conninfo.c_str(), nullptr};
  conn_ = PQconnectdbParams(keywords, values, 1);
  if (conn_ == nullptr) throw Error("cannot connect to PostgreSQL: out of memory", "", true);
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string message = message_of(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw Error("cannot connect to PostgreSQL: " + message, "", true);
  }
  if (PQsetnonblocking(conn_, 1) != 0) lost("cannot switch the connection to non-blocking mode");
  // Notices ("relation already exists, skipping") are not the administrator's business;
  // libpq would print them on stderr, between our log lines.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  name_prefix_ = fmt::format("grayling_{:08x}_", std::random_device{}());
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

std::string Connection::describe() const {
  if (conn_ == nullptr) return "(not connected)";
  return fmt::format("{}:{}/{}", PQhost(conn_), PQport(conn_), PQdb(conn_));
}

void Connection::lost(const std::string& what) {
  const std::string message = conn_ ? message_of(PQerrorMessage(conn_)) : std::string();
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  throw Error(message.empty() ? what : what + ": " + message, "", true);
}

void Connection::wait(short events, SteadyClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  if (left <= 0) lost("PostgreSQL did not answer in time; dropping the connection");
  pollfd ready{PQsocket(conn_), events, 0};
  const int rc = ::poll(&ready, 1, static_cast<int>(left));
  if (rc == 0) lost("PostgreSQL did not answer in time; dropping the connection");
  if (rc < 0 && errno != EINTR) lost("poll on the PostgreSQL connection failed");
}

PGresult* Connection::next_result(SteadyClock::time_point deadline) {
  while (PQisBusy(conn_)) {
    wait(POLLIN, deadline);
    if (PQconsumeInput(conn_) == 0) lost("lost the connection to PostgreSQL");
  }
  return PQgetResult(conn_);
}

std::vector<Result> Connection::run(const std::vector<Statement>& statements, std::chrono::milliseconds timeout,
                                    Preparation preparation) {
  try {
    return run_once(statements, timeout, preparation);
  } catch (const Error& e) {
    if (e.sqlstate() != kStatementsLost || e.statement() != 0 || PQtransactionStatus(conn_) != PQTRANS_IDLE) throw;
  }
  return run_once(statements, timeout, preparation);  // each statement prepared anew
}

std::vector<Result> Connection::run_once(const std::vector<Statement>& statements, std::chrono::milliseconds timeout,
                                         Preparation preparation) {
  if (!usable()) lost("not connected to PostgreSQL");
  const auto deadline = SteadyClock::now() + timeout;
  if (PQenterPipelineMode(conn_) != 1) lost("cannot enter pipeline mode");
  // The commands sent, in order: a statement, or the preparation of one (its name).
  struct Command {
    std::size_t statement;
    const std::string* prepares = nullptr;
  };
  std::vector<Command> commands;
  commands.reserve(statements.size());
  std::unordered_map<std::string, std::string> preparing;  // in this pipeline, not yet confirmed
  std::vector<const char*> values;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const Statement& statement = statements[i];
    values.clear();
    for (const auto& param : statement.params) values.push_back(param.c_str());
    const int count = static_cast<int>(values.size());
    int sent = 0;
    if (preparation == Preparation::none) {
      sent = PQsendQueryParams(conn_, statement.sql.c_str(), count, nullptr, values.data(), nullptr, nullptr, 0);
    } else {
      // Parsed and planned once per connection, not once per batch: the server's CPU per
      // batch is what two hosts' batches queue for.
      const std::string* name = nullptr;
      if (auto known = prepared_.find(statement.sql); known != prepared_.end()) {
        name = &known->second;
      } else if (auto pending = preparing.find(statement.sql); pending != preparing.end()) {
        name = &pending->second;
      } else {
        name = &preparing.emplace(statement.sql, name_prefix_ + std::to_string(names_used_++)).first->second;
        if (PQsendPrepare(conn_, name->c_str(), statement.sql.c_str(), count, nullptr) != 1) {
          lost("cannot send a statement to PostgreSQL");
        }
        commands.push_back({i, name});
      }
      sent = PQsendQueryPrepared(conn_, name->c_str(), count, values.data(), nullptr, nullptr, 0);
    }
    if (sent != 1) lost("cannot send a statement to PostgreSQL");
    commands.push_back({i});
  }
  if (PQpipelineSync(conn_) != 1) lost("cannot send to PostgreSQL");
  for (int flushed; (flushed = PQflush(conn_)) != 0;) {
    if (flushed < 0) lost("cannot send to PostgreSQL");
    wait(POLLOUT | POLLIN, deadline);
    if (PQconsumeInput(conn_) == 0) lost("lost the connection to PostgreSQL");
  }

  // Each statement's results end with a null; the sync point ends the round trip. After a
  // failure the server skips the rest (PIPELINE_ABORTED) up to the sync: read it all, so
  // the connection stays in step for the ROLLBACK that follows.
  // Owned from the moment they arrive: a connection lost halfway must not leak them.
  using Owned = std::unique_ptr<PGresult, void (*)(PGresult*)>;
  std::vector<Owned> first;
  first.reserve(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) first.emplace_back(nullptr, PQclear);
  std::size_t index = 0;  // of the command whose results are arriving
  std::optional<Error> failure;
  for (;;) {
    Owned result(next_result(deadline), PQclear);
    if (result == nullptr) {
      ++index;
      continue;
    }
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_PIPELINE_SYNC) break;
    if ((status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) && !failure) {
      const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
      failure.emplace(message_of(PQresultErrorMessage(result.get())), state ? state : "", false);
      if (index < commands.size()) failure->set_statement(commands[index].statement);
    }
    if (index >= commands.size()) continue;
    const Command& command = commands[index];
    if (command.prepares != nullptr) {
      // A prepared statement outlives the transaction; one the server skipped does not exist.
      if (status == PGRES_COMMAND_OK) prepared_.emplace(statements[command.statement].sql, *command.prepares);
    } else if (first[command.statement] == nullptr) {
      first[command.statement] = std::move(result);
    }
  }
  PQexitPipelineMode(conn_);
  std::vector<Result> results;
  results.reserve(first.size());
  for (Owned& result : first) results.emplace_back(result.release());
  if (PQstatus(conn_) != CONNECTION_OK) lost("lost the connection to PostgreSQL");
  // The session has lost our statements, all of them as far as we can tell: none is
  // trusted any more (a pooler may even serve the next transaction from yet another one).
  if (failure && failure->sqlstate() == kStatementsLost) prepared_.clear();
  if (failure) throw *failure;
  return results;
}

bool Connection::notified(bool read_socket) {
  if (!usable()) return false;
  if (read_socket && PQconsumeInput(conn_) == 0) lost("lost the connection to PostgreSQL");
  bool any = false;
  while (PGnotify* notification = PQnotifies(conn_)) {
    PQfreemem(notification);
    any = true;
  }
  return any;
}

std::string array_literal(const std::vector<std::int64_t>& values) {
  std::string text = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) text += ',';
    text += std::to_string(values[i]);
  }
  return text + '}';
}

std::string array_literal(const std::vector<bool>& values) {
  std::string text = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) text += ',';
    text += values[i] ? 't' : 'f';
  }
  return text + '}';
}

}  // namespace grayling::pg

namespace grayling::pg {

std::string hex_array_literal(const std::vector<std::string_view>& values) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) text += ',';
    if (values[i].empty()) {
      text += "NULL";
      continue;
    }
    for (const char c : values[i]) {
      const auto byte = static_cast<unsigned char>(c);
      text += kDigits[byte >> 4];
      text += kDigits[byte & 15];
    }
  }
  return text + '}';
}

std::string from_hex(std::string_view hex) {
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw Error(fmt::format("PostgreSQL sent '{}' where hex was expected", c), "", false);
  };
  std::string bytes;
  bytes.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) bytes += static_cast<char>(value(hex[i]) << 4 | value(hex[i + 1]));
  return bytes;
}

bool hex_spells(std::string_view hex, std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (hex.size() != 2 * bytes.size()) return false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (hex[2 * i] != kDigits[byte >> 4] || hex[2 * i + 1] != kDigits[byte & 15]) return false;
  }
  return true;
}

}  // namespace grayling::pg
