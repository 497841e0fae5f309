#include "godot/extension_object.hpp"

#include <cstring>
#include <mutex>
#include <unordered_map>

namespace lk::ext {

namespace {
// Every live instance of our classes by its Godot object. Why a table and not Godot's class tag: an extension
// class shares the class tag of its native parent (object_cast_to(obj, tag of "LKNetwork") accepts any
// RefCounted), and the tag check dereferences the pointer, which may dangle. Objects are created and freed on
// any thread (resources load on loader threads), hence the mutex.
std::mutex table_mutex;
std::unordered_map<GDExtensionObjectPtr, ExtensionObject*>& table() {
    static auto* t = new std::unordered_map<GDExtensionObjectPtr, ExtensionObject*>();  // never destroyed:
    return *t;  // objects may be freed during static destruction
}

ExtensionObject* lookup(GDExtensionObjectPtr object) {
    if (!object) return nullptr;
    std::lock_guard<std::mutex> lock(table_mutex);
    auto it = table().find(object);
    return it == table().end() ? nullptr : it->second;
}

std::string with_article(const std::string& name) {
    const bool vowel = !name.empty() && std::strchr("AEIOUaeiou", name[0]) != nullptr;
    // "an LKDense": the L is read "el"
    return (vowel || name.rfind("LK", 0) == 0 ? "an " : "a ") + name;
}
}  // namespace

void track(GDExtensionObjectPtr object, ExtensionObject* instance) {
    std::lock_guard<std::mutex> lock(table_mutex);
    table()[object] = instance;
}

void untrack(ExtensionObject* instance) {
    std::lock_guard<std::mutex> lock(table_mutex);
    auto it = table().find(instance->owner());
    if (it != table().end() && it->second == instance) table().erase(it);
}

void* instance_of(GDExtensionObjectPtr object, const char* class_name) {
    ExtensionObject* inst = lookup(object);
    return inst && std::strcmp(inst->class_name(), class_name) == 0 ? inst : nullptr;
}

void* instance_of(const gd::Variant& value, const char* class_name) {
    return instance_of(value.as_object(), class_name);
}

std::string describe_refused(GDExtensionObjectPtr object, const char* class_name) {
    if (!object) return "";
    ExtensionObject* inst = lookup(object);
    if (!inst) return "an object that is not a live LearnKit object (freed, or an engine or script class)";
    return std::strcmp(inst->class_name(), class_name) == 0 ? "" : with_article(inst->class_name());
}

std::string describe_refused(const gd::Variant& value, const char* class_name) {
    const GDExtensionVariantType type = value.get_type();
    if (type == GDEXTENSION_VARIANT_TYPE_NIL) return "";
    if (type != GDEXTENSION_VARIANT_TYPE_OBJECT) return with_article(gd::variant_type_name(type));
    if (value.is_freed_object()) return "a freed object";
    GDExtensionObjectPtr object = value.as_object();
    if (!object) return "";  // a null Object
    if (ExtensionObject* inst = lookup(object)) {
        return std::strcmp(inst->class_name(), class_name) == 0 ? "" : with_article(inst->class_name());
    }
    return with_article(gd::Object(object).get_class().utf8());  // live: safe to ask
}

GDExtensionObjectPtr construct(const char* class_name) {
    gd::StringName name(class_name);
    return gdx::classdb_construct_object2(name.ptr());
}

}  // namespace lk::ext
