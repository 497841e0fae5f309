// Preloaded ahead of libasan by tools/sanitize_run.sh: Godot opens GDExtensions with dlopen(RTLD_DEEPBIND)
// (godotengine/godot#82973), and ASan's dlopen interceptor refuses that flag and exits ("RTLD_DEEPBIND flag which
// is incompatible with sanitizer runtime", google/sanitizers#611; Godot turns it off only in its own sanitizer
// builds, godotengine/godot#83212). DEEPBIND puts a library's own symbols ahead of the global ones; LearnKit
// exports only its entry symbol and keeps its static libstdc++ private (-Wl,--exclude-libs,ALL), so loading it
// without the flag resolves the same symbols. This dlopen drops the flag and hands over to the next one (ASan's).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

void* dlopen(const char* file, int mode) {
    static void* (*next)(const char*, int) = NULL;
    if (!next) next = (void* (*)(const char*, int))dlsym(RTLD_NEXT, "dlopen");
    return next(file, mode & ~RTLD_DEEPBIND);
}
