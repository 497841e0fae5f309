#include "godot/log.hpp"

#include "gdx_interface.hpp"

namespace lk {

void push_error(const std::string& where, const std::string& message) {
    const std::string text = "LearnKit." + where + ": " + message;
    gdx::print_error(text.c_str(), where.c_str(), "learnkit", 0, 1);
}

void push_warning(const std::string& where, const std::string& message) {
    const std::string text = "LearnKit." + where + ": " + message;
    gdx::print_warning(text.c_str(), where.c_str(), "learnkit", 0, 1);
}

}  // namespace lk
