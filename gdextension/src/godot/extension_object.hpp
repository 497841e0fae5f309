// Base of every LearnKit class exposed to Godot, and ExtRef<T>: an owning reference to one of them.
#pragma once
#include "gd_classes.hpp"

namespace lk {

class ExtensionObject {
public:
    virtual ~ExtensionObject() = default;
    GDExtensionObjectPtr owner() const { return _owner; }
    // Set once by the generated create_instance, before the constructor's object is visible to scripts.
    GDExtensionObjectPtr _owner = nullptr;
    // The exact extension class (its CLASS_NAME), set with _owner: Godot's class tags cannot tell our classes
    // apart (an extension class shares its native parent's tag), so instance_of() compares this.
    const char* _class = nullptr;
};

namespace ext {
// The C++ instance behind a Godot object of one of our classes, or nullptr when the object is null or of
// another class (checked through the class tag, so a wrong object passed from a script is caught).
void* instance_of(GDExtensionObjectPtr object, const char* class_name);
// Constructs a new object of one of our classes through ClassDB (so Godot owns and tracks it).
GDExtensionObjectPtr construct(const char* class_name);
}  // namespace ext

// Owning reference to one of our RefCounted classes: keeps the Godot object alive, gives typed access.
template <class T> class ExtRef {
    gd::Ref<gd::RefCounted> _ref;
    T* _inst = nullptr;

public:
    ExtRef() = default;
    static ExtRef create() { return from_object(ext::construct(T::CLASS_NAME)); }
    static ExtRef from_object(GDExtensionObjectPtr object) {
        ExtRef r;
        r._inst = static_cast<T*>(ext::instance_of(object, T::CLASS_NAME));
        if (r._inst) r._ref = gd::Ref<gd::RefCounted>::share(object);
        return r;
    }
    T* operator->() const { return _inst; }
    T* get() const { return _inst; }
    GDExtensionObjectPtr owner() const { return _inst ? _inst->owner() : nullptr; }
    explicit operator bool() const { return _inst != nullptr; }
};

}  // namespace lk
