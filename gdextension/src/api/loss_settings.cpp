#include "api/loss_settings.hpp"

#include <cmath>

#include "core/f32.hpp"
#include "godot/log.hpp"
#include "kernels/param_checks.hpp"

namespace lk::api {
namespace {

// "delta, reduction" for huber; "reduction" for mse.
std::string setting_names(const LossInfo& info) {
    std::string names;
    for (int k = 0; k < info.param_count; ++k) names += std::string(info.param_names[k]) + ", ";
    return names + "reduction (\"mean\" or \"sum\")";
}

}  // namespace

std::string loss_setup(Loss loss, const gd::Dictionary& settings, LossSetup* out) {
    LossSetup setup(loss);
    const LossInfo& info = loss_info(loss);
    gd::Array keys = settings.keys();
    for (int64_t i = 0; i < keys.size(); ++i) {
        const gd::Variant& key = keys[i];
        const std::string k = key.get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? key.as_string().utf8() : "";
        gd::Variant v;
        settings.lookup(key, &v);
        if (k == "reduction") {
            const std::string r = v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? v.as_string().utf8() : "";
            if (r != "mean" && r != "sum") return str("loss_settings reduction is ", v.describe(), ": expected \"mean\" or \"sum\"");
            setup.sum = r == "sum";
            continue;
        }
        int slot = -1;
        for (int p = 0; p < info.param_count; ++p) {
            if (k == info.param_names[p]) slot = p;
        }
        if (slot < 0) {
            return str("\"", key.describe(), "\" is not a setting of loss ", info.name, ": expected ",
                       setting_names(info));
        }
        double d = NAN;
        if (v.get_type() == GDEXTENSION_VARIANT_TYPE_BOOL) {
            d = v.as_bool() ? 1.0 : 0.0;  // flags (poisson_nll's log_input) are 0.0 / 1.0 in the kernel
        } else if (v.is_number()) {
            d = v.as_double();
        }
        if (!std::isfinite(d) || !fits_f32(d)) return str(info.name, " setting ", k, " is ", v.describe(), ": expected a finite number");
        setup.params.p[slot] = to_f32(d);
    }
    if (std::string rule = loss_check(loss, setup.params.p); !rule.empty()) return rule;
    *out = setup;
    return "";
}

}  // namespace lk::api
