// Device selection for the API layer: which of a session's backends runs a call ("auto", "gpu", "cpu"), GPU
// availability, and what ran last (LearnKit.get_device_info()). Sessions own their backends' memory; this file
// owns only the process-wide GPU device state.
#pragma once
#include <string>

#include "core/backend.hpp"
#include "core/model.hpp"
#include "core/session.hpp"

namespace lk::api {

// Installs the GPU backend factory into core (called once when the extension initialises).
void init_backends();
bool gpu_available();
const std::string& gpu_unavailable_reason();

// device: "auto" | "gpu" | "cpu". "gpu" without a GPU is an error (push_error, nullptr) rather than a silent
// fallback: a developer who asked for the GPU must learn that it is not there. Returns the session's backend.
Backend* choose_backend(const std::string& device, const Model& model, size_t batch_rows, const char* where,
                        Session& session);

// Remembers which backend ran last (for LearnKit.get_device_info()).
void note_used(const Backend& backend);
std::string last_backend();
std::string last_device();

void shutdown_backends();

}  // namespace lk::api
