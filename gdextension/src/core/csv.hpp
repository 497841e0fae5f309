// CSV text into fields (RFC 4180: quoted fields may hold the delimiter, line breaks and "" for a quote), and
// numbers out of cells. Godot-free; api/csv_loader.cpp reads the file and builds the data set.
#pragma once
#include <string>
#include <vector>

namespace lk {

struct CsvRecord {
    std::vector<std::string> fields;
    size_t line = 0;  // 1-based line of the file where the record starts (for error messages)
};

// Splits text into records. LF and CRLF line ends; a UTF-8 byte-order mark is skipped; empty lines (nothing, or
// only spaces and tabs) are skipped. Unquoted fields are trimmed of spaces and tabs. Empty string, or the error
// (an unterminated quote, text after a closing quote) with its line.
std::string parse_csv(const std::string& text, char delimiter, std::vector<CsvRecord>* out);

// A cell as a finite double: optional spaces around a decimal or exponent number ("1", "-2.5e3", ".5", "+3").
// false for anything else (empty, "abc", "1,5", "nan", "inf", a value beyond double).
bool parse_number(const std::string& cell, double* out);

}  // namespace lk
