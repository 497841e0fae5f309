// The dialect checker (a port of codegen/lk_codegen/dialect.py check_expression: same tokens, same rules, same
// messages; the helper table is generated from the same source), then a recursive-descent compiler with the
// precedence GLSL and C++ share, which also prints the expression back as GLSL.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "core/expr.hpp"
#include "kernels/custom_act.hpp"

namespace lk::expr {
namespace {

enum class Tok { FLOAT, INT, ID, OP, OPEN, CLOSE, COMMA };
struct Token {
    Tok kind;
    std::string text;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_id_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }

// Python's repr() of a str, for the messages (they quote tokens and expressions as the generator does).
std::string repr(const std::string& s) {
    const bool dq = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
    const char q = dq ? '"' : '\'';
    std::string out(1, q);
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == q) out += std::string("\\") + q;
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else out += c;
    }
    return out + q;
}

// Length of an exponent part ([eE][+-]?\d+) at p, or 0.
size_t exponent(const std::string& s, size_t p) {
    if (p >= s.size() || (s[p] != 'e' && s[p] != 'E')) return 0;
    size_t q = p + 1;
    if (q < s.size() && (s[q] == '+' || s[q] == '-')) ++q;
    const size_t digits = q;
    while (q < s.size() && is_digit(s[q])) ++q;
    return q > digits ? q - p : 0;
}

// The float alternatives of dialect._FLOAT at p: \d+\.\d*(e)? | \.\d+(e)? | \d+e. Length or 0.
size_t float_at(const std::string& s, size_t p) {
    size_t q = p;
    while (q < s.size() && is_digit(s[q])) ++q;
    if (q > p && q < s.size() && s[q] == '.') {
        ++q;
        while (q < s.size() && is_digit(s[q])) ++q;
        return q + exponent(s, q) - p;
    }
    if (q == p && q < s.size() && s[q] == '.') {
        ++q;
        const size_t digits = q;
        while (q < s.size() && is_digit(s[q])) ++q;
        if (q == digits) return 0;
        return q + exponent(s, q) - p;
    }
    if (q > p) {
        const size_t e = exponent(s, q);
        return e ? q + e - p : 0;
    }
    return 0;
}

// dialect.TOKEN over the whole text; false and *err at a character no token starts with.
bool tokenize(const std::string& s, std::vector<Token>* out, std::string* err) {
    static const char* const two[] = {"==", "!=", "<=", ">=", "&&", "||"};
    size_t pos = 0;
    while (pos < s.size()) {
        size_t p = pos;
        while (p < s.size() && is_space(s[p])) ++p;
        if (p == s.size()) break;
        size_t n;
        if ((n = float_at(s, p)) > 0) {
            out->push_back({Tok::FLOAT, s.substr(p, n)});
        } else if (is_digit(s[p])) {
            n = 0;
            while (p + n < s.size() && is_digit(s[p + n])) ++n;
            out->push_back({Tok::INT, s.substr(p, n)});
        } else if (is_id_start(s[p])) {
            n = 0;
            while (p + n < s.size() && is_word(s[p + n])) ++n;
            out->push_back({Tok::ID, s.substr(p, n)});
        } else {
            n = 0;
            for (const char* t : two) {
                if (s.compare(p, 2, t) == 0) n = 2;
            }
            if (n == 0 && std::string("-+*/<>?:!").find(s[p]) != std::string::npos) n = 1;
            if (n > 0) {
                out->push_back({Tok::OP, s.substr(p, n)});
            } else if (s[p] == '(' || s[p] == ')' || s[p] == ',') {
                n = 1;
                out->push_back({s[p] == '(' ? Tok::OPEN : s[p] == ')' ? Tok::CLOSE : Tok::COMMA, s.substr(p, 1)});
            } else {
                *err = "unexpected character " + repr(std::string(1, s[p])) + " in " + repr(s);
                return false;
            }
        }
        pos = p + n;
    }
    return true;
}

int helper_index(const std::string& name) {
    for (int i = 0; i < custom_gen::HELPER_COUNT; ++i) {
        if (name == custom_gen::HELPERS[i].name) return i;
    }
    return -1;
}

std::string joined_sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
    return out;
}

std::string helper_list() {
    std::vector<std::string> names;
    for (const auto& h : custom_gen::HELPERS) names.push_back(h.name);
    return joined_sorted(names);
}

// ---- The compiler: recursive descent, one level per precedence (lowest first), emitting stack code. ----
struct Compiler {
    const std::vector<Token>& t;
    const std::vector<std::string>& blocks;
    const std::vector<std::string>& scalars;
    const std::string& text;
    Program* prog;
    std::string err;
    size_t i = 0;
    uint32_t sp = 0;

    struct Value {
        bool boolean = false;
        std::string glsl;
    };

