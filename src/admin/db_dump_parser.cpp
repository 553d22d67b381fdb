#include "grayling/admin/db_dump_parser.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace grayling {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_header_name(std::string_view name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

}  // namespace

std::string db_dump_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\\') {
      out.push_back('\\');
      ++i;
      continue;
    }
    const int high = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
    if (high < 0 || low < 0) throw DbDumpError("a backslash not followed by two hex digits or a backslash");
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::string db_dump_printable(std::string_view bytes, std::size_t max) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("\\{:02x}", c);
    }
  }
  if (bytes.size() > max) out += "...";
  return out;
}

DbDumpError DbDumpParser::error(std::string_view what) const {
  return DbDumpError(fmt::format("line {}: {}", line_, what));
}

void DbDumpParser::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const std::size_t newline = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, newline);
    if (partial_.size() + piece.size() > kMaxLine) {
      ++line_;
      throw error(fmt::format("longer than {} bytes", kMaxLine));
    }
    if (newline == std::string_view::npos) {
      partial_.append(piece);
      return;
    }
    ++line_;
    if (partial_.empty()) {
      parse_line(piece);  // the common case: the whole line is in this piece, no copy
    } else {
      partial_.append(piece);
      parse_line(partial_);
      partial_.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
}

std::vector<DbDumpDatabase> DbDumpParser::finish() {
  if (!partial_.empty()) {  // a last line without its newline
    ++line_;
    parse_line(partial_);
    partial_.clear();
  }
  if (line_ == 0) throw DbDumpError("the dump is empty");
  if (state_ != State::ended) {
    throw DbDumpError(fmt::format("the dump stops at line {}, before {}: it is truncated", line_,
                                  state_ == State::header ? "HEADER=END" : "DATA=END"));
  }
  return std::move(databases_);
}

void DbDumpParser::parse_line(std::string_view line) {
  switch (state_) {
    case State::version:
    case State::ended:
      // db_dump opens every database's section with the version of its format; 3 since
      // Berkeley DB 3.0, and the only one this reader knows.
      if (line != "VERSION=3") {
        if (line.starts_with("VERSION=")) {
          throw error(fmt::format("format version '{}' is not 3", db_dump_printable(line.substr(8))));
        }
        throw error(state_ == State::ended ? "expected the end, or VERSION=3 for another database"
                                           : "expected VERSION=3");
      }
      databases_.emplace_back();
      format_.clear();
      state_ = State::header;
      return;
    case State::header:
      header_line(line);
      return;
    case State::key:
      if (line == "DATA=END") {
        state_ = State::ended;
        return;
      }
      if (!line.starts_with(' ')) throw error("expected a key (a line starting with a space) or DATA=END");
      try {
        key_ = db_dump_unescape(line.substr(1));
      } catch (const DbDumpError& e) {
        throw error(e.what());
      }
      state_ = State::value;
      return;
    case State::value:
      if (!line.starts_with(' ')) {
        throw error(line == "DATA=END" ? "DATA=END after a key without its value"
                                       : "expected a value (a line starting with a space)");
      }
      try {
        databases_.back().records.push_back({std::move(key_), db_dump_unescape(line.substr(1))});
      } catch (const DbDumpError& e) {
        throw error(e.what());
      }
      ++records_;
      state_ = State::key;
      return;
  }
}

void DbDumpParser::header_line(std::string_view line) {
  DbDumpDatabase& database = databases_.back();
  if (line == "HEADER=END") {
    // Without -p, db_dump prints every byte as hex (format=bytevalue): run it with -p.
    if (format_ != "print") throw error(format_.empty() ? "no format= line in the header" : "format is not print");
    if (database.type.empty()) throw error("no type= line in the header");
    state_ = State::key;
    return;
  }
  const std::size_t equals = line.find('=');
  const std::string_view name = line.substr(0, equals);
  if (equals == std::string_view::npos || !is_header_name(name)) {
    throw error(fmt::format("expected NAME=VALUE or HEADER=END, not '{}'", db_dump_printable(line)));
  }
  const std::string_view value = line.substr(equals + 1);
  if (name == "format") {
    format_ = value;
  } else if (name == "type") {
    database.type = value;
  } else if (name == "database" || name == "subdatabase") {
    try {
      database.name = db_dump_unescape(value);
    } catch (const DbDumpError& e) {
      throw error(e.what());
    }
  }
  // Other settings (db_pagesize, bt_minkey, h_nelem, duplicates, ...) say how the file
  // was built; they do not change what the records mean.
}

std::vector<DbDumpDatabase> parse_db_dump(std::string_view text) {
  DbDumpParser parser;
  parser.feed(text);
  return parser.finish();
}

}  // namespace grayling
