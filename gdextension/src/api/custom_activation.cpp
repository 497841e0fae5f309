// LearnKit.register_activation, unregister_activation and get_custom_activations: argument conversion and
// errors; the checking, compiling and the (versioned) registry are core/custom_activation.cpp's.
#include "api/custom_activation.hpp"

#include <utility>
#include <vector>

#include "api/convert.hpp"
#include "api/learnkit.hpp"
#include "core/custom_activation.hpp"
#include "godot/log.hpp"

namespace lk::api {

std::string custom_names_hint() {
    const std::vector<std::string> names = custom_activation_names();
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i ? ", \"" : "; custom: \"") + names[i] + "\"";
    return out;
}

int64_t LearnKit::register_activation(const gd::String& name, const gd::String& forward, const gd::String& derivative,
                                      const gd::Dictionary& params, bool replace) {
    std::vector<std::pair<std::string, double>> p;
    gd::Array keys = params.keys();
    for (int64_t i = 0; i < keys.size(); ++i) {
        const gd::Variant& key = keys[i];
        gd::Variant v;
        params.lookup(key, &v);
        if (key.get_type() != GDEXTENSION_VARIANT_TYPE_STRING) {
            push_error("register_activation", str("params key ", key.describe(), " of \"", name.utf8(),
                                                  "\" is not a String: expected parameter name -> default value"));
            return gd::ERR_INVALID_PARAMETER;
        }
        if (v.get_type() == GDEXTENSION_VARIANT_TYPE_BOOL || !v.is_number()) {
            push_error("register_activation", str("parameter \"", key.as_string().utf8(), "\" of \"", name.utf8(),
                                                  "\" is ", v.describe(), ": expected a number (its default)"));
            return gd::ERR_INVALID_PARAMETER;
        }
        p.emplace_back(key.as_string().utf8(), v.as_double());
    }
    const std::string err = register_custom_activation(name.utf8(), forward.utf8(), derivative.utf8(), p, replace);
    if (!err.empty()) {
        push_error("register_activation", err);
        return gd::ERR_INVALID_PARAMETER;
    }
    return gd::OK;
}

int64_t LearnKit::unregister_activation(const gd::Variant& name) {
    // A Variant, so that a wrong type is this function's clear error rather than a script error at the call.
    const GDExtensionVariantType type = name.get_type();
    if (type != GDEXTENSION_VARIANT_TYPE_STRING && type != GDEXTENSION_VARIANT_TYPE_STRING_NAME) {
        push_error("unregister_activation", str("name is ", name.describe(),
                                                ": expected a String (a custom activation's name)"));
        return gd::ERR_INVALID_PARAMETER;
    }
    const std::string n = name.as_string().utf8();
    if (const std::string err = unregister_custom_activation(n); !err.empty()) {
        push_error("unregister_activation", err);
        Activation builtin;  // a built-in name is a wrong argument; a custom one not registered does not exist
        return activation_from_name(n, &builtin) ? gd::ERR_INVALID_PARAMETER : gd::ERR_DOES_NOT_EXIST;
    }
    return gd::OK;
}

gd::Array LearnKit::get_custom_activations() {
    gd::Array out;
    for (const std::string& n : custom_activation_names()) {
        const CustomActivation* a = find_custom_activation(n);
        if (!a) continue;  // unregistered by another thread since the names were read
        gd::Dictionary d, params;
        for (size_t k = 0; k < a->param_names.size(); ++k) {
            params[gd::Variant(a->param_names[k])] = gd::Variant(double(a->defaults.p[k]));
        }
        d[gd::Variant("name")] = gd::Variant(a->name);
        d[gd::Variant("forward")] = gd::Variant(a->forward);
        d[gd::Variant("derivative")] = gd::Variant(a->derivative);
        d[gd::Variant("params")] = gd::Variant(params);
        d[gd::Variant("version")] = gd::Variant(int64_t(a->version));
        out.push_back(gd::Variant(d));
    }
    return out;
}

}  // namespace lk::api
