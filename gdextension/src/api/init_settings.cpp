#include "api/init_settings.hpp"

#include <cmath>

#include "api/catalogue_names.hpp"
#include "core/init_attrs.hpp"
#include "core/f32.hpp"
#include "godot/log.hpp"

namespace lk::api {
namespace {

std::string options_text(const InitParamInfo& p) {
    std::string out;
    for (int o = 0; o < p.option_count; ++o) {
        if (o) out += o + 1 == p.option_count ? " or " : ", ";
        out += "\"" + std::string(p.options[o]) + "\"";
    }
    return out;
}

// Sets parameter `key` of s from v; "" or why not.
std::string set_param(InitSpec* s, const std::string& key, const gd::Variant& v) {
    const InitParamsInfo& info = init_params_info(s->init);
    const char* name = init_info(s->init).name;
    for (int k = 0; k < info.count; ++k) {
        const InitParamInfo& p = info.params[k];
        if (key != p.name) continue;
        if (p.option_count) {
            const std::string o = v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? v.as_string().utf8() : "";
            for (int i = 0; i < p.option_count; ++i) {
                if (o == p.options[i]) {
                    s->p[k] = i;
                    return "";
                }
            }
            return str("initializer ", name, ": ", key, " is ", v.describe(), ": expected ", options_text(p));
        }
        const double d = v.is_number() ? v.as_double() : NAN;
        if (!std::isfinite(d) || !fits_f32(d)) {
            return str("initializer ", name, ": ", key, " is ", v.describe(), ": expected a finite number");
        }
        s->p[k] = d;
        return "";
    }
    return str("\"", key, "\" is not a parameter of initializer ", name, ": expected ", init_param_list(s->init));
}

}  // namespace

std::string init_param_list(Init init) {
    const InitParamsInfo& info = init_params_info(init);
    if (info.count == 0) return "no parameters";
    std::string out;
    for (int k = 0; k < info.count; ++k) {
        const InitParamInfo& p = info.params[k];
        out += (k ? ", " : "") + std::string(p.name) + (p.option_count ? " (" + options_text(p) + ")" : " (a number)");
    }
    return out;
}

std::string init_from_variant(const gd::Variant& v, InitSpec* out) {
    const std::string expected = "expected an initializer name (" + init_names() +
                                 "), a WeightInitialization value or a Dictionary {\"name\": ..., parameters}";
    Init init;
    gd::Dictionary params;
    const GDExtensionVariantType type = v.get_type();
    if (type == GDEXTENSION_VARIANT_TYPE_STRING || type == GDEXTENSION_VARIANT_TYPE_STRING_NAME) {
        const std::string name = type == GDEXTENSION_VARIANT_TYPE_STRING ? v.as_string().utf8() : v.describe();
        if (!init_from_name(name, &init)) return str("unknown initializer \"", name, "\": ", expected);
    } else if (type == GDEXTENSION_VARIANT_TYPE_INT) {
        const int64_t i = v.as_int();
        if (i < 0 || i >= INIT_COUNT) return str("init is ", i, ": ", expected);
        init = Init(i);
    } else if (type == GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
        params = v.as_dictionary();
        gd::Variant name;
        if (!params.lookup(gd::Variant("name"), &name) || name.get_type() != GDEXTENSION_VARIANT_TYPE_STRING ||
            !init_from_name(name.as_string().utf8(), &init)) {
            return str("init ", v.describe(), " has no valid \"name\": ", expected);
        }
    } else {
        return str("init is ", v.describe(), ": ", expected);
    }
    InitSpec s = init_defaults(init);
    gd::Array keys = params.keys();
    for (int64_t i = 0; i < keys.size(); ++i) {
        const gd::Variant& key = keys[i];
        const bool text = key.get_type() == GDEXTENSION_VARIANT_TYPE_STRING;
        const std::string k = text ? key.as_string().utf8() : key.describe();
        if (k == "name") continue;
        gd::Variant value;
        params.lookup(key, &value);
        if (std::string e = set_param(&s, k, value); !e.empty()) return e;
    }
    if (std::string e = init_check(s); !e.empty()) {
        return str("initializer ", init_info(init).name, " with ", init_param_values(s), ": ", e);
    }
    *out = s;
    return "";
}

}  // namespace lk::api
