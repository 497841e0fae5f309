// The CPU evaluator of compiled expressions (core/expr.hpp): a stack of blocks of kBlock floats, one loop per
// instruction over the block's elements, so the dispatch on the opcode is paid once per kBlock elements and the
// loops vectorise; helpers run through the generated custom_gen::apply_helper (the same C++ lk_* code as the
// CPU kernels).
#include <algorithm>
#include <vector>

#include "core/expr.hpp"
#include "kernels/custom_act.hpp"

#if defined(__GNUC__) && !defined(__clang__)
// As cpu_kernels.cpp: evaluate both arms of the selects without trapping-math concerns, so loops vectorise.
#pragma GCC optimize("no-trapping-math", "no-math-errno", "vect-cost-model=cheap")
#endif

namespace lk::expr {
namespace {

void run_block(const Program& p, const float* const* blocks, const float* scalars, float* out, uint32_t n,
               float* stack) {
    uint32_t sp = 0;  // blocks in use
    for (const Instr& in : p.code) {
        float* top = stack + size_t(sp) * kBlock;               // the next free block
        float* a = sp >= 1 ? top - kBlock : nullptr;            // the topmost value
        float* b = sp >= 2 ? top - 2 * size_t(kBlock) : nullptr;  // the one below
        switch (in.op) {
        case Opcode::CONST:
            std::fill(top, top + n, in.value);
            ++sp;
            break;
        case Opcode::VAR:
            std::copy(blocks[in.index], blocks[in.index] + n, top);
            ++sp;
            break;
        case Opcode::SCALAR:
            std::fill(top, top + n, scalars[in.index]);
            ++sp;
            break;
        case Opcode::NEG:
            for (uint32_t i = 0; i < n; ++i) a[i] = -a[i];
            break;
        case Opcode::NOT:
            for (uint32_t i = 0; i < n; ++i) a[i] = a[i] != 0.0f ? 0.0f : 1.0f;
            break;
#define LK_BINARY(OP, EXPR)                                   \
    case Opcode::OP:                                          \
        for (uint32_t i = 0; i < n; ++i) b[i] = (EXPR);       \
        --sp;                                                 \
        break;
        LK_BINARY(ADD, b[i] + a[i])
        LK_BINARY(SUB, b[i] - a[i])
        LK_BINARY(MUL, b[i] * a[i])
        LK_BINARY(DIV, b[i] / a[i])
        LK_BINARY(LT, b[i] < a[i] ? 1.0f : 0.0f)
        LK_BINARY(GT, b[i] > a[i] ? 1.0f : 0.0f)
        LK_BINARY(LE, b[i] <= a[i] ? 1.0f : 0.0f)
        LK_BINARY(GE, b[i] >= a[i] ? 1.0f : 0.0f)
        LK_BINARY(EQ, b[i] == a[i] ? 1.0f : 0.0f)
        LK_BINARY(NE, b[i] != a[i] ? 1.0f : 0.0f)
        LK_BINARY(AND, (b[i] != 0.0f && a[i] != 0.0f) ? 1.0f : 0.0f)
        LK_BINARY(OR, (b[i] != 0.0f || a[i] != 0.0f) ? 1.0f : 0.0f)
#undef LK_BINARY
        case Opcode::SELECT: {
            float* c = top - 3 * size_t(kBlock);  // condition, then-value (b), else-value (a)
            for (uint32_t i = 0; i < n; ++i) c[i] = c[i] != 0.0f ? b[i] : a[i];
            sp -= 2;
            break;
        }
        case Opcode::CALL: {
            const int arity = custom_gen::HELPERS[in.index].arity;
            const float* args[custom_gen::HELPER_MAX_ARITY];
            float* first = top - size_t(arity) * kBlock;
            for (int k = 0; k < arity; ++k) args[k] = first + size_t(k) * kBlock;
            // In place into the first argument's block: each helper reads args[k][i] before writing out[i].
            custom_gen::apply_helper(in.index, args, first, n);
            sp -= uint32_t(arity) - 1;
            break;
        }
        }
    }
    std::copy(stack, stack + n, out);
}

}  // namespace

void evaluate(const Program& p, const float* const* blocks, size_t block_count, const float* scalars, float* out,
              uint64_t n) {
    // One stack per thread: sessions on different threads evaluate at once, and a call allocates nothing.
    thread_local std::vector<float> stack;
    stack.resize(std::max<size_t>(stack.size(), size_t(std::max<uint32_t>(p.depth, 1)) * kBlock));
    constexpr size_t kMaxVars = 4;
    const float* shifted[kMaxVars] = {};
    block_count = std::min(block_count, kMaxVars);
    for (uint64_t start = 0; start < n; start += kBlock) {
        const uint32_t m = uint32_t(std::min<uint64_t>(kBlock, n - start));
        for (size_t v = 0; v < block_count; ++v) shifted[v] = blocks[v] + start;
        run_block(p, shifted, scalars, out + start, m, stack.data());
    }
}

}  // namespace lk::expr
