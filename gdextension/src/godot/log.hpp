// Errors and warnings to Godot's output (shown as "ERROR: ..." with the editor's error list notified).
#pragma once
#include <sstream>
#include <string>

namespace lk {

void push_error(const std::string& where, const std::string& message);
void push_warning(const std::string& where, const std::string& message);

// str("row ", 3, " has ", 5, " values"): builds a message from parts.
template <class... Parts> std::string str(const Parts&... parts) {
    std::ostringstream out;
    (out << ... << parts);
    return out.str();
}

}  // namespace lk
