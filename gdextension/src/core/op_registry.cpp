#include "core/op_registry.hpp"

#include <algorithm>
#include <map>

namespace lk {

namespace {
struct Entry {
    OpFactory factory;
    const char* doc;
};
// A function-local static: op files register during static initialisation, in any order.
std::map<std::string, Entry>& registry() {
    static std::map<std::string, Entry> r;
    return r;
}
}  // namespace

OpRegistration::OpRegistration(const char* type, OpFactory factory, const char* doc) {
    registry()[type] = Entry{factory, doc};
}

const OpFactory* find_op(const std::string& type) {
    auto it = registry().find(type);
    return it == registry().end() ? nullptr : &it->second.factory;
}

std::vector<std::string> op_types() {
    std::vector<std::string> out;
    for (const auto& kv : registry()) out.push_back(kv.first);
    return out;
}

std::unique_ptr<Op> make_op(const std::string& type, const Attrs& attrs, std::string* err) {
    const OpFactory* f = find_op(type);
    if (!f) {
        std::string known;
        for (const auto& t : op_types()) known += (known.empty() ? "" : ", ") + t;
        if (err) *err = "unknown op type \"" + type + "\": expected one of " + known;
        return nullptr;
    }
    std::string e;
    std::unique_ptr<Op> op = (*f)(attrs, &e);
    if (!op && err) *err = e.empty() ? "invalid " + type + " op" : e;
    return op;
}

}  // namespace lk
