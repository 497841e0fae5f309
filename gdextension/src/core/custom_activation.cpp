#include "core/custom_activation.hpp"

#include <cmath>
#include <cstdio>
#include <mutex>
#include <algorithm>

#include "kernels/custom_act.hpp"
#include "kernels/kernel_slots.hpp"

namespace lk {
namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::mutex g_mutex;
// Every definition ever registered, by id. Never shrinks, entries never change: pointers and kernel ids handed
// out stay valid for the life of the process, after a replacement or an unregistration too.
std::vector<std::unique_ptr<CustomActivation>>& registry() {
    static std::vector<std::unique_ptr<CustomActivation>> r;
    return r;
}
// The registered names' current definitions (ids into registry()), in registration order.
std::vector<uint32_t>& current() {
    static std::vector<uint32_t> c;
    return c;
}

// Index into current() of a name, or -1. Under g_mutex.
int64_t current_index(const std::string& name) {
    for (size_t i = 0; i < current().size(); ++i) {
        if (registry()[current()[i]]->name == name) return int64_t(i);
    }
    return -1;
}

std::string builtin_clash(const std::string& name) {
    Activation builtin;
    if (!activation_from_name(name, &builtin)) return "";
    const std::string canonical = activation_info(builtin).name;
    return "name " + quoted(name) + " is a built-in activation" +
           (name == canonical ? std::string() : " (an alias of " + canonical + ")");
}

bool snake_case(const std::string& s) {
    if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    for (char c : s) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

bool reserved(const std::string& s) {
    if (s == "x" || s == "y" || s.rfind("lk_", 0) == 0) return true;
    for (const char* w : custom_gen::RESERVED) {
        if (s == w) return true;
    }
    return false;
}

void replace_all(std::string* s, const std::string& from, const std::string& to) {
    for (size_t p = s->find(from); p != std::string::npos; p = s->find(from, p + to.size())) {
        s->replace(p, from.size(), to);
    }
}

// A family's kernel with the expressions and parameter names spliced into the generator's placeholders.
std::string splice(const char* tmpl, const CustomActivation& a) {
    std::string s = tmpl;
    replace_all(&s, custom_gen::FORWARD_PLACEHOLDER, a.forward_program.glsl);
    replace_all(&s, custom_gen::DERIVATIVE_PLACEHOLDER, a.derivative_program.glsl);
    for (int k = 0; k < custom_gen::PARAM_SLOTS; ++k) {
        char placeholder[32];
        std::snprintf(placeholder, sizeof placeholder, custom_gen::PARAM_PLACEHOLDER_FORMAT, k);
        replace_all(&s, placeholder, "lkp_" + std::to_string(k));
    }
    replace_all(&s, "_custom`", "_custom` (" + a.name + ")");
    return s;
}

const CustomActivation* by_id(uint32_t id) {
    std::lock_guard<std::mutex> lock(g_mutex);
    return id < registry().size() ? registry()[id].get() : nullptr;
}

}  // namespace

std::string register_custom_activation(const std::string& name, const std::string& forward,
                                       const std::string& derivative,
                                       const std::vector<std::pair<std::string, double>>& params, bool replace) {
    if (!snake_case(name)) {
        return "name " + quoted(name) + ": expected a snake_case name (a-z, 0-9, _; starting with a letter; at most "
               "64 characters)";
    }
    if (std::string clash = builtin_clash(name); !clash.empty()) return clash + ": pick another name";
    auto a = std::make_unique<CustomActivation>();
    a->name = name;
    a->forward = forward;
    a->derivative = derivative;
    if (params.size() > size_t(ACT_PARAM_SLOTS)) {
        return "params of " + quoted(name) + ": " + std::to_string(params.size()) + " parameters, expected at most " +
               std::to_string(ACT_PARAM_SLOTS) + " (the kernels' parameter slots)";
    }
    for (size_t k = 0; k < params.size(); ++k) {
        const std::string& p = params[k].first;
        if (!snake_case(p) || reserved(p)) {
            return "bad parameter name " + quoted(p) + " of " + quoted(name) +
                   ": expected snake_case, not x, y, lk_* or a word GLSL or C++ reserve";
        }
        const double v = params[k].second;
        if (!std::isfinite(v) || std::fabs(v) > 1e30) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%g", v);
            return "parameter " + quoted(p) + " of " + quoted(name) + " is " + buf +
                   ": expected a finite number in [-1e30, 1e30]";
        }
        a->param_names.push_back(p);
        a->defaults.p[k] = float(v);
    }
    std::string err;
    if (!expr::compile(forward, {"x"}, a->param_names, &a->forward_program, &err)) {
        return "forward of " + quoted(name) + ": " + err;
    }
    if (!expr::compile(derivative, {"x", "y"}, a->param_names, &a->derivative_program, &err)) {
        return "derivative of " + quoted(name) + ": " + err;
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    const int64_t at = current_index(name);
    if (at >= 0 && !replace) {
        return "name " + quoted(name) + " is already registered (pass replace = true to replace it, or "
               "unregister_activation() it first)";
    }
    if (registry().size() >= kMaxCustomActivations) {
        return "too many custom activation registrations in this process (at most " +
               std::to_string(kMaxCustomActivations) + ", replacements included)";
    }
    a->id = uint32_t(registry().size());
    a->version = 1;  // counts every registration of the name, so (name, version) names one definition
    for (const auto& r : registry()) a->version += r->name == name ? 1 : 0;
    a->glsl_forward = splice(custom_gen::ACT_FORWARD_GLSL, *a);
    a->glsl_backward = splice(custom_gen::ACT_BACKWARD_GLSL, *a);
    if (at >= 0) {
        current()[size_t(at)] = a->id;  // the old definition stays in registry() for the networks that use it
    } else {
        current().push_back(a->id);
    }
    registry().push_back(std::move(a));
    return "";
}

std::string unregister_custom_activation(const std::string& name) {
    if (std::string clash = builtin_clash(name); !clash.empty()) {
        return clash + ": only custom activations can be unregistered";
    }
    std::lock_guard<std::mutex> lock(g_mutex);
    const int64_t at = current_index(name);
    if (at < 0) {
        std::string known;
        for (uint32_t id : current()) known += (known.empty() ? "" : ", ") + quoted(registry()[id]->name);
        return "no custom activation named " + quoted(name) + " is registered (registered: " +
               (known.empty() ? std::string("none") : known) + ")";
    }
    current().erase(current().begin() + at);
    return "";
}

const CustomActivation* find_custom_activation(const std::string& name) {
    std::lock_guard<std::mutex> lock(g_mutex);
    const int64_t at = current_index(name);
    return at < 0 ? nullptr : registry()[current()[size_t(at)]].get();
}

std::vector<std::string> custom_activation_names() {
    std::lock_guard<std::mutex> lock(g_mutex);
    std::vector<std::string> names;
    for (uint32_t id : current()) names.push_back(registry()[id]->name);
    return names;
}

std::vector<Kernel> custom_activation_kernels() {
    std::lock_guard<std::mutex> lock(g_mutex);
    std::vector<Kernel> kernels;
    for (uint32_t id : current()) {
        kernels.push_back(custom_kernel(id, false));
        kernels.push_back(custom_kernel(id, true));
    }
    return kernels;
}

void run_custom_cpu(const KernelCall& call, float* arena) {
    const uint32_t rel = uint32_t(call.kernel) - kCustomKernelBase;
    const CustomActivation* a = by_id(rel / 2);
    if (!a) return;  // unreachable: ids come from registered entries only
    const Push& push = call.push;
    if (rel % 2 == 0) {
        namespace s = slot::act_forward;
        const float* x = arena + push.u[s::X_OFF];
        expr::evaluate(a->forward_program, &x, 1, &push.f[s::ACT_P0], arena + push.u[s::Y_OFF], push.u[s::COUNT]);
        return;
    }
    namespace s = slot::act_backward;
    const float* g = arena + push.u[s::G_OFF];
    const float* z = arena + push.u[s::Z_OFF];
    const float* y = arena + push.u[s::Y_OFF];
    float* out = arena + push.u[s::OUT_OFF];
    const bool accumulate = push.u[s::ACCUMULATE] != 0;
    const uint32_t count = push.u[s::COUNT];
    float d[expr::kBlock];
    for (uint32_t start = 0; start < count; start += expr::kBlock) {
        const uint32_t n = std::min(expr::kBlock, count - start);
        const float* blocks[2] = {z + start, y + start};
        expr::evaluate(a->derivative_program, blocks, 2, &push.f[s::ACT_P0], d, n);
        float* o = out + start;
        const float* gg = g + start;
        if (accumulate) {
            for (uint32_t i = 0; i < n; ++i) o[i] += gg[i] * d[i];
        } else {
            for (uint32_t i = 0; i < n; ++i) o[i] = gg[i] * d[i];
        }
    }
}

bool custom_kernel_source(Kernel kernel, std::string* glsl, std::string* name) {
    if (!is_custom_kernel(kernel)) return false;
    const uint32_t rel = uint32_t(kernel) - kCustomKernelBase;
    const CustomActivation* a = by_id(rel / 2);
    if (!a) return false;
    *glsl = rel % 2 ? a->glsl_backward : a->glsl_forward;
    *name = (rel % 2 ? "act_backward_custom (" : "act_forward_custom (") + a->name +
            (a->version > 1 ? " v" + std::to_string(a->version) : std::string()) + ")";
    return true;
}

}  // namespace lk
