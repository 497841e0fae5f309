// The SPIR-V of every built-in GPU kernel, compiled at build time by glslangValidator (site_scons/spirv_build.py)
// and embedded in the library: the table and the bytes are in the generated build/gen/spirv/spirv_table.cpp.
// The GPU backend creates its shaders from these words, so no GLSL is compiled at run time for a built-in
// kernel; run-time GLSL stays for kernels that do not exist at build time (RdDevice::compile_glsl).
#pragma once
#include <cstddef>
#include <cstdint>

namespace lk {

// Each kernel's SPIR-V is deflated on its own (zlib format: Godot's PackedByteArray.decompress with
// COMPRESSION_DEFLATE inflates it; 7.4 MB of words take 2.2 MB).
struct SpirvEntry {
    const char* kernel;  // the kernel's name (kernel_info(k).name)
    uint32_t offset;     // its first byte in spirv_pack()
    uint32_t bytes;      // its deflated length
    uint32_t words;      // its SPIR-V length in 32-bit words, once inflated
};

// The kernels that have build-time SPIR-V, in name order.
const SpirvEntry* spirv_entries(size_t* count);
const uint8_t* spirv_pack();

}  // namespace lk
