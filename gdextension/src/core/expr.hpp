// Expressions of the spec dialect (codegen/spec/activations.yaml, codegen/lk_codegen/dialect.py) at run time:
// checked with the generator's rules and messages, compiled once into a small stack program that the CPU
// evaluates over a block of values (one loop per instruction, elements inside), and printed back as GLSL for
// the GPU kernels. Used by run-time custom activations (core/custom_activation.hpp). Godot-free.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lk::expr {

// Values per block of the CPU evaluator: the stack's slots are blocks of this many floats.
constexpr uint32_t kBlock = 256;

enum class Opcode : uint8_t {
    CONST,        // push value
    VAR,          // push the block variable `index` (x, y)
    SCALAR,       // push scalar `index` (a parameter), broadcast
    NEG, NOT,     // unary
    ADD, SUB, MUL, DIV,
    LT, GT, LE, GE, EQ, NE, AND, OR,  // comparisons and logic give 1.0 / 0.0
    SELECT,       // c ? a : b (both arms evaluated; the dialect's helpers have no side effects)
    CALL,         // an lk_* helper: `index` into custom_gen::HELPERS, its arity's values popped
};

struct Instr {
    Opcode op = Opcode::CONST;
    uint16_t index = 0;
    float value = 0.0f;
};

struct Program {
    std::vector<Instr> code;
    uint32_t depth = 0;  // deepest stack, in blocks
    std::string glsl;    // the same expression as fully parenthesised GLSL (parameters named lkp_<k>)
};

// dialect.check_expression: "" when `text` is a well-formed expression over `variables` and the lk_* helpers,
// else the generator's message (naming the bad token), without location.
std::string check(const std::string& text, const std::vector<std::string>& variables);

// Checks (as check()), then type-checks (comparisons are booleans: only ?:, &&, || and ! take them) and
// compiles. `blocks` are per-element variables (x, y), `scalars` per-call ones (parameters, printed as
// lkp_<k> in the GLSL). The whole expression must be a number. false and *err on any problem.
bool compile(const std::string& text, const std::vector<std::string>& blocks, const std::vector<std::string>& scalars,
             Program* out, std::string* err);

// out[i] = the program over blocks[v][i] (v < block_count <= 4) and scalars[s], for i < n (any n; processed
// kBlock at a time). out may alias a block.
void evaluate(const Program& p, const float* const* blocks, size_t block_count, const float* scalars, float* out,
              uint64_t n);

}  // namespace lk::expr