    bool at(const char* op) const { return i < t.size() && t[i].kind == Tok::OP && t[i].text == op; }
    void emit(Opcode op, int pops, uint16_t index = 0, float value = 0.0f) {
        prog->code.push_back({op, index, value});
        sp = sp - uint32_t(pops) + 1;
        prog->depth = std::max(prog->depth, sp);
    }
    bool fail(const std::string& m) {
        if (err.empty()) err = m;
        return false;
    }
    bool want(bool boolean, const Value& v, const std::string& where) {
        if (v.boolean == boolean) return true;
        return fail(boolean ? where + " needs a comparison, got the number " + repr(v.glsl) + " in " + repr(text)
                            : where + " is a comparison (a boolean), not a number: write (cond ? 1.0 : 0.0) in " +
                                  repr(text));
    }

    bool ternary(Value* v) {
        if (!logic_or(v)) return false;
        if (!at("?")) return true;
        ++i;
        Value a, b;
        if (!want(true, *v, "the condition of '?'")) return false;
        if (!ternary(&a)) return false;
        if (!at(":")) return fail("expected ':' after " + repr(a.glsl) + " in " + repr(text));
        ++i;
        if (!ternary(&b)) return false;
        if (!want(false, a, "a branch of '?'") || !want(false, b, "a branch of '?'")) return false;
        emit(Opcode::SELECT, 3);
        *v = {false, "(" + v->glsl + " ? " + a.glsl + " : " + b.glsl + ")"};
        return true;
    }
    // One left-associative level: `next` operands joined by any of `ops` (with their opcodes).
    template <typename Next>
    bool level(Value* v, const std::vector<std::pair<const char*, Opcode>>& ops, bool boolean_in, Next next) {
        if (!(this->*next)(v)) return false;
        for (;;) {
            const std::pair<const char*, Opcode>* hit = nullptr;
            for (const auto& o : ops) {
                if (at(o.first)) hit = &o;
            }
            if (!hit) return true;
            ++i;
            Value r;
            if (!(this->*next)(&r)) return false;
            const std::string where = std::string("an operand of '") + hit->first + "'";
            if (!want(boolean_in, *v, where) || !want(boolean_in, r, where)) return false;
            emit(hit->second, 2);
            const bool result_bool = boolean_in || hit->second >= Opcode::LT;
            *v = {result_bool, "(" + v->glsl + " " + hit->first + " " + r.glsl + ")"};
        }
    }
    bool logic_or(Value* v) { return level(v, {{"||", Opcode::OR}}, true, &Compiler::logic_and); }
    bool logic_and(Value* v) { return level(v, {{"&&", Opcode::AND}}, true, &Compiler::equality); }
    bool equality(Value* v) {
        return level(v, {{"==", Opcode::EQ}, {"!=", Opcode::NE}}, false, &Compiler::relational);
    }
    bool relational(Value* v) {
        return level(v, {{"<", Opcode::LT}, {">", Opcode::GT}, {"<=", Opcode::LE}, {">=", Opcode::GE}}, false,
                     &Compiler::additive);
    }
    bool additive(Value* v) {
        return level(v, {{"+", Opcode::ADD}, {"-", Opcode::SUB}}, false, &Compiler::multiplicative);
    }
    bool multiplicative(Value* v) {
        return level(v, {{"*", Opcode::MUL}, {"/", Opcode::DIV}}, false, &Compiler::unary);
    }
    bool unary(Value* v) {
        if (at("-") || at("+") || at("!")) {
            const std::string op = t[i++].text;
            if (!unary(v)) return false;
            if (op == "!") {
                if (!want(true, *v, "the operand of '!'")) return false;
                emit(Opcode::NOT, 1);
            } else {
                if (!want(false, *v, "the operand of unary '" + op + "'")) return false;
                if (op == "-") emit(Opcode::NEG, 1);
            }
            v->glsl = "(" + op + v->glsl + ")";
            return true;
        }
        return primary(v);
    }
    bool primary(Value* v) {
        if (i >= t.size()) return fail("incomplete expression " + repr(text));
        const Token& k = t[i];
        if (k.kind == Tok::FLOAT) {
            ++i;
            const float f = std::strtof(k.text.c_str(), nullptr);
            if (!std::isfinite(f)) return fail("number " + repr(k.text) + " is beyond float range in " + repr(text));
            emit(Opcode::CONST, 0, 0, f);
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.9g", double(f));
            std::string s = buf;
            if (s.find_first_of(".e") == std::string::npos) s += ".0";
            *v = {false, s};
            return true;
        }
        if (k.kind == Tok::OPEN) {
            ++i;
            if (!ternary(v)) return false;
            if (i >= t.size() || t[i].kind != Tok::CLOSE) return fail("unbalanced '(' in " + repr(text));
            ++i;
            return true;
        }
        if (k.kind == Tok::ID && i + 1 < t.size() && t[i + 1].kind == Tok::OPEN) {
            const int h = helper_index(k.text);
            i += 2;
            std::string args;
            for (int a = 0; a < custom_gen::HELPERS[h].arity; ++a) {
                if (a > 0) {
                    if (i >= t.size() || t[i].kind != Tok::COMMA) return fail("expected ',' in " + repr(text));
                    ++i;
                }
                Value arg;
                if (!ternary(&arg)) return false;
                if (!want(false, arg, std::string("an argument of ") + k.text)) return false;
                args += (a ? ", " : "") + arg.glsl;
            }
            if (i >= t.size() || t[i].kind != Tok::CLOSE) return fail("expected ')' in " + repr(text));
            ++i;
            emit(Opcode::CALL, custom_gen::HELPERS[h].arity, uint16_t(h));
            *v = {false, std::string(k.text) + "(" + args + ")"};
            return true;
        }
        if (k.kind == Tok::ID) {
            ++i;
            for (size_t b = 0; b < blocks.size(); ++b) {
                if (blocks[b] == k.text) {
                    emit(Opcode::VAR, 0, uint16_t(b));
                    *v = {false, k.text};
                    return true;
                }
            }
            for (size_t s = 0; s < scalars.size(); ++s) {
                if (scalars[s] == k.text) {
                    emit(Opcode::SCALAR, 0, uint16_t(s));
                    *v = {false, "lkp_" + std::to_string(s)};
                    return true;
                }
            }
        }
        return fail("unexpected " + repr(k.text) + " in " + repr(text));
    }
};

}  // namespace

