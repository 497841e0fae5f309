#include "godot/extension_object.hpp"

#include <cstring>
#include <unordered_map>
#include <string>

namespace lk::ext {

void* instance_of(GDExtensionObjectPtr object, const char* class_name) {
    if (!object) return nullptr;
    // Class tags are stable for the process lifetime; cache them per class name.
    static std::unordered_map<std::string, void*> tags;
    void*& tag = tags[class_name];
    if (!tag) {
        gd::StringName name(class_name);
        tag = gdx::classdb_get_class_tag(name.ptr());
    }
    if (!tag || !gdx::object_cast_to(object, tag)) return nullptr;
    auto* instance = static_cast<ExtensionObject*>(gdx::object_get_instance_binding(object, gdx::library, nullptr));
    // Same native parent is not enough: an LKLayer must not pass for an LKDense.
    if (!instance || !instance->_class || std::strcmp(instance->_class, class_name) != 0) return nullptr;
    return instance;
}

GDExtensionObjectPtr construct(const char* class_name) {
    gd::StringName name(class_name);
    return gdx::classdb_construct_object2(name.ptr());
}

}  // namespace lk::ext
