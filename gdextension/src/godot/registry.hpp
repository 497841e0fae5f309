// Registering LearnKit's classes with Godot's ClassDB. The generated glue (build/gen/glue/register_classes.cpp)
// calls these with the metadata from codegen/spec/api.yaml; nothing here knows a specific class.
#pragma once
#include <cstdint>
#include <vector>

#include "godot/extension_object.hpp"

namespace lk::reg {

// Godot's PropertyUsageFlags / PropertyHint values we use (core/object/object.h).
constexpr uint32_t USAGE_STORAGE = 2;    // saved by ResourceSaver, copied by Resource.duplicate()
constexpr uint32_t USAGE_EDITOR = 4;     // shown in the inspector
constexpr uint32_t USAGE_DEFAULT = USAGE_STORAGE | USAGE_EDITOR;
constexpr uint32_t USAGE_CLASS_IS_ENUM = 65536;
constexpr uint32_t USAGE_NIL_IS_VARIANT = 131072;
constexpr uint32_t USAGE_READ_ONLY = 268435456;  // greyed out in the inspector
constexpr uint32_t METHOD_FLAG_NORMAL = 1;

struct PropInfo {
    GDExtensionVariantType type = GDEXTENSION_VARIANT_TYPE_NIL;
    const char* name = "";
    const char* class_name = "";  // "LKNetwork", or "LearnKit.ActivationType" for an enum
    uint32_t usage = USAGE_DEFAULT;
    uint32_t hint = 0;            // PropertyHint: 17 resource picker (hint_string: the class), 2 enum drop-down
    const char* hint_string = "";
};

struct MethodDef {
    const char* name;
    GDExtensionClassMethodCall call;
    GDExtensionClassMethodPtrCall ptrcall;
    bool has_return;
    PropInfo ret;
    std::vector<PropInfo> args;
    std::vector<gd::Variant> defaults;  // for the trailing arguments
};

// Godot's own Variant-call checks for argument counts (defaults fill the gap between required and total).
inline bool check_arg_count(GDExtensionInt argc, GDExtensionInt required, GDExtensionInt total,
                            GDExtensionCallError* err) {
    if (argc < required) {
        err->error = GDEXTENSION_CALL_ERROR_TOO_FEW_ARGUMENTS;
        err->expected = int32_t(required);
        return false;
    }
    if (argc > total) {
        err->error = GDEXTENSION_CALL_ERROR_TOO_MANY_ARGUMENTS;
        err->expected = int32_t(total);
        return false;
    }
    return true;
}

void register_class(const char* name, const char* parent, GDExtensionClassCreateInstance2 create,
                    GDExtensionClassFreeInstance free_instance);
void register_method(const char* class_name, const MethodDef& method);
void register_property(const char* class_name, const PropInfo& info, const char* setter, const char* getter);
void register_signal(const char* class_name, const char* signal, const std::vector<PropInfo>& args);
void register_constant(const char* class_name, const char* enum_name, const char* name, int64_t value);
void unregister_class(const char* name);

// create_instance body shared by every class: builds the parent object, attaches the C++ instance.
GDExtensionObjectPtr attach_instance(const char* class_name, const char* parent, ExtensionObject* instance,
                                     bool notify_postinitialize);
void free_instance(void* userdata, GDExtensionClassInstancePtr instance);

}  // namespace lk::reg
