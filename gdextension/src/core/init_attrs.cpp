#include "core/init_attrs.hpp"

#include <cstdio>

namespace lk {
namespace {

std::string init_names() {
    std::string out;
    for (int i = 0; i < INIT_COUNT; ++i) out += std::string(i ? ", " : "") + init_info(Init(i)).name;
    return out;
}

std::string options(const InitParamInfo& p) {
    std::string out;
    for (int o = 0; o < p.option_count; ++o) out += std::string(o ? ", " : "") + p.options[o];
    return out;
}

}  // namespace

bool init_from_attrs(AttrReader& r, const Attrs& attrs, InitSpec* out) {
    if (!attrs.find("init")) return false;
    const std::string name = r.text("init", "");
    Init init;
    if (!init_from_name(name, &init)) {
        r.fail("\"init\" is \"" + name + "\": expected an initializer name (" + init_names() + ")");
        return false;
    }
    InitSpec s = init_defaults(init);
    const InitParamsInfo& info = init_params_info(init);
    for (int k = 0; k < info.count; ++k) {
        const InitParamInfo& p = info.params[k];
        const std::string key = std::string("init_") + p.name;
        if (!p.option_count) {
            s.p[k] = r.number(key, s.p[k], -1e30, 1e30);
            continue;
        }
        const std::string option = r.text(key, p.options[int(s.p[k])]);
        int found = -1;
        for (int o = 0; o < p.option_count; ++o) {
            if (option == p.options[o]) found = o;
        }
        if (found < 0) {
            r.fail("\"" + key + "\" is \"" + option + "\": expected one of " + options(p));
            return false;
        }
        s.p[k] = found;
    }
    if (std::string rule = init_check(s); !rule.empty()) {
        r.fail("initializer " + name + " with " + init_param_values(s) + ": " + rule);
        return false;
    }
    *out = s;
    return true;
}

void init_to_attrs(const InitSpec& s, Attrs* attrs) {
    attrs->set("init", std::string(init_info(s.init).name));
    const InitParamsInfo& info = init_params_info(s.init);
    for (int k = 0; k < info.count; ++k) {
        const InitParamInfo& p = info.params[k];
        const std::string key = std::string("init_") + p.name;
        if (p.option_count) {
            attrs->set(key, std::string(p.options[int(s.p[k])]));
        } else {
            attrs->set(key, s.p[k]);
        }
    }
}

std::string init_param_values(const InitSpec& s) {
    const InitParamsInfo& info = init_params_info(s.init);
    std::string out;
    for (int k = 0; k < info.count; ++k) {
        const InitParamInfo& p = info.params[k];
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", s.p[k]);
        out += (k ? ", " : "") + std::string(p.name) + " = " + (p.option_count ? p.options[int(s.p[k])] : buf);
    }
    return out;
}

}  // namespace lk
