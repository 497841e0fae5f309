// The library's entry point (Godot modules' register_types, at the source root because it ties every layer
// together): loads the interface, registers LearnKit's classes at the SCENE level and
// removes them again on shutdown.
#include "gdx_interface.hpp"
#include "api/backends.hpp"
#include "api/gpu_startup.hpp"
#include "api/training_job.hpp"
#include "glue.hpp"

namespace {

void initialize(void*, GDExtensionInitializationLevel level) {
    if (level == GDEXTENSION_INITIALIZATION_EDITOR) {
        lk::glue::load_editor_docs();
        return;
    }
    if (level != GDEXTENSION_INITIALIZATION_SCENE) return;
    gd::detail::init_builtins();
    lk::api::init_backends();
    lk::glue::register_classes();
    // learnkit/gpu/prepare_at_startup runs when the engine has started (autoloads loaded, before the first
    // frame): at this level the RenderingServer singleton is not registered yet, and a device request now
    // would fail for the whole run (see api/gpu_startup.hpp).
    if (gdx::register_main_loop_callbacks) {
        static GDExtensionMainLoopCallbacks callbacks{};
        callbacks.startup_func = [] { lk::api::apply_gpu_startup_setting(); };
        gdx::register_main_loop_callbacks(gdx::library, &callbacks);
    }
}

void deinitialize(void*, GDExtensionInitializationLevel level) {
    if (level != GDEXTENSION_INITIALIZATION_SCENE) return;
    // Training threads stop first: they use the GPU device and the objects below (a job leaked at quit).
    lk::api::LKTrainingJob::stop_all();
    // GPU resources go before the classes and the engine they live in (godot#71003).
    lk::api::shutdown_backends();
    lk::glue::unregister_classes();
}

}  // namespace

extern "C" {
// Named in learnkit.gdextension (entry_symbol).
__attribute__((visibility("default"))) GDExtensionBool learnkit_library_init(
    GDExtensionInterfaceGetProcAddress get_proc_address, GDExtensionClassLibraryPtr library,
    GDExtensionInitialization* init) {
    const char* missing = nullptr;
    if (!gdx::load(get_proc_address, library, &missing)) {
        // print_error itself may be what is missing, so there is no safe way to report more.
        return 0;
    }
    init->minimum_initialization_level = GDEXTENSION_INITIALIZATION_SCENE;
    init->userdata = nullptr;
    init->initialize = initialize;
    init->deinitialize = deinitialize;
    return 1;
}
}
