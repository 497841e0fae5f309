// The SPIR-V of every built-in GPU kernel, compiled at build time by glslangValidator (site_scons/spirv_build.py)
// and embedded in the library: the table and the words are in the generated build/gen/spirv/spirv_table.cpp.
// The GPU backend creates its shaders from these words, so no GLSL is compiled at run time for a built-in
// kernel; run-time GLSL stays for kernels that do not exist at build time (RdDevice::compile_glsl).
#pragma once
#include <cstddef>
#include <cstdint>

namespace lk {

struct SpirvEntry {
    const char* kernel;  // the kernel's name (kernel_info(k).name)
    uint32_t offset;     // first word in spirv_words()
    uint32_t words;      // length in 32-bit words
};

// The kernels that have build-time SPIR-V, in name order.
const SpirvEntry* spirv_entries(size_t* count);
const uint32_t* spirv_words();

}  // namespace lk
