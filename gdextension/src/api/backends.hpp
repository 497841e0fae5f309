// The backends the API uses: one CPU backend for the process and, where Godot has a RenderingDevice, one GPU
// backend per calling thread (its own arena on the shared GPU device, created on first use, released before the
// extension unloads). Choosing between them is done here.
#pragma once
#include <string>

#include "core/backend.hpp"
#include "core/network.hpp"

namespace lk::api {

Backend& cpu_backend();
// The calling thread's GPU backend; nullptr when there is no RenderingDevice (see gpu_unavailable_reason()).
Backend* gpu_backend();
std::string gpu_unavailable_reason();  // "" when there is a GPU
std::string gpu_vendor();

// device: "auto" | "gpu" | "cpu". "gpu" without a GPU is an error (push_error, nullptr) rather than a silent
// fallback: a developer who asked for the GPU must learn that it is not there.
Backend* choose_backend(const std::string& device, const Network& net, size_t batch_rows, const char* where);

// Remembers which backend ran last (for LearnKit.get_device_info()).
void note_used(const Backend& backend);
std::string last_backend();
std::string last_device();

void shutdown_backends();

}  // namespace lk::api
