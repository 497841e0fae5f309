// An op's settings as named values (dense: units; dropout: p; batch_norm: eps, momentum, affine): what the op
// registry builds an op from, and what model files and get_layers() store. Numbers and strings only, so every
// file format and Godot's Dictionary can carry them unchanged.
#pragma once
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace lk {

struct AttrValue {
    bool is_string = false;
    double number = 0.0;
    std::string text;
};

class Attrs {
public:
    Attrs& set(const std::string& key, double v) {
        AttrValue a;
        a.number = v;
        put(key, a);
        return *this;
    }
    Attrs& set(const std::string& key, const std::string& v) {
        AttrValue a;
        a.is_string = true;
        a.text = v;
        put(key, a);
        return *this;
    }
    const AttrValue* find(const std::string& key) const {
        for (const auto& kv : items_) {
            if (kv.first == key) return &kv.second;
        }
        return nullptr;
    }
    const std::vector<std::pair<std::string, AttrValue>>& items() const { return items_; }

private:
    void put(const std::string& key, const AttrValue& v) {
        for (auto& kv : items_) {
            if (kv.first == key) {
                kv.second = v;
                return;
            }
        }
        items_.emplace_back(key, v);
    }
    std::vector<std::pair<std::string, AttrValue>> items_;
};

// Reads attributes for an op factory, collecting the first problem as a message that names the op type and key.
// Unknown keys are errors too (a typo must not silently fall back to a default): call finish() last.
class AttrReader {
public:
    AttrReader(const char* op_type, const Attrs& attrs) : type_(op_type), attrs_(attrs) {}

    // A finite number in [lo, hi]; absent -> def. integral: must be a whole number.
    double number(const std::string& key, double def, double lo, double hi, bool integral = false) {
        used_.push_back(key);
        const AttrValue* v = attrs_.find(key);
        if (!v) return def;
        if (v->is_string || !std::isfinite(v->number) || v->number < lo || v->number > hi ||
            (integral && v->number != std::floor(v->number))) {
            fail("\"" + key + "\" is " + (v->is_string ? "\"" + v->text + "\"" : num(v->number)) + ": expected " +
                 (integral ? "a whole number" : "a number") + " in [" + num(lo) + ", " + num(hi) + "]");
            return def;
        }
        return v->number;
    }
    std::string text(const std::string& key, const std::string& def) {
        used_.push_back(key);
        const AttrValue* v = attrs_.find(key);
        if (!v) return def;
        if (!v->is_string) {
            fail("\"" + key + "\" is " + num(v->number) + ": expected a string");
            return def;
        }
        return v->text;
    }
    bool flag(const std::string& key, bool def) { return number(key, def ? 1.0 : 0.0, 0.0, 1.0, true) != 0.0; }
    void fail(const std::string& message) {
        if (error_.empty()) error_ = std::string(type_) + ": " + message;
    }
    // "" when every key was valid and known.
    std::string finish() {
        for (const auto& kv : attrs_.items()) {
            bool known = false;
            for (const auto& u : used_) known = known || u == kv.first;
            if (!known) fail("unknown setting \"" + kv.first + "\"");
        }
        return error_;
    }

private:
    static std::string num(double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", v);
        return buf;
    }
    const char* type_;
    const Attrs& attrs_;
    std::vector<std::string> used_;
    std::string error_;
};

}  // namespace lk
