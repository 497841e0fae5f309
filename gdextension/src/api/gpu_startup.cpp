#include "api/gpu_startup.hpp"

#include <vector>

#include "gd_classes.hpp"
#include "godot/log.hpp"
#include "gpu/rd_device.hpp"
#include "gpu/warm_up.hpp"

namespace lk::api {
namespace {

constexpr const char* kSetting = "learnkit/gpu/prepare_at_startup";
constexpr const char* kChoices = "off,device,common,all";
std::string g_prepared;  // written once at initialisation, before any other thread of ours exists

// Godot's Variant::Type::STRING and PropertyHint::PROPERTY_HINT_ENUM (core/variant/variant.h, core/object/object.h).
constexpr int64_t kTypeString = 4;
constexpr int64_t kHintEnum = 2;

void register_setting(gd::ProjectSettings& settings) {
    const gd::String name(kSetting);
    if (!settings.has_setting(name)) settings.set_setting(name, gd::Variant(std::string("off")));
    settings.set_initial_value(name, gd::Variant(std::string("off")));
    gd::Dictionary info;
    info[gd::Variant("name")] = gd::Variant(std::string(kSetting));
    info[gd::Variant("type")] = gd::Variant(kTypeString);
    info[gd::Variant("hint")] = gd::Variant(kHintEnum);
    info[gd::Variant("hint_string")] = gd::Variant(std::string(kChoices));
    settings.add_property_info(info);
    settings.set_as_basic(name, true);
}

}  // namespace

void apply_gpu_startup_setting() {
    gd::ProjectSettings settings = gd::ProjectSettings::singleton();
    if (!settings) return;
    register_setting(settings);
    if (gd::Engine::singleton().is_editor_hint()) return;  // the editor itself never trains
    const gd::Variant value = settings.get_setting(gd::String(kSetting), gd::Variant(std::string("off")));
    const bool text = value.get_type() == GDEXTENSION_VARIANT_TYPE_STRING;
    const std::string choice = text ? value.as_string().utf8() : std::string();
    if (choice == "off") return;
    std::vector<Kernel> kernels;
    if (!text || (choice != "device" && !warm_up_kernels(choice, &kernels))) {
        const std::string shown = text ? "\"" + choice + "\"" : value.describe() + " (not a String)";
        push_error("startup", str("project setting ", kSetting, " is ", shown,
                                  ": expected one of \"off\", \"device\", \"common\" or \"all\"; nothing was prepared"));
        return;
    }
    std::string reason;
    if (!gpu_device(&reason)) {  // blocks for the device's creation: the point of doing it here
        push_warning("startup", str("project setting ", kSetting, " is \"", choice,
                                    "\" but there is no GPU device (", reason, "); LearnKit will use the CPU"));
        return;
    }
    g_prepared = choice;
    if (!kernels.empty()) {
        start_warm_up(std::move(kernels), [](bool ok, const std::string& message, double) {
            if (!ok) push_error("startup", str("the GPU warm-up of ", kSetting, " failed: ", message));
        });
    }
}

std::string gpu_prepared_at_startup() { return g_prepared; }

}  // namespace lk::api
