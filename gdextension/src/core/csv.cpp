#include "core/csv.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace lk {

namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

std::string trimmed(const std::string& s) {
    size_t a = 0, b = s.size();
    while (a < b && blank(s[a])) ++a;
    while (b > a && blank(s[b - 1])) --b;
    return s.substr(a, b - a);
}

}  // namespace

std::string parse_csv(const std::string& text, char delimiter, std::vector<CsvRecord>* out) {
    out->clear();
    size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    size_t line = 1;
    const size_t n = text.size();
    while (i < n) {
        CsvRecord rec;
        rec.line = line;
        bool content = false;  // anything but blanks on the record's lines
        for (;;) {             // one field per iteration
            std::string field;
            size_t j = i;
            while (j < n && blank(text[j])) ++j;
            if (j < n && text[j] == '"') {
                content = true;
                const size_t open_line = line;
                i = j + 1;
                for (;;) {
                    if (i >= n) return "line " + std::to_string(open_line) + ": a quoted field is never closed";
                    if (text[i] == '"') {
                        if (i + 1 < n && text[i + 1] == '"') {
                            field += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        break;
                    }
                    if (text[i] == '\n') ++line;
                    field += text[i++];
                }
                while (i < n && blank(text[i])) ++i;
                if (i < n && text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ++i;
                if (i < n && text[i] != delimiter && text[i] != '\n') {
                    return "line " + std::to_string(line) + ": text after a closing quote (expected the delimiter \"" +
                           std::string(1, delimiter) + "\" or the end of the line)";
                }
            } else {
                while (i < n && text[i] != delimiter && text[i] != '\n') field += text[i++];
                if (!field.empty() && field.back() == '\r') field.pop_back();
                field = trimmed(field);
                content = content || !field.empty();
            }
            rec.fields.push_back(std::move(field));
            if (i < n && text[i] == delimiter) {
                content = true;
                ++i;
                continue;
            }
            break;
        }
        if (i < n && text[i] == '\n') ++i;
        ++line;
        if (content) out->push_back(std::move(rec));
    }
    return "";
}

bool parse_number(const std::string& cell, double* out) {
    std::string t = trimmed(cell);
    if (!t.empty() && t[0] == '+') t.erase(0, 1);  // from_chars takes no leading '+'
    if (t.empty() || !(std::isdigit(static_cast<unsigned char>(t[0])) || t[0] == '-' || t[0] == '.')) return false;
    double v = 0.0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) return false;
    *out = v;
    return true;
}

}  // namespace lk
