// The project setting learnkit/gpu/prepare_at_startup: create the GPU device (and optionally warm up kernels)
// while the engine starts, before the first frame is drawn.
//
// Why at startup: creating a RenderingDevice stalls the GPU work of every other device in the process for as long
// as the creation takes. Measured on an NVIDIA H200 (driver 580) with a plain Godot script, no LearnKit: a
// thread that calls RenderingServer.create_local_rendering_device() takes 190-250 ms; meanwhile the main
// thread's CPU runs on (a spin loop saw gaps of at most 0.3 ms) but the frame being drawn waits 164-207 ms between
// frame_pre_draw and frame_post_draw, and buffer round trips on another local device wait 175-183 ms. So a
// device created during play costs one long frame whoever creates it and on whatever thread; it is the
// driver's, not a lock of ours. Compiling pipelines afterwards does not stall frames (0.5 ms frames while a
// warm-up built pipelines for 14 s). Created here, the device costs startup time instead of a frame.
#pragma once
#include <string>

namespace lk::api {

// Registers the setting (a String enum "off", "device", "common", "all"; default "off") so the editor shows it
// in Project Settings, then, outside the editor, applies it: "device" creates the GPU device now (blocking the
// caller, the engine's startup, for the creation time); "common" and "all" also start LearnKit.warm_up()'s
// pipeline building for those kernels in the background. Called once, from the main loop's startup callback
// (after the autoloads are loaded, before the first frame; Godot 4.5+).
void apply_gpu_startup_setting();

// What apply_gpu_startup_setting() did: the setting's value when it prepared anything, else "" (for
// LearnKit.get_device_info()).
std::string gpu_prepared_at_startup();

}  // namespace lk::api