std::string check(const std::string& text, const std::vector<std::string>& variables) {
    bool blank = true;
    for (char c : text) blank = blank && is_space(c);
    if (blank) return "expected a non-empty expression string";
    std::vector<Token> tokens;
    std::string err;
    if (!tokenize(text, &tokens, &err)) return err;
    auto known = [&](const std::string& id) {
        return std::find(variables.begin(), variables.end(), id) != variables.end();
    };
    // calls: per open parenthesis, the helper it calls ("" for grouping) and the commas seen so far
    std::vector<std::pair<std::string, int>> calls;
    enum { OPERAND, CALL, OP } prev = OP;
    for (size_t i = 0; i < tokens.size(); ++i) {
        const Token& k = tokens[i];
        const bool operand = k.kind == Tok::FLOAT || k.kind == Tok::INT || k.kind == Tok::ID;
        if (operand && prev == OPERAND) return "missing operator before " + repr(k.text) + " in " + repr(text);
        if (k.kind == Tok::INT) {
            return "bare integer literal " + repr(k.text) + ": write " + k.text +
                   ".0 (GLSL and C++ differ on int math)";
        }
        if (k.kind == Tok::ID) {
            const bool is_call = i + 1 < tokens.size() && tokens[i + 1].kind == Tok::OPEN;
            if (is_call && helper_index(k.text) < 0) {
                return "unknown function " + repr(k.text) + " (allowed: " + helper_list() + ")";
            }
            if (!is_call && !known(k.text)) {
                return "unknown identifier " + repr(k.text) + " (allowed here: " + joined_sorted(variables) + ")";
            }
            prev = is_call ? CALL : OPERAND;
            continue;
        }
        if (k.kind == Tok::OPEN) {
            if (prev == OPERAND) return "missing operator before '(' in " + repr(text);
            calls.emplace_back(prev == CALL ? tokens[i - 1].text : std::string(), 0);
        } else if (k.kind == Tok::CLOSE) {
            if (calls.empty()) return "unbalanced ')' in " + repr(text);
            const auto [name, commas] = calls.back();
            calls.pop_back();
            const int args = commas + (tokens[i - 1].kind == Tok::OPEN ? 0 : 1);
            if (!name.empty() && custom_gen::HELPERS[helper_index(name)].arity != args) {
                return name + " takes " + std::to_string(custom_gen::HELPERS[helper_index(name)].arity) +
                       " arguments, got " + std::to_string(args) + " in " + repr(text);
            }
            if (name.empty() && commas) return "unexpected ',' in " + repr(text);
        } else if (k.kind == Tok::COMMA) {
            if (calls.empty()) return "unexpected ',' in " + repr(text);
            calls.back().second += 1;
        }
        prev = operand || k.kind == Tok::CLOSE ? OPERAND : OP;
    }
    if (!calls.empty()) return "unbalanced '(' in " + repr(text);
    if (prev != OPERAND) return "incomplete expression " + repr(text);
    return "";
}

bool compile(const std::string& text, const std::vector<std::string>& blocks, const std::vector<std::string>& scalars,
             Program* out, std::string* err) {
    std::vector<std::string> variables = blocks;
    variables.insert(variables.end(), scalars.begin(), scalars.end());
    *err = check(text, variables);
    if (!err->empty()) return false;
    std::vector<Token> tokens;
    tokenize(text, &tokens, err);
    Program prog;
    Compiler c{tokens, blocks, scalars, text, &prog, {}};
    Compiler::Value v;
    bool ok = c.ternary(&v);
    if (ok && c.i < tokens.size()) ok = c.fail("unexpected " + repr(tokens[c.i].text) + " in " + repr(text));
    if (ok && v.boolean) ok = c.want(false, v, "the expression");
    if (!ok) {
        *err = c.err;
        return false;
    }
    prog.glsl = v.glsl;
    *out = std::move(prog);
    return true;
}

}  // namespace lk::expr
