#include "godot/extension_object.hpp"

namespace lk::ext {

ExtensionObject* extension_instance(GDExtensionObjectPtr object) {
    if (!object) return nullptr;
    // Our instances are the only bindings this library sets (reg::attach_instance); no callbacks: an object of
    // another class or library has none and gives nullptr.
    return static_cast<ExtensionObject*>(gdx::object_get_instance_binding(object, gdx::library, nullptr));
}

GDExtensionObjectPtr construct(const char* class_name) {
    gd::StringName name(class_name);
    return gdx::classdb_construct_object2(name.ptr());
}

}  // namespace lk::ext
