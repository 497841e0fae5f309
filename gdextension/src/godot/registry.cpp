#include "godot/registry.hpp"

#include <deque>

#include "godot/log.hpp"

namespace lk::reg {

namespace {
// GDExtensionPropertyInfo points at StringName/String objects that must live through the registration call;
// the engine copies them (memo section 3, "Properties"; registration "copies its inputs").
struct InfoHolder {
    std::deque<gd::StringName> names;
    std::deque<gd::String> strings;
    GDExtensionPropertyInfo make(const PropInfo& p) {
        names.emplace_back(p.name);
        GDExtensionStringNamePtr name = names.back().ptr();
        names.emplace_back(p.class_name);
        GDExtensionStringNamePtr cls = names.back().ptr();
        strings.emplace_back(p.hint_string);
        GDExtensionStringPtr hint = strings.back().ptr();
        return GDExtensionPropertyInfo{p.type, name, cls, p.hint, hint, p.usage};
    }
};

void* no_binding(void*, void*) { return nullptr; }
void free_binding(void*, void*, void*) {}
GDExtensionBool reference_binding(void*, void*, GDExtensionBool) { return 1; }
const GDExtensionInstanceBindingCallbacks BINDING_CALLBACKS = {no_binding, free_binding, reference_binding};

constexpr int32_t NOTIFICATION_PREDELETE = 1;  // core/object/object.h

// Object.free() on an object another object of ours owns (LearnKit.nn...) would leave its owner with a dangling
// pointer. Godot's memdelete() asks the object first: Object::_predelete() sends NOTIFICATION_PREDELETE and keeps
// the object when a receiver calls cancel_free() ("If this method is called during NOTIFICATION_PREDELETE, this
// object will reject being freed and will remain allocated", docs.godotengine.org/en/4.5/classes/class_object.html
// #class-object-method-cancel-free; core/object/object.cpp, Object::_predelete). The owner's own destruction
// clears _owned_as first (api/learnkit_nn.hpp, destroy_owned).
// Every other notification goes to the instance (a Node's READY, PROCESS...: ExtensionObject::on_notification).
void notification(GDExtensionClassInstancePtr instance, int32_t what, GDExtensionBool) {
    auto* inst = static_cast<ExtensionObject*>(instance);
    if (what != NOTIFICATION_PREDELETE) {
        inst->on_notification(what);
        return;
    }
    if (inst->_owned_as.empty()) return;
    const bool singleton = inst->_owned_as == inst->class_name();
    push_error("free", str(inst->_owned_as, singleton ? " is the engine singleton, freed when the extension unloads"
                                                      : " belongs to the LearnKit singleton and is freed with it",
                           ": free() refused, the object stays valid"));
    gd::Object(inst->owner()).cancel_free();
}
}  // namespace

void register_class(const char* name, const char* parent, GDExtensionClassCreateInstance2 create,
                    GDExtensionClassFreeInstance free_fn) {
    GDExtensionClassCreationInfo5 info{};
    info.is_virtual = 0;
    info.is_abstract = 0;
    info.is_exposed = 1;
    info.is_runtime = 0;  // usable from @tool scripts in the editor too
    info.create_instance_func = create;
    info.free_instance_func = free_fn;
    info.notification_func = notification;
    gd::StringName cls(name), par(parent);
    gdx::classdb_register_extension_class5(gdx::library, cls.ptr(), par.ptr(), &info);
}

void register_method(const char* class_name, const MethodDef& m) {
    InfoHolder holder;
    std::vector<GDExtensionPropertyInfo> args;
    std::vector<GDExtensionClassMethodArgumentMetadata> meta;
    for (const PropInfo& a : m.args) {
        args.push_back(holder.make(a));
        meta.push_back(GDEXTENSION_METHOD_ARGUMENT_METADATA_NONE);
    }
    GDExtensionPropertyInfo ret = holder.make(m.ret);
    std::vector<GDExtensionVariantPtr> defaults;
    for (const gd::Variant& d : m.defaults) defaults.push_back(const_cast<void*>(d.ptr()));
    gd::StringName method_name(m.name);
    GDExtensionClassMethodInfo info{};
    info.name = method_name.ptr();
    info.method_userdata = nullptr;
    info.call_func = m.call;
    info.ptrcall_func = m.ptrcall;
    info.method_flags = METHOD_FLAG_NORMAL;
    info.has_return_value = m.has_return ? 1 : 0;
    info.return_value_info = m.has_return ? &ret : nullptr;
    info.return_value_metadata = GDEXTENSION_METHOD_ARGUMENT_METADATA_NONE;
    info.argument_count = uint32_t(args.size());
    info.arguments_info = args.empty() ? nullptr : args.data();
    info.arguments_metadata = meta.empty() ? nullptr : meta.data();
    info.default_argument_count = uint32_t(defaults.size());
    info.default_arguments = defaults.empty() ? nullptr : defaults.data();
    gd::StringName cls(class_name);
    gdx::classdb_register_extension_class_method(gdx::library, cls.ptr(), &info);
}

void register_property(const char* class_name, const PropInfo& p, const char* setter, const char* getter) {
    InfoHolder holder;
    GDExtensionPropertyInfo info = holder.make(p);
    gd::StringName cls(class_name), set(setter), get(getter);
    gdx::classdb_register_extension_class_property(gdx::library, cls.ptr(), &info, set.ptr(), get.ptr());
}

void register_signal(const char* class_name, const char* signal, const std::vector<PropInfo>& args) {
    InfoHolder holder;
    std::vector<GDExtensionPropertyInfo> infos;
    for (const PropInfo& a : args) infos.push_back(holder.make(a));
    gd::StringName cls(class_name), sig(signal);
    gdx::classdb_register_extension_class_signal(gdx::library, cls.ptr(), sig.ptr(),
                                                 infos.empty() ? nullptr : infos.data(), GDExtensionInt(infos.size()));
}

void register_constant(const char* class_name, const char* enum_name, const char* name, int64_t value) {
    gd::StringName cls(class_name), en(enum_name), n(name);
    gdx::classdb_register_extension_class_integer_constant(gdx::library, cls.ptr(), en.ptr(), n.ptr(), value, 0);
}

void unregister_class(const char* name) {
    gd::StringName cls(name);
    gdx::classdb_unregister_extension_class(gdx::library, cls.ptr());
}

GDExtensionObjectPtr attach_instance(const char* class_name, const char* parent, ExtensionObject* instance,
                                     bool notify_postinitialize) {
    gd::StringName par(parent), cls(class_name);
    GDExtensionObjectPtr obj = gdx::classdb_construct_object2(par.ptr());
    instance->_owner = obj;
    instance->_class = class_name;  // a string literal of the generated glue: lives as long as the library
    ext::track(obj, instance);
    gdx::object_set_instance(obj, cls.ptr(), instance);
    gdx::object_set_instance_binding(obj, gdx::library, instance, &BINDING_CALLBACKS);
    // Godot 4.4+ leaves POSTINITIALIZE to the extension (godot#91018).
    if (notify_postinitialize) gd::Object(obj).notification(0, false);
    return obj;
}

void free_instance(void*, GDExtensionClassInstancePtr instance) {
    auto* inst = static_cast<ExtensionObject*>(instance);
    ext::untrack(inst);
    delete inst;
}

}  // namespace lk::reg
